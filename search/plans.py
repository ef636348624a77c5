"""Memos of the work a search repeats for the same input: reading the query (search/interpret.py) and
planning its Meilisearch requests (filters converted to expressions, the text read against the vocabulary).

A result page asked again and again (a landing page, a category link, a bot) reads and plans the same text
every time; in a profile of a light search, reading the query alone was about a quarter of the API's CPU. Both are pure
functions of their inputs, the plan also of the vocabulary, so a plan is kept only for the vocabulary it was
made with. Callers treat what they get back as read-only.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache

from search.interpret import Interpretation, interpret
from search.query import Plan
from search.vocabulary import Vocabulary

MAX_PLANS = 1024
MAX_READINGS = 1024


@lru_cache(maxsize=MAX_READINGS)
def interpreted(text: str) -> Interpretation:
    """`interpret(text)`, memoised: shared between searches, so never changed by its users."""
    return interpret(text)


class PlanCache:
    """The latest plans made with one vocabulary, least recently used dropped first."""

    def __init__(self, size: int = MAX_PLANS) -> None:
        self.size = size
        self._vocabulary: Vocabulary | None = None
        self._plans: OrderedDict[Hashable, Plan] = OrderedDict()

    def get(self, vocabulary: Vocabulary | None, key: Hashable, make: Callable[[], Plan]) -> Plan:
        if vocabulary is not self._vocabulary:
            self._plans.clear()  # a new count corrects words differently
            self._vocabulary = vocabulary
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = make()
            if len(self._plans) > self.size:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(key)
        return plan
