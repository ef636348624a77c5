"""How often the cyclic garbage collector runs, in the API and the long-running commands.

CPython collects its youngest generation each time 700 more container objects are alive than at the last
collection. A request leaves no reference cycles behind (schema/execution.py), and an import or a sync batch
few, so at 700 the collector mostly walked live objects over and over (the requests in flight, a chunk of rows,
a batch of documents; an inbox page's records alone are thousands), and promoted them to be walked again by the
older generations. Cyclic garbage is still collected, after 50,000 objects.
"""

import gc

COLLECT_AFTER_OBJECTS = 50_000


def collect_less_often() -> None:
    gc.set_threshold(COLLECT_AFTER_OBJECTS, *gc.get_threshold()[1:])
