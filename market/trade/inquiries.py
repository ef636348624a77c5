"""Purchase inquiries and open RFQs: submitting, matchmaking, negotiation messages, closing and expiry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from market.accounts.policy import Viewer
from market.catalog.records import ProductStatus, Variant
from market.catalog.validation import MAX_MOQ, Checker, parse_certification, parse_group
from market.core.clock import today, utcnow
from market.core.errors import DomainError, not_found
from market.core.ids import parse_object_id
from market.core.paging import Listing, PageRequest
from market.storage.transactions import in_transaction
from market.trade import announcements, policy
from market.trade.pipeline import Party
from market.trade.records import ClosedReason, Criteria, Inquiry, InquiryKind, InquiryStatus, Message

if TYPE_CHECKING:
    from market.store import Store

DEFAULT_EXPIRY_DAYS = 14
MAX_EXPIRY_DAYS = 90
DEFAULT_INVITED = 10
MAX_MESSAGE = 2000


@dataclass(frozen=True, slots=True)
class Match:
    """A producer the matchmaker invites, with the products that made it match."""

    producer_id: ObjectId
    product_ids: list[ObjectId] = field(default_factory=list)
    reason: str = ""


Matcher = Callable[[Criteria, int], Awaitable[list[Match]]]


def _criteria(check: Checker, raw: Mapping[str, Any]) -> Criteria:
    groups = []
    for value in raw.get("groups") or []:
        group = parse_group(value)
        if group is None:
            check.add("unknown_value", "criteria.groups", what="OCOP product group", got=str(value))
        else:
            groups.append(group.value)
    provinces = []
    for index, value in enumerate(raw.get("provinces") or []):
        match = check.province(f"criteria.provinces[{index}]", value, required=True)
        if match:
            provinces.append(match.province.code)
    certs = []
    for value in raw.get("certifications") or []:
        cert = parse_certification(value)
        if cert is None:
            check.add("unknown_value", "criteria.certifications", what="certification", got=str(value))
        else:
            certs.append(cert.value)
    min_stars = check.stars("criteria.minStars", raw.get("minStars"), required=False)
    query = (check.text("criteria.query", raw.get("query"), required=False, max_len=200) or "").strip()
    # A query of spaces asks for nothing: it had sent an RFQ without a condition to unrelated producers.
    given = ("groups", "provinces", "minStars", "certifications")
    if not query and not any(raw.get(k) for k in given):
        check.add("criteria_required", "criteria")
    # Each condition once: old provinces merged into one current province are that province.
    return Criteria(
        query=query,
        groups=list(dict.fromkeys(groups)),
        provinces=list(dict.fromkeys(provinces)),
        min_stars=min_stars,
        certifications=list(dict.fromkeys(certs)),
    )


def _clean(data: Mapping[str, Any]) -> tuple[dict[str, Any], Criteria | None, str | None]:
    check = Checker()
    product_ref = data.get("productId")
    raw_criteria = data.get("criteria")
    criteria = None
    if bool(product_ref) == bool(raw_criteria):
        check.add("product_or_criteria", "productId")
    if data.get("variantId") and not product_ref:
        check.add("variant_needs_product", "variantId")
    elif raw_criteria:
        criteria = _criteria(check, raw_criteria)
    out: dict[str, Any] = {
        "quantity": check.integer("quantity", data.get("quantity"), required=True, minimum=1, maximum=MAX_MOQ),
        "unit": check.text("unit", data.get("unit"), required=True, max_len=50),
        "message": check.text("message", data.get("message"), required=False, max_len=MAX_MESSAGE) or "",
    }
    if data.get("targetUnitPriceVnd") is not None:
        out["targetUnitPriceVnd"] = check.price("targetUnitPriceVnd", data["targetUnitPriceVnd"], required=False)
    if data.get("deliveryProvince"):
        match = check.province("deliveryProvince", data["deliveryProvince"], required=False)
        out["deliveryProvinceCode"] = match.province.code if match else None
    needed_by = check.day("neededBy", data.get("neededBy"))
    if needed_by is not None and needed_by < today():
        check.add("in_the_past", "neededBy")
    out["neededBy"] = datetime(needed_by.year, needed_by.month, needed_by.day, tzinfo=UTC) if needed_by else None
    days = data.get("expiresInDays")
    out["expiresInDays"] = (
        DEFAULT_EXPIRY_DAYS
        if days is None
        else check.integer("expiresInDays", days, required=True, minimum=1, maximum=MAX_EXPIRY_DAYS)
    )
    check.raise_if_any()
    return out, criteria, str(product_ref) if product_ref else None


def _criteria_doc(criteria: Criteria) -> dict[str, Any]:
    return {
        "query": criteria.query,
        "groups": criteria.groups,
        "provinces": criteria.provinces,
        "minStars": criteria.min_stars,
        "certifications": criteria.certifications,
    }


def idempotency_payload(data: Mapping[str, Any]) -> dict[str, str]:
    """What a retry must repeat for its idempotency key to return the first result."""
    return {k: str(v) for k, v in data.items()}


async def submit_inquiry(
    store: Store,
    viewer: Viewer,
    data: Mapping[str, Any],
    matcher: Matcher,
    *,
    idempotency_key: str | None = None,
    invite_limit: int = DEFAULT_INVITED,
    operation: str = "submitInquiry",
    also: Callable[[AsyncClientSession, ObjectId], Awaitable[None]] | None = None,
) -> Inquiry:
    """`also` writes, in the inquiry's own transaction, what else the new inquiry changes (a sample request
    it came from); `operation` names the mutation its idempotency key belongs to."""
    buyer = policy.ensure_buyer(viewer, "submit inquiries")
    payload = idempotency_payload(data)
    if (
        done := await store.idempotency.replay(
            account_id=buyer.account_id,
            operation=operation,
            key=idempotency_key,
            payload=payload,
            load=store.trade.inquiry,
        )
    ) is not None:
        return done
    fields, criteria, product_ref = _clean(data)
    invitations: list[Match]
    product_id = None
    variant: Variant | None = None
    if product_ref is not None:
        product_id = parse_object_id(product_ref, "productId", "product")
        product = await store.products.get(product_id)
        if product is None or product.status is not ProductStatus.PUBLISHED:
            raise not_found("productId", "product")
        if data.get("variantId"):
            variant = product.variant(str(data["variantId"]))
            if variant is None:
                raise not_found("variantId", "variant")
        invitations = [Match(product.producer_id, [product.id], f"direct inquiry about {product.name}")]
    else:
        assert criteria is not None
        invitations = await matcher(criteria, invite_limit)
    producers = {p.id: p for p in await store.producers.get_many([m.producer_id for m in invitations])}
    buyer_org = await store.buyers.get(buyer.org_id) if buyer.org_id is not None else None
    now = utcnow()
    doc: dict[str, Any] = {
        "kind": (InquiryKind.DIRECT if product_id else InquiryKind.OPEN).value,
        "buyerOrgId": buyer.org_id,
        "createdBy": buyer.account_id,
        "productId": product_id,
        "variant": variant.to_doc() if variant else None,
        "criteria": _criteria_doc(criteria) if criteria else None,
        "quantity": fields["quantity"],
        "unit": fields["unit"],
        "targetUnitPriceVnd": fields.get("targetUnitPriceVnd"),
        "deliveryProvinceCode": fields.get("deliveryProvinceCode"),
        "neededBy": fields["neededBy"],
        "message": fields["message"],
        "expiresAt": now + timedelta(days=fields["expiresInDays"]),
        "status": InquiryStatus.OPEN.value,
        "closedReason": None,
        "invitations": [
            {"producerId": m.producer_id, "productIds": m.product_ids, "reason": m.reason, "status": "invited"}
            for m in invitations
            if m.producer_id in producers
        ],
        "producerIds": [m.producer_id for m in invitations if m.producer_id in producers],
        "producerProvinceCodes": sorted({p.address.province_code for p in producers.values()}),
        "createdAt": now,
        "updatedAt": now,
        "version": 1,
    }

    async def insert(session: AsyncClientSession) -> ObjectId:
        inquiry_id = await store.trade.insert_inquiry(doc, session)
        names = {p.id: p.name for p in producers.values()}
        buyer_name = buyer_org.name if buyer_org else ""
        await announcements.inquiry_invited(store, session, inquiry_id, doc, buyer_name, names)
        if also is not None:
            await also(session, inquiry_id)
        return inquiry_id

    inquiry_id, _ = await store.idempotency.once(
        account_id=buyer.account_id, operation=operation, key=idempotency_key, payload=payload, work=insert
    )
    inquiry = await store.trade.inquiry(inquiry_id)
    assert inquiry is not None
    return inquiry


async def visible_inquiry(store: Store, viewer: Viewer, inquiry_id: str, field: str = "inquiryId") -> Inquiry:
    """The inquiry, or NOT_FOUND when it does not exist or the viewer may not see it (no existence leak)."""
    oid = parse_object_id(inquiry_id, field, "inquiry")
    inquiry = await store.trade.inquiry(oid)
    if inquiry is None or not policy.can_see_inquiry(viewer, inquiry):
        raise not_found(field, "inquiry")
    return inquiry


async def inbox(store: Store, viewer: Viewer, request: PageRequest, *, open_only: bool = False) -> Listing[Inquiry]:
    """The inquiries a viewer sent (buyers), was invited to (producers) or oversees, newest first."""
    query = policy.inquiry_filter(viewer)
    if open_only:
        query = {**query, "status": InquiryStatus.OPEN.value, "expiresAt": {"$gt": utcnow()}}
    return Listing(await store.trade.inquiry_page(query, request), lambda: store.trade.count_inquiries(query))


def ensure_open(inquiry: Inquiry, action: str) -> None:
    if inquiry.effective_status is InquiryStatus.CLOSED:
        reason = inquiry.effective_closed_reason
        why = (
            {
                ClosedReason.EXPIRED: "expired_on",
                ClosedReason.BUYER_CLOSED: "closed_by_buyer",
                ClosedReason.ACCEPTED: "quotation_accepted",
            }.get(reason, "closed")
            if reason
            else "closed"
        )
        raise DomainError.of(
            "inquiry_closed", "inquiryId", action=action, reason=why, expiredOn=f"{inquiry.expires_at:%Y-%m-%d}"
        )


async def close_inquiry(store: Store, viewer: Viewer, inquiry_id: str) -> Inquiry:
    inquiry = await visible_inquiry(store, viewer, inquiry_id)
    policy.ensure_party(viewer, policy.inquiry_party(viewer, inquiry), Party.BUYER, "close it")
    ensure_open(inquiry, "more changes")
    await store.trade.close_inquiry(inquiry.id, ClosedReason.BUYER_CLOSED.value)
    closed = await store.trade.inquiry(inquiry.id)
    assert closed is not None
    return closed


async def expire_inquiries(store: Store) -> int:
    """Write `closed/expired` on inquiries past their expiry (reads already treat them as closed)."""
    return await store.trade.close_expired_inquiries(ClosedReason.EXPIRED.value)


async def send_message(store: Store, viewer: Viewer, inquiry_id: str, data: Mapping[str, Any]) -> Message:
    """A message in the thread of one inquiry and one producer; the buyer may attach a counter-offer."""
    inquiry = await visible_inquiry(store, viewer, inquiry_id)
    party = policy.ensure_can_write_thread(viewer, policy.inquiry_party(viewer, inquiry))
    assert viewer is not None
    invited = policy.invited(inquiry)
    check = Checker()
    body = check.text("body", data.get("body"), required=True, max_len=MAX_MESSAGE)
    counter: dict[str, Any] | None = None
    if data.get("counterUnitPriceVnd") is not None or data.get("counterQuantity") is not None:
        if not policy.may_counter_offer(party):
            check.add("only_buyer_counters", "counterUnitPriceVnd")
        counter = {
            "targetUnitPriceVnd": check.price("counterUnitPriceVnd", data.get("counterUnitPriceVnd"), required=False),
            "quantity": check.integer(
                "counterQuantity", data.get("counterQuantity"), required=False, minimum=1, maximum=MAX_MOQ
            ),
        }
    if party is Party.BUYER:
        producer_ref = data.get("producerId")
        if not producer_ref:
            check.add("thread_producer_required", "producerId")
            producer_id = None
        else:
            producer_id = parse_object_id(str(producer_ref), "producerId", "producer")
            if producer_id not in invited:
                check.add("not_invited", "producerId")
    else:
        producer_id = viewer.org_id
    check.raise_if_any()
    ensure_open(inquiry, "messages")
    doc = {
        "inquiryId": inquiry.id,
        "producerId": producer_id,
        "buyerOrgId": inquiry.buyer_org_id,
        "authorId": viewer.account_id,
        "authorName": viewer.name,
        "side": party.value,
        "body": body,
        "counterOffer": counter,
        "createdAt": utcnow(),
    }

    async def write(session: AsyncClientSession) -> ObjectId:
        message_id = await store.trade.insert_message(doc, session)
        await announcements.thread_message(store, session, message_id, doc)
        return message_id

    return Message.from_doc({**doc, "_id": await in_transaction(store.client, write)})


def board_provinces(values: Sequence[str]) -> list[str]:
    """The provinces an RFQ board filter names, as the current codes the board's RFQs ask for: a code or any
    current or old name, as a follow takes them. UNKNOWN_PROVINCE for one the registry does not know, rather
    than an empty board."""
    check = Checker()
    matches = check.filter_provinces(values)
    check.raise_if_any()
    return list(dict.fromkeys(match.province.code for match in matches))


@dataclass(frozen=True, slots=True)
class BoardProfile:
    """What a producer's published catalogue can meet: its OCOP groups, province and best rating."""

    groups: list[str]
    province_code: str | None
    best_stars: int


async def board_profile(store: Store, viewer: Viewer) -> BoardProfile | None:
    """What narrows the RFQ board for this viewer; None for an admin, who sees every open RFQ."""
    producer_id = policy.board_reader(viewer)
    if producer_id is None:
        return None
    producer = await store.producers.get(producer_id)
    groups, best_stars = await store.products.published_profile(producer_id)
    return BoardProfile(
        groups=groups,
        province_code=producer.address.province_code if producer else None,
        best_stars=best_stars,
    )
