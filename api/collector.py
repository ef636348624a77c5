"""How often the API's cyclic garbage collector runs.

CPython collects its youngest generation each time 700 more container objects are alive than at the last
collection. A request leaves no reference cycles behind (schema/execution.py), so at 700 the collector mostly
walked the live objects of the requests in flight (an inbox page's records alone are thousands) over and
over, and promoted them to be walked again by the older generations. Cyclic garbage is still collected,
after 50,000 objects.

Not for the worker: what its batches leave to the collector holds whole documents, and at 50,000 objects its
peak memory over a large catalogue doubled.
"""

import gc

COLLECT_AFTER_OBJECTS = 50_000


def collect_less_often() -> None:
    gc.set_threshold(COLLECT_AFTER_OBJECTS, *gc.get_threshold()[1:])
