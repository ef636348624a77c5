"""Sample requests: a buyer asks a producer for samples of a published product, the producer ships them or
declines, and an accepted request can become a direct inquiry about the same product.

The rules are the inquiries': who sees and who acts is market.trade.policy's question, a request creating
something takes an idempotency key, and every change reaches the parties' feeds (market.trade.feeds)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from market.accounts.policy import Viewer
from market.catalog.records import ProductStatus
from market.catalog.validation import Checker
from market.core.clock import midnight, today, utcnow
from market.core.errors import DomainError, not_found
from market.core.ids import parse_object_id
from market.core.paging import Listing, PageRequest
from market.trade import policy
from market.trade.inquiries import Match, idempotency_payload, submit_inquiry
from market.trade.pipeline import Party
from market.trade.records import Criteria, Inquiry, SampleRequest, SampleRequestStatus

if TYPE_CHECKING:
    from market.store import Store

# Samples are a handful of units, not an order: more is an inquiry's business.
MAX_SAMPLE_QUANTITY = 1000
MAX_ADDRESS = 500
MAX_NOTE = 2000
MAX_REASON = 500
MAX_CARRIER = 100


def _clean_request(data: Mapping[str, Any]) -> dict[str, Any]:
    check = Checker()
    quantity = check.integer("quantity", data.get("quantity"), required=True, minimum=1, maximum=MAX_SAMPLE_QUANTITY)
    unit = check.text("unit", data.get("unit"), required=False, max_len=50)
    address = check.text("deliveryAddress", data.get("deliveryAddress"), required=True, max_len=MAX_ADDRESS)
    needed_by = check.day("neededBy", data.get("neededBy"), earliest=today())
    note = check.text("note", data.get("note"), required=False, max_len=MAX_NOTE) or ""
    check.raise_if_any()
    return {
        "quantity": quantity,
        "unit": unit,
        "deliveryAddress": address,
        "neededBy": midnight(needed_by) if needed_by else None,
        "note": note,
    }


async def request_samples(
    store: Store, viewer: Viewer, data: Mapping[str, Any], *, idempotency_key: str | None = None
) -> SampleRequest:
    """A buyer asks the producer of a published product for samples of it."""
    buyer = policy.ensure_buyer(viewer, "request samples")
    payload = idempotency_payload(data)
    done = await store.idempotency.replay(
        account_id=buyer.account_id, operation="requestSamples", key=idempotency_key, payload=payload,
        load=store.sample_requests.get,
    )  # fmt: skip
    if done is not None:
        return done
    if not data.get("productId"):
        raise DomainError.of("required", "productId")
    product = await store.products.get(parse_object_id(str(data["productId"]), "productId", "product"))
    if product is None or product.status is not ProductStatus.PUBLISHED:
        raise not_found("productId", "product")
    producer = await store.producers.get(product.producer_id)
    if producer is None:
        raise not_found("productId", "product")
    fields = _clean_request(data)
    now = utcnow()
    doc = {
        **fields,
        "unit": fields["unit"] or product.unit,
        "buyerOrgId": buyer.org_id,
        "createdBy": buyer.account_id,
        "productId": product.id,
        "producerId": producer.id,
        "producerProvinceCode": producer.address.province_code,
        "status": SampleRequestStatus.REQUESTED.value,
        "shipping": None,
        "declineReason": None,
        "inquiryId": None,
        "createdAt": now,
        "updatedAt": now,
        "version": 1,
    }

    async def insert(session: AsyncClientSession) -> ObjectId:
        return await store.sample_requests.insert(doc, session)

    request_id, _ = await store.idempotency.once(
        account_id=buyer.account_id, operation="requestSamples", key=idempotency_key, payload=payload, work=insert
    )
    created = await store.sample_requests.get(request_id)
    assert created is not None
    return created


async def visible_sample_request(store: Store, viewer: Viewer, request_id: str, field: str = "id") -> SampleRequest:
    """The request, or NOT_FOUND when it does not exist or the viewer may not see it (no existence leak)."""
    request = await store.sample_requests.get(parse_object_id(request_id, field, "sample request"))
    if request is None or not policy.can_see_sample_request(viewer, request):
        raise not_found(field, "sample request")
    return request


def _still_waiting(request: SampleRequest) -> None:
    if request.status is not SampleRequestStatus.REQUESTED:
        raise DomainError.of("sample_request_is", "id", status=request.status.name)


async def _answer(
    store: Store, request: SampleRequest, status: SampleRequestStatus, fields: dict[str, Any]
) -> SampleRequest:
    answered = await store.sample_requests.answer(request.id, status, fields)
    if answered is None:  # answered by a colleague meanwhile
        current = await store.sample_requests.get(request.id)
        raise DomainError.of("sample_request_is", "id", status=(current or request).status.name)
    return answered


async def accept_sample_request(
    store: Store, viewer: Viewer, request_id: str, shipping: Mapping[str, Any]
) -> SampleRequest:
    """The producer ships the samples, and says how."""
    request = await visible_sample_request(store, viewer, request_id)
    policy.ensure_sample_party(viewer, request, Party.PRODUCER, "accept it")
    _still_waiting(request)
    check = Checker()
    carrier = check.text("shipping.carrier", shipping.get("carrier"), required=True, max_len=MAX_CARRIER)
    tracking = check.text("shipping.trackingNumber", shipping.get("trackingNumber"), required=False, max_len=100)
    shipped_on = check.day("shipping.shippedOn", shipping.get("shippedOn")) or today()
    if shipped_on < request.created_at.date():
        check.add("before", "shipping.shippedOn", other=request.created_at.date().isoformat())
    check.raise_if_any()
    record = {"carrier": carrier, "trackingNumber": tracking, "shippedOn": midnight(shipped_on)}
    return await _answer(store, request, SampleRequestStatus.ACCEPTED, {"shipping": record})


async def decline_sample_request(store: Store, viewer: Viewer, request_id: str, reason: str | None) -> SampleRequest:
    """The producer declines, with a reason the buyer reads."""
    request = await visible_sample_request(store, viewer, request_id)
    policy.ensure_sample_party(viewer, request, Party.PRODUCER, "decline it")
    _still_waiting(request)
    check = Checker()
    text = check.text("reason", reason, required=True, max_len=MAX_REASON)
    check.raise_if_any()
    return await _answer(store, request, SampleRequestStatus.DECLINED, {"declineReason": text})


async def convert_to_inquiry(
    store: Store,
    viewer: Viewer,
    request_id: str,
    data: Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
) -> Inquiry:
    """After the samples, the buyer asks the producer for a quotation: a direct inquiry about the same product,
    linked to the request in the same transaction, once per request."""
    request = await visible_sample_request(store, viewer, request_id)
    buyer = policy.ensure_sample_party(viewer, request, Party.BUYER, "convert it")
    inquiry_data = {**data, "productId": str(request.product_id)}
    done = await store.idempotency.replay(
        account_id=buyer.account_id, operation="convertToInquiry", key=idempotency_key,
        payload=idempotency_payload(inquiry_data), load=store.trade.inquiry,
    )  # fmt: skip
    if done is not None:
        return done
    if request.inquiry_id is not None:
        raise DomainError.of("sample_already_converted", "id")
    if request.status is not SampleRequestStatus.ACCEPTED:
        raise DomainError.of("sample_request_is", "id", status=request.status.name)

    async def link(session: AsyncClientSession, inquiry_id: ObjectId) -> None:
        if not await store.sample_requests.link_inquiry(request.id, inquiry_id, session):
            raise DomainError.of("sample_already_converted", "id")

    return await submit_inquiry(
        store, viewer, inquiry_data, _direct_only, idempotency_key=idempotency_key, operation="convertToInquiry",
        also=link,
    )  # fmt: skip


async def _direct_only(criteria: Criteria, limit: int) -> list[Match]:
    raise AssertionError("an inquiry from a sample request is about its product: no matchmaking")


async def sample_request_list(
    store: Store, viewer: Viewer, request: PageRequest, *, status: SampleRequestStatus | None = None
) -> Listing[SampleRequest]:
    """The requests a buyer sent, a producer received, an office oversees (its province's producers'), or all
    for admins; newest first."""
    query = policy.sample_request_filter(viewer)
    if status is not None:
        query = {**query, "status": status.value}
    return Listing(await store.sample_requests.page(query, request), lambda: store.sample_requests.count(query))
