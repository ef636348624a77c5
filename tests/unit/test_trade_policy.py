"""The trade visibility and action rules (market/trade/policy.py) as tables: role × object → expected.

The scene: one buyer organisation sent an RFQ to two producers, MAKER of Vĩnh Long (86) and RIVAL of Đà
Nẵng (48). MAKER quoted, the buyer accepted, and the deal runs between the buyer and MAKER. No database.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from market.accounts.policy import Viewer
from market.accounts.records import Role
from market.core.errors import DomainError, ErrorCode
from market.trade import policy
from market.trade.pipeline import DealState, Party
from market.trade.records import (
    Criteria,
    Deal,
    Inquiry,
    InquiryKind,
    InquiryStatus,
    Invitation,
    InvitationStatus,
    Message,
    Quotation,
    QuotationRevision,
    QuotationStatus,
)
from tests.unit.principals import principal

NOW = datetime.now(UTC)

BUYER_ORG = ObjectId()
OTHER_BUYER_ORG = ObjectId()
MAKER = ObjectId()  # invited, quoted, has the deal; Vĩnh Long
RIVAL = ObjectId()  # invited to the same RFQ, a competitor of MAKER; Đà Nẵng
OUTSIDER = ObjectId()  # a producer that was not invited
BUYER_MEMBER = principal(Role.BUYER, BUYER_ORG)
MAKER_PROVINCE, RIVAL_PROVINCE, OTHER_PROVINCE = "86", "48", "01"


VIEWERS: dict[str, Viewer] = {
    "anonymous": None,
    "admin": principal(Role.ADMIN),
    "buyer": principal(Role.BUYER, BUYER_ORG),
    "other_buyer": principal(Role.BUYER, OTHER_BUYER_ORG),
    "maker": principal(Role.PRODUCER, MAKER),
    "rival": principal(Role.PRODUCER, RIVAL),
    "outsider": principal(Role.PRODUCER, OUTSIDER),
    "office": principal(Role.COORDINATOR, province_code=MAKER_PROVINCE),
    "rival_office": principal(Role.COORDINATOR, province_code=RIVAL_PROVINCE),
    "other_office": principal(Role.COORDINATOR, province_code=OTHER_PROVINCE),
}
ROLES = list(VIEWERS)

# Accounts whose role needs an organisation or a province they do not have.
ORPHANS: dict[str, Viewer] = {
    "buyer_without_org": principal(Role.BUYER),
    "producer_without_org": principal(Role.PRODUCER),
    "coordinator_without_province": principal(Role.COORDINATOR),
}

MAKER_INVITATION = Invitation(MAKER, [ObjectId()], "makes coconut candy", InvitationStatus.ACCEPTED)
RIVAL_INVITATION = Invitation(RIVAL, [], "matches the criteria", InvitationStatus.INVITED)

INQUIRY = Inquiry(
    id=ObjectId(),
    kind=InquiryKind.OPEN,
    buyer_org_id=BUYER_ORG,
    created_by=ObjectId(),
    product_id=None,
    criteria=Criteria(query="kẹo dừa"),
    quantity=100,
    unit="hộp",
    target_unit_price_vnd=40000,
    delivery_province_code=OTHER_PROVINCE,
    needed_by=None,
    message="",
    expires_at=NOW + timedelta(days=14),
    status=InquiryStatus.OPEN,
    closed_reason=None,
    invitations=[MAKER_INVITATION, RIVAL_INVITATION],
    producer_province_codes=[RIVAL_PROVINCE, MAKER_PROVINCE],
    created_at=NOW,
    version=1,
)

QUOTATION = Quotation(
    id=ObjectId(),
    inquiry_id=INQUIRY.id,
    producer_id=MAKER,
    buyer_org_id=BUYER_ORG,
    status=QuotationStatus.ACCEPTED,
    revisions=[QuotationRevision(1, 41000, [], 50, 5, None, "", NOW)],
    decline_reason=None,
    created_at=NOW,
    updated_at=NOW,
    version=2,
)


def deal_in(state: DealState) -> Deal:
    return Deal(
        id=ObjectId(),
        inquiry_id=INQUIRY.id,
        quotation_id=QUOTATION.id,
        quotation_revision=1,
        product_id=None,
        buyer_org_id=BUYER_ORG,
        producer_id=MAKER,
        producer_province_code=MAKER_PROVINCE,
        state=state,
        quantity=100,
        unit="hộp",
        unit_price_vnd=41000,
        value_vnd=4_100_000,
        order_quantity=None,
        order_value_vnd=None,
        delivery_date=None,
        history=[],
        mou=None,
        created_at=NOW,
        updated_at=NOW,
        version=1,
    )


DEAL = deal_in(DealState.NEGOTIATING)

MESSAGE = Message(
    id=ObjectId(),
    inquiry_id=INQUIRY.id,
    producer_id=MAKER,
    buyer_org_id=BUYER_ORG,
    author_name="buyer",
    side=Party.BUYER,
    body="Giá 39.000 đ được không?",
    counter_unit_price_vnd=39000,
    counter_quantity=None,
    created_at=NOW,
)

SEES = {
    "inquiry": lambda v: policy.can_see_inquiry(v, INQUIRY),
    "quotation": lambda v: policy.can_see_quotation(v, QUOTATION, INQUIRY, MAKER_PROVINCE),
    "deal": lambda v: policy.can_see_deal(v, DEAL),
    "thread": lambda v: policy.can_see_thread(v, BUYER_ORG, MAKER),
    "rival_thread": lambda v: policy.can_see_thread(v, BUYER_ORG, RIVAL),
    "message": lambda v: policy.can_see_message(v, MESSAGE),
}

# role: (inquiry, quotation, deal, thread, rival_thread, message)
VISIBILITY: dict[str, tuple[bool, bool, bool, bool, bool, bool]] = {
    "anonymous": (False, False, False, False, False, False),
    "admin": (True, True, True, True, True, True),
    "buyer": (True, True, True, True, True, True),
    "other_buyer": (False, False, False, False, False, False),
    "maker": (True, True, True, True, False, True),
    # Invited to the same RFQ, but never sees a competitor's quotation, deal or conversation.
    "rival": (True, False, False, False, True, False),
    # Not invited: reads the open RFQ as the board advertises it, and nothing of anyone's dealings on it.
    "outsider": (True, False, False, False, False, False),
    # The offices oversee quotations and deals of their producers, never the conversation.
    "office": (True, True, True, False, False, False),
    "rival_office": (True, False, False, False, False, False),
    "other_office": (False, False, False, False, False, False),
}
VISIBILITY_ROWS = [
    pytest.param(role, obj, expected, id=f"{obj}-{role}")
    for role, row in VISIBILITY.items()
    for obj, expected in zip(SEES, row, strict=True)
]


def test_the_table_covers_every_role() -> None:
    assert set(VISIBILITY) == set(ROLES)


@pytest.mark.parametrize(("role", "obj", "expected"), VISIBILITY_ROWS)
def test_visibility(role: str, obj: str, expected: bool) -> None:
    assert SEES[obj](VIEWERS[role]) is expected


@pytest.mark.parametrize("role", list(ORPHANS))
@pytest.mark.parametrize("obj", list(SEES))
def test_accounts_without_organisation_or_province_see_nothing(role: str, obj: str) -> None:
    assert SEES[obj](ORPHANS[role]) is False


def test_a_quotation_without_a_known_province_is_hidden_from_every_office() -> None:
    assert policy.can_see_quotation(VIEWERS["office"], QUOTATION, INQUIRY, None) is False
    assert policy.can_see_quotation(VIEWERS["buyer"], QUOTATION, INQUIRY, None) is True


# --- parties -----------------------------------------------------------------------------------------------

# role: (inquiry_party, quotation_party, deal_party)
PARTIES: dict[str, tuple[Party | None, Party | None, Party | None]] = {
    "anonymous": (None, None, None),
    "admin": (None, None, None),
    "buyer": (Party.BUYER, Party.BUYER, Party.BUYER),
    "other_buyer": (None, None, None),
    "maker": (Party.PRODUCER, Party.PRODUCER, Party.PRODUCER),
    "rival": (Party.PRODUCER, None, None),
    "outsider": (None, None, None),
    "office": (None, None, None),
    "rival_office": (None, None, None),
    "other_office": (None, None, None),
}


@pytest.mark.parametrize(("role", "expected"), list(PARTIES.items()), ids=list(PARTIES))
def test_parties(role: str, expected: tuple[Party | None, Party | None, Party | None]) -> None:
    viewer = VIEWERS[role]
    found = (
        policy.inquiry_party(viewer, INQUIRY),
        policy.quotation_party(viewer, QUOTATION),
        policy.deal_party(viewer, DEAL),
    )
    assert found == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param("buyer", Party.BUYER, id="buyer"),
        pytest.param("maker", Party.PRODUCER, id="listed-producer"),
        pytest.param("rival", None, id="unlisted-producer"),
        pytest.param("other_buyer", None, id="other-buyer"),
        pytest.param("admin", None, id="admin"),
        pytest.param("office", None, id="office"),
        pytest.param("anonymous", None, id="anonymous"),
    ],
)
def test_party_for(role: str, expected: Party | None) -> None:
    assert policy.party_for(VIEWERS[role], BUYER_ORG, [MAKER, OUTSIDER]) is expected


def test_a_producer_id_in_the_buyer_slot_does_not_make_a_producer_the_buyer() -> None:
    # The role decides the side, not only the organisation id.
    assert policy.party_for(VIEWERS["maker"], MAKER, []) is None
    assert policy.party_for(VIEWERS["buyer"], OTHER_BUYER_ORG, [BUYER_ORG]) is None


# --- invitations and threads -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param("maker", [MAKER_INVITATION], id="invited-producer-sees-own-row"),
        pytest.param("rival", [RIVAL_INVITATION], id="competitor-sees-own-row"),
        pytest.param("outsider", [], id="uninvited-producer-sees-none"),
        pytest.param("buyer", [MAKER_INVITATION, RIVAL_INVITATION], id="buyer-sees-all"),
        pytest.param("office", [MAKER_INVITATION, RIVAL_INVITATION], id="office-sees-all"),
        pytest.param("rival_office", [MAKER_INVITATION, RIVAL_INVITATION], id="other-producers-office-sees-all"),
        pytest.param("admin", [MAKER_INVITATION, RIVAL_INVITATION], id="admin-sees-all"),
    ],
)
def test_visible_invitations(role: str, expected: list[Invitation]) -> None:
    assert policy.visible_invitations(VIEWERS[role], INQUIRY) == expected


def test_visible_invitations_is_a_copy() -> None:
    rows = policy.visible_invitations(VIEWERS["buyer"], INQUIRY)
    rows.clear()
    assert len(INQUIRY.invitations) == 2


@pytest.mark.parametrize(
    ("role", "named", "expected"),
    [
        pytest.param("maker", None, MAKER, id="producer-reads-own-thread"),
        pytest.param("maker", RIVAL, MAKER, id="producer-cannot-name-a-competitor"),
        pytest.param("rival", MAKER, RIVAL, id="competitor-reads-only-its-own"),
        pytest.param("outsider", MAKER, None, id="uninvited-producer-reads-none"),
        pytest.param("buyer", MAKER, MAKER, id="buyer-reads-named"),
        pytest.param("buyer", RIVAL, RIVAL, id="buyer-reads-other-named"),
        pytest.param("buyer", None, None, id="buyer-must-name-one"),
        pytest.param("other_buyer", MAKER, None, id="other-buyer-reads-none"),
        pytest.param("admin", MAKER, MAKER, id="admin-reads-named"),
        pytest.param("admin", None, None, id="admin-must-name-one"),
        pytest.param("office", MAKER, None, id="office-reads-no-thread"),
        pytest.param("anonymous", MAKER, None, id="anonymous-reads-none"),
    ],
)
def test_thread_producer(role: str, named: ObjectId | None, expected: ObjectId | None) -> None:
    assert policy.thread_producer(VIEWERS[role], INQUIRY, named) == expected


# --- list filters ------------------------------------------------------------------------------------------


def test_nothing_matches_no_document() -> None:
    assert policy.NOTHING == {"_id": None}


FILTERS: dict[str, tuple[dict[str, object], dict[str, object]]] = {
    # role: (inquiry_filter, deal_filter)
    "anonymous": (policy.NOTHING, policy.NOTHING),
    "admin": ({}, {}),
    "buyer": ({"buyerOrgId": BUYER_ORG}, {"buyerOrgId": BUYER_ORG}),
    "other_buyer": ({"buyerOrgId": OTHER_BUYER_ORG}, {"buyerOrgId": OTHER_BUYER_ORG}),
    "maker": ({"producerIds": MAKER}, {"producerId": MAKER}),
    "rival": ({"producerIds": RIVAL}, {"producerId": RIVAL}),
    "outsider": ({"producerIds": OUTSIDER}, {"producerId": OUTSIDER}),
    "office": ({"producerProvinceCodes": MAKER_PROVINCE}, {"producerProvinceCode": MAKER_PROVINCE}),
    "rival_office": ({"producerProvinceCodes": RIVAL_PROVINCE}, {"producerProvinceCode": RIVAL_PROVINCE}),
    "other_office": ({"producerProvinceCodes": OTHER_PROVINCE}, {"producerProvinceCode": OTHER_PROVINCE}),
    "buyer_without_org": (policy.NOTHING, policy.NOTHING),
    "producer_without_org": (policy.NOTHING, policy.NOTHING),
    "coordinator_without_province": (policy.NOTHING, policy.NOTHING),
}
ALL_VIEWERS: dict[str, Viewer] = {**VIEWERS, **ORPHANS}


@pytest.mark.parametrize("role", list(FILTERS))
def test_filters(role: str) -> None:
    inquiries, deals = FILTERS[role]
    viewer = ALL_VIEWERS[role]
    assert policy.inquiry_filter(viewer) == inquiries
    assert policy.deal_filter(viewer) == deals


def test_trade_filter_is_none_when_nothing_is_visible() -> None:
    fields = {"buyer_field": "b", "producer_field": "p", "province_field": "c"}
    assert policy.trade_filter(None, **fields) is None
    assert policy.trade_filter(ORPHANS["buyer_without_org"], **fields) is None
    assert policy.trade_filter(VIEWERS["office"], **fields) == {"c": MAKER_PROVINCE}


def matches(query: dict[str, object], doc: dict[str, object]) -> bool:
    """The MongoDB equality semantics these filters use: a scalar matches an equal value or an array element."""
    for name, wanted in query.items():
        value = doc.get(name)
        if not (wanted in value if isinstance(value, list) else wanted == value):
            return False
    return True


INQUIRY_DOC: dict[str, object] = {
    "_id": INQUIRY.id,
    "buyerOrgId": BUYER_ORG,
    "producerIds": [MAKER, RIVAL],
    "producerProvinceCodes": [RIVAL_PROVINCE, MAKER_PROVINCE],
}
DEAL_DOC: dict[str, object] = {
    "_id": DEAL.id,
    "buyerOrgId": BUYER_ORG,
    "producerId": MAKER,
    "producerProvinceCode": MAKER_PROVINCE,
}


@pytest.mark.parametrize("role", list(ALL_VIEWERS))
def test_filters_agree_with_the_rule(role: str) -> None:
    viewer = ALL_VIEWERS[role]
    # The inbox lists what the viewer takes part in or oversees; advertised RFQs are the board's to list.
    takes_part = policy.can_see_trade(viewer, BUYER_ORG, policy.invited(INQUIRY), INQUIRY.producer_province_codes)
    assert matches(policy.inquiry_filter(viewer), INQUIRY_DOC) is takes_part
    assert matches(policy.deal_filter(viewer), DEAL_DOC) is policy.can_see_deal(viewer, DEAL)


def test_an_rfq_is_advertised_to_every_producer_only_while_open() -> None:
    outsider = ALL_VIEWERS["outsider"]
    assert policy.can_see_inquiry(outsider, INQUIRY)
    closed = dataclasses.replace(INQUIRY, status=InquiryStatus.CLOSED)
    expired = dataclasses.replace(INQUIRY, expires_at=NOW - timedelta(days=1))
    direct = dataclasses.replace(INQUIRY, kind=InquiryKind.DIRECT)
    for hidden in (closed, expired, direct):
        assert not policy.can_see_inquiry(outsider, hidden)
        assert policy.can_see_inquiry(ALL_VIEWERS["maker"], hidden)  # its parties keep it
    assert not policy.can_see_inquiry(ALL_VIEWERS["other_buyer"], INQUIRY)
    assert not policy.can_see_inquiry(ALL_VIEWERS["other_office"], INQUIRY)
    assert policy.visible_invitations(outsider, INQUIRY) == []


# --- deal moves --------------------------------------------------------------------------------------------

S = DealState
BUYER_MOVES: dict[DealState, list[DealState]] = {
    S.NEGOTIATING: [S.AGREED, S.CANCELLED, S.LOST],
    S.AGREED: [S.ORDERED, S.CANCELLED, S.LOST],
    S.ORDERED: [S.CANCELLED, S.LOST],
    S.DELIVERED: [S.COMPLETED, S.CANCELLED, S.LOST],
    S.COMPLETED: [],
    S.CANCELLED: [],
    S.LOST: [],
}
PRODUCER_MOVES: dict[DealState, list[DealState]] = {
    S.NEGOTIATING: [S.AGREED, S.CANCELLED, S.LOST],
    S.AGREED: [S.CANCELLED, S.LOST],
    S.ORDERED: [S.DELIVERED, S.CANCELLED, S.LOST],
    S.DELIVERED: [S.CANCELLED, S.LOST],
    S.COMPLETED: [],
    S.CANCELLED: [],
    S.LOST: [],
}
NO_MOVES = {state: [] for state in DealState}
MOVES_BY_ROLE: dict[str, dict[DealState, list[DealState]]] = {
    "buyer": BUYER_MOVES,
    "maker": PRODUCER_MOVES,
    "rival": NO_MOVES,
    "other_buyer": NO_MOVES,
    "office": NO_MOVES,
    "admin": NO_MOVES,
    "anonymous": NO_MOVES,
}


@pytest.mark.parametrize(
    ("role", "state"),
    [pytest.param(role, state, id=f"{role}-{state.value}") for role in MOVES_BY_ROLE for state in DealState],
)
def test_deal_moves(role: str, state: DealState) -> None:
    assert policy.deal_moves(VIEWERS[role], deal_in(state)) == MOVES_BY_ROLE[role][state]


# --- guards ------------------------------------------------------------------------------------------------


def forbidden_error(excinfo: pytest.ExceptionInfo[DomainError]) -> tuple[ErrorCode, str | None]:
    assert len(excinfo.value.errors) == 1
    error = excinfo.value.errors[0]
    return error.code, error.field


def test_ensure_buyer_returns_the_buyer() -> None:
    assert policy.ensure_buyer(VIEWERS["buyer"], "send inquiries") is VIEWERS["buyer"]


@pytest.mark.parametrize("role", ["anonymous", "admin", "maker", "office", "buyer_without_org", "producer_without_org"])
def test_ensure_buyer_refuses(role: str) -> None:
    with pytest.raises(DomainError) as excinfo:
        policy.ensure_buyer(ALL_VIEWERS[role], "send inquiries")
    assert forbidden_error(excinfo) == (ErrorCode.FORBIDDEN, None)
    assert "only members of a buyer organisation may send inquiries" in str(excinfo.value)


@pytest.mark.parametrize(
    ("party", "wanted", "allowed"),
    [
        pytest.param(Party.BUYER, Party.BUYER, True, id="buyer-as-buyer"),
        pytest.param(Party.PRODUCER, Party.PRODUCER, True, id="producer-as-producer"),
        pytest.param(Party.PRODUCER, Party.BUYER, False, id="producer-as-buyer"),
        pytest.param(Party.BUYER, Party.PRODUCER, False, id="buyer-as-producer"),
        pytest.param(None, Party.BUYER, False, id="nobody-as-buyer"),
        pytest.param(None, Party.PRODUCER, False, id="nobody-as-producer"),
    ],
)
def test_ensure_party(party: Party | None, wanted: Party, allowed: bool) -> None:
    if allowed:
        assert policy.ensure_party(BUYER_MEMBER, party, wanted, "act") is None
        return
    with pytest.raises(DomainError) as excinfo:
        policy.ensure_party(BUYER_MEMBER, party, wanted, "act")
    assert forbidden_error(excinfo) == (ErrorCode.FORBIDDEN, None)
    assert f"only the {wanted.value.lower()} of this inquiry may act" in str(excinfo.value)


def test_ensure_can_write_thread() -> None:
    assert policy.ensure_can_write_thread(BUYER_MEMBER, Party.BUYER) is Party.BUYER
    assert policy.ensure_can_write_thread(BUYER_MEMBER, Party.PRODUCER) is Party.PRODUCER
    with pytest.raises(DomainError) as excinfo:
        policy.ensure_can_write_thread(BUYER_MEMBER, None)
    assert forbidden_error(excinfo) == (ErrorCode.FORBIDDEN, None)


def test_only_the_buyer_counter_offers() -> None:
    assert policy.may_counter_offer(Party.BUYER) is True
    assert policy.may_counter_offer(Party.PRODUCER) is False


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param("maker", MAKER, id="producer-own-catalogue"),
        pytest.param("rival", RIVAL, id="other-producer-own-catalogue"),
        pytest.param("admin", None, id="admin-every-rfq"),
    ],
)
def test_board_reader(role: str, expected: ObjectId | None) -> None:
    assert policy.board_reader(VIEWERS[role]) == expected


@pytest.mark.parametrize(
    ("role", "message"),
    [
        pytest.param("anonymous", "sign in to see the RFQ board", id="anonymous"),
        pytest.param("buyer", "the RFQ board is for producers", id="buyer"),
        pytest.param("office", "the RFQ board is for producers", id="office"),
        pytest.param("producer_without_org", "the RFQ board is for producers", id="producer-without-org"),
    ],
)
def test_board_reader_refuses(role: str, message: str) -> None:
    with pytest.raises(DomainError) as excinfo:
        policy.board_reader(ALL_VIEWERS[role])
    assert forbidden_error(excinfo) == (ErrorCode.FORBIDDEN, None)
    assert excinfo.value.errors[0].message == message


MOU_SIGNERS = {"buyer", "maker"}


@pytest.mark.parametrize("role", ROLES)
def test_ensure_can_sign_mou(role: str) -> None:
    viewer = VIEWERS[role]
    if role in MOU_SIGNERS:
        assert policy.ensure_can_sign_mou(viewer, DEAL) is viewer
        return
    with pytest.raises(DomainError) as excinfo:
        policy.ensure_can_sign_mou(viewer, DEAL)
    assert forbidden_error(excinfo) == (ErrorCode.FORBIDDEN, None)


# --- trade events and statistics ---------------------------------------------------------------------------

# role: may organise an event in / see the event report of / read the statistics of MAKER_PROVINCE
EVENT_AND_STATS: dict[str, bool] = {
    "anonymous": False,
    "admin": True,
    "buyer": False,
    "other_buyer": False,
    "maker": False,
    "rival": False,
    "outsider": False,
    "office": True,
    "rival_office": False,
    "other_office": False,
}


@pytest.mark.parametrize(("role", "allowed"), list(EVENT_AND_STATS.items()), ids=list(EVENT_AND_STATS))
def test_can_see_event_report(role: str, allowed: bool) -> None:
    assert policy.can_see_event_report(VIEWERS[role], MAKER_PROVINCE) is allowed


@pytest.mark.parametrize(("role", "allowed"), list(EVENT_AND_STATS.items()), ids=list(EVENT_AND_STATS))
def test_ensure_can_organise_event(role: str, allowed: bool) -> None:
    if allowed:
        assert policy.ensure_can_organise_event(VIEWERS[role], MAKER_PROVINCE) is None
        return
    with pytest.raises(DomainError) as excinfo:
        policy.ensure_can_organise_event(VIEWERS[role], MAKER_PROVINCE)
    assert forbidden_error(excinfo) == (ErrorCode.FORBIDDEN, None)


@pytest.mark.parametrize(("role", "allowed"), list(EVENT_AND_STATS.items()), ids=list(EVENT_AND_STATS))
def test_ensure_can_read_stats_of_a_province(role: str, allowed: bool) -> None:
    if allowed:
        assert policy.ensure_can_read_stats(VIEWERS[role], MAKER_PROVINCE) is None
        return
    with pytest.raises(DomainError) as excinfo:
        policy.ensure_can_read_stats(VIEWERS[role], MAKER_PROVINCE)
    assert forbidden_error(excinfo) == (ErrorCode.FORBIDDEN, "province")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        pytest.param("admin", True, id="admin"),
        pytest.param("office", False, id="office"),
        pytest.param("buyer", False, id="buyer"),
        pytest.param("anonymous", False, id="anonymous"),
    ],
)
def test_ensure_can_read_national_stats(role: str, allowed: bool) -> None:
    """No province: the whole country, for admins only."""
    if allowed:
        assert policy.ensure_can_read_stats(VIEWERS[role], None) is None
        return
    with pytest.raises(DomainError) as excinfo:
        policy.ensure_can_read_stats(VIEWERS[role], None)
    assert forbidden_error(excinfo) == (ErrorCode.FORBIDDEN, "province")
