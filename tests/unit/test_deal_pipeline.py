"""The deal pipeline (market/trade/pipeline.py): every (state, target, party) triple against the table."""

from __future__ import annotations

import pytest

from market.core.errors import DomainError, ErrorCode
from market.trade import pipeline
from market.trade.pipeline import DealState, Party

S, B, P = DealState, Party.BUYER, Party.PRODUCER

# The rule written out by hand, so that a change to pipeline.TRANSITIONS shows up here.
ALLOWED: set[tuple[DealState, DealState, Party]] = {
    (S.NEGOTIATING, S.AGREED, B),
    (S.NEGOTIATING, S.AGREED, P),
    (S.AGREED, S.ORDERED, B),
    (S.ORDERED, S.DELIVERED, P),
    (S.DELIVERED, S.COMPLETED, B),
    *{
        (state, end, party)
        for state in (S.NEGOTIATING, S.AGREED, S.ORDERED, S.DELIVERED)
        for end in (S.CANCELLED, S.LOST)
        for party in (B, P)
    },
}
MOVES = {(state, target) for state, target, _ in ALLOWED}

TRIPLES = [
    pytest.param(state, target, party, id=f"{state.value}-{target.value}-{party.value if party else 'NOBODY'}")
    for state in DealState
    for target in DealState
    for party in (Party.BUYER, Party.PRODUCER, None)
]


def test_the_table_is_the_transitions() -> None:
    assert {(s, t, p) for (s, t), parties in pipeline.TRANSITIONS.items() for p in parties} == ALLOWED
    assert len(pipeline.TRANSITIONS) == 12  # four steps forward, and cancel or lose from four states


@pytest.mark.parametrize(("state", "target", "party"), TRIPLES)
def test_check_transition(state: DealState, target: DealState, party: Party | None) -> None:
    if (state, target, party) in ALLOWED:
        assert pipeline.check_transition(state, target, party) is None
        assert party is not None and target in pipeline.next_states(state, party)
        return
    with pytest.raises(DomainError) as excinfo:
        pipeline.check_transition(state, target, party)
    [error] = excinfo.value.errors
    assert error.field == "to"
    assert error.code is (ErrorCode.FORBIDDEN if (state, target) in MOVES else ErrorCode.INVALID_TRANSITION)
    if party is not None:
        assert target not in pipeline.next_states(state, party)


@pytest.mark.parametrize(
    ("state", "target", "message"),
    [
        pytest.param(
            S.NEGOTIATING,
            S.DELIVERED,
            "a NEGOTIATING deal cannot move to DELIVERED; allowed: AGREED, CANCELLED, LOST",
            id="skip-ahead",
        ),
        pytest.param(
            S.ORDERED, S.AGREED, "an ORDERED deal cannot move to AGREED; allowed: CANCELLED, DELIVERED, LOST", id="back"
        ),
        pytest.param(
            S.AGREED, S.AGREED, "an AGREED deal cannot move to AGREED; allowed: CANCELLED, LOST, ORDERED", id="stay"
        ),
        pytest.param(
            S.COMPLETED,
            S.CANCELLED,
            "a COMPLETED deal cannot move to CANCELLED; allowed: none (final state)",
            id="final",
        ),
        pytest.param(
            S.LOST, S.NEGOTIATING, "a LOST deal cannot move to NEGOTIATING; allowed: none (final state)", id="lost"
        ),
    ],
)
def test_an_impossible_move_lists_the_allowed_ones(state: DealState, target: DealState, message: str) -> None:
    for party in (Party.BUYER, Party.PRODUCER, None):
        with pytest.raises(DomainError) as excinfo:
            pipeline.check_transition(state, target, party)
        assert [(e.code, e.field, e.message) for e in excinfo.value.errors] == [
            (ErrorCode.INVALID_TRANSITION, "to", message)
        ]


@pytest.mark.parametrize(
    ("state", "target", "party", "message"),
    [
        pytest.param(S.AGREED, S.ORDERED, P, "only the buyer may move this deal to ORDERED", id="producer-orders"),
        pytest.param(
            S.ORDERED, S.DELIVERED, B, "only the producer may move this deal to DELIVERED", id="buyer-delivers"
        ),
        pytest.param(
            S.DELIVERED, S.COMPLETED, P, "only the buyer may move this deal to COMPLETED", id="producer-completes"
        ),
        pytest.param(
            S.DELIVERED, S.COMPLETED, None, "only the buyer may move this deal to COMPLETED", id="nobody-completes"
        ),
        pytest.param(
            S.NEGOTIATING,
            S.CANCELLED,
            None,
            "only the buyer or producer may move this deal to CANCELLED",
            id="nobody-cancels",
        ),
    ],
)
def test_the_wrong_party_is_forbidden(state: DealState, target: DealState, party: Party | None, message: str) -> None:
    with pytest.raises(DomainError) as excinfo:
        pipeline.check_transition(state, target, party)
    assert [(e.code, e.field, e.message) for e in excinfo.value.errors] == [(ErrorCode.FORBIDDEN, "to", message)]


NEXT: dict[tuple[DealState, Party], list[DealState]] = {
    (S.NEGOTIATING, B): [S.AGREED, S.CANCELLED, S.LOST],
    (S.NEGOTIATING, P): [S.AGREED, S.CANCELLED, S.LOST],
    (S.AGREED, B): [S.ORDERED, S.CANCELLED, S.LOST],
    (S.AGREED, P): [S.CANCELLED, S.LOST],
    (S.ORDERED, B): [S.CANCELLED, S.LOST],
    (S.ORDERED, P): [S.DELIVERED, S.CANCELLED, S.LOST],
    (S.DELIVERED, B): [S.COMPLETED, S.CANCELLED, S.LOST],
    (S.DELIVERED, P): [S.CANCELLED, S.LOST],
    **{(state, party): [] for state in (S.COMPLETED, S.CANCELLED, S.LOST) for party in (B, P)},
}


@pytest.mark.parametrize(("state", "party"), [pytest.param(s, p, id=f"{s.value}-{p.value}") for s, p in NEXT])
def test_next_states(state: DealState, party: Party) -> None:
    assert pipeline.next_states(state, party) == NEXT[(state, party)]


@pytest.mark.parametrize("state", list(DealState), ids=[s.value for s in DealState])
def test_nobody_has_moves(state: DealState) -> None:
    assert pipeline.next_states(state, None) == []


def test_terminal_states_have_no_moves() -> None:
    assert frozenset({S.COMPLETED, S.CANCELLED, S.LOST}) == pipeline.TERMINAL
    assert not [move for move in pipeline.TRANSITIONS if move[0] in pipeline.TERMINAL]
    # Every other state can still end, by either party.
    for state in set(DealState) - pipeline.TERMINAL:
        for party in Party:
            assert {S.CANCELLED, S.LOST} <= set(pipeline.next_states(state, party))


def test_what_a_move_needs_besides_a_note() -> None:
    assert frozenset({S.CANCELLED, S.LOST}) == pipeline.NEEDS_REASON
    assert frozenset({S.ORDERED}) == pipeline.NEEDS_ORDER
    assert S.COMPLETED not in pipeline.NEEDS_REASON | pipeline.NEEDS_ORDER
