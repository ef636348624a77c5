"""The deal pipeline: its states, who may move a deal where, and the transition itself.

NEGOTIATING → AGREED → ORDERED → DELIVERED → COMPLETED, and any non-terminal state → CANCELLED or LOST.
This table is the only place these rules are written; the API shows each deal's allowed next moves from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from market.core.errors import DomainError


class DealState(StrEnum):
    NEGOTIATING = "NEGOTIATING"
    AGREED = "AGREED"
    ORDERED = "ORDERED"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    LOST = "LOST"


class Party(StrEnum):
    BUYER = "BUYER"
    PRODUCER = "PRODUCER"


TERMINAL = frozenset({DealState.COMPLETED, DealState.CANCELLED, DealState.LOST})
_BOTH = frozenset({Party.BUYER, Party.PRODUCER})

TRANSITIONS: dict[tuple[DealState, DealState], frozenset[Party]] = {
    (DealState.NEGOTIATING, DealState.AGREED): _BOTH,  # either party records agreement
    (DealState.AGREED, DealState.ORDERED): frozenset({Party.BUYER}),  # the buyer places the order
    (DealState.ORDERED, DealState.DELIVERED): frozenset({Party.PRODUCER}),  # the producer delivers
    (DealState.DELIVERED, DealState.COMPLETED): frozenset({Party.BUYER}),  # the buyer confirms receipt
    **{
        (state, end): _BOTH
        for state in DealState
        if state not in TERMINAL
        for end in (DealState.CANCELLED, DealState.LOST)
    },
}

# Moves that need more than a note.
NEEDS_REASON = frozenset({DealState.CANCELLED, DealState.LOST})
NEEDS_ORDER = frozenset({DealState.ORDERED})


@dataclass(frozen=True, slots=True)
class OrderTerms:
    quantity: int
    value_vnd: int
    delivery_date: date


def next_states(state: DealState, party: Party | None) -> list[DealState]:
    """Where this party may move the deal now (what a UI shows as buttons)."""
    if party is None:
        return []
    return [to for (source, to), parties in TRANSITIONS.items() if source is state and party in parties]


def check_transition(state: DealState, to: DealState, party: Party | None) -> None:
    parties = TRANSITIONS.get((state, to))
    if parties is None:
        allowed = sorted({t.value for (s, t) in TRANSITIONS if s is state})
        raise DomainError.of(
            "invalid_transition" if allowed else "final_state", "to", state=state.value, to=to.value, allowed=allowed
        )
    if party is None or party not in parties:
        raise DomainError.of("forbidden_move", "to", parties=sorted(p.value for p in parties), to=to.value)
