"""Signing up an organisation with its owner, and its review by the provincial OCOP office.

An organisation starts PENDING: its members sign in, browse and keep drafts, while every trade action answers
ORG_NOT_VERIFIED (market/accounts/policy.py) until the office of its province, or an admin, verifies it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from market.accounts import audit
from market.accounts import policy as accounts_policy
from market.accounts.passwords import hash_password, strength_errors
from market.accounts.people import email_errors, name_errors, normal_email
from market.accounts.policy import Viewer
from market.accounts.records import BuyerKind, MemberRole, OrgKind, OrgStatus, Role
from market.accounts.sessions import send_email_verification
from market.catalog.services import clean_producer, nest_fields
from market.catalog.validation import MAX_NAME, Checker
from market.core.errors import DomainError, FieldError, forbidden
from market.core.ids import global_id_of
from market.core.paging import Listing, Page, PageRequest
from market.core.text import nfc
from market.events import names
from market.membership.organisations import Organisation, find_organisation
from market.storage.transactions import in_transaction

if TYPE_CHECKING:
    from market.store import Store

LOCALES = ("vi", "en")


def _owner(data: Mapping[str, Any]) -> tuple[str, str, str, str, list[FieldError]]:
    owner = data.get("owner") or {}
    name = nfc(owner.get("name") or "")
    email = normal_email(owner.get("email"))
    password = str(owner.get("password") or "")
    locale = str(owner.get("locale")) if owner.get("locale") in LOCALES else "vi"
    errors = [
        *name_errors(name, "owner.name"),
        *email_errors(email, "owner.email"),
        *strength_errors(password, "owner.password", email=email, name=name),
    ]
    return name, email, password, locale, errors


def clean_registration(data: Mapping[str, Any]) -> tuple[OrgKind, dict[str, Any], list[FieldError]]:
    """The organisation's fields, validated by kind; every error at once."""
    kind = OrgKind(data["kind"])
    other = OrgKind.PRODUCER if kind is OrgKind.BUYER else OrgKind.BUYER
    errors: list[FieldError] = []
    own = ("buyerKind",) if kind is OrgKind.BUYER else ("producerType", "commune")
    foreign = ("producerType", "commune") if kind is OrgKind.BUYER else ("buyerKind",)
    for field in own:
        if not data.get(field):
            errors.append(FieldError.of("kind_field_required", field, kind=kind.name))
    for field in foreign:
        if data.get(field):
            errors.append(FieldError.of("kind_field_not_allowed", field, kind=kind.name, other=other.name))
    if kind is OrgKind.PRODUCER:
        fields: dict[str, Any] = {}
        try:
            fields = clean_producer(
                {
                    "name": data.get("name"),
                    "type": data.get("producerType"),
                    "province": data.get("province"),
                    **{k: data[k] for k in ("commune", "street", "phone") if data.get(k)},
                },
                partial=False,
            )
        except DomainError as exc:
            renamed = {"type": "producerType"}
            errors += [e.moved(renamed.get(e.field or "", e.field)) for e in exc.errors]
        return kind, fields, errors
    check = Checker()
    name = check.text("name", data.get("name"), required=True, max_len=MAX_NAME)
    province = check.province("province", data.get("province"), required=True)
    phone = check.phone("phone", data["phone"]) if data.get("phone") else None
    doc: dict[str, Any] = {"name": name, "kind": BuyerKind(data["buyerKind"]).value if data.get("buyerKind") else None}
    if province is not None:
        doc["provinceCode"] = province.province.code
    if phone:
        doc["phone"] = phone
    return kind, doc, errors + check.errors


async def register_organisation(store: Store, data: Mapping[str, Any]) -> Organisation:
    kind, fields, errors = clean_registration(data)
    owner_name, email, password, locale, owner_errors = _owner(data)
    errors += owner_errors
    if not owner_errors and await store.accounts.email_taken(email):
        errors.append(FieldError.of("email_taken", "owner.email"))
    if errors:
        raise DomainError(errors)
    hashed = await hash_password(password)

    async def write(session: AsyncClientSession) -> Organisation:
        if kind is OrgKind.BUYER:
            record: Any = await store.buyers.insert(
                {**fields, "contactEmail": email, "status": OrgStatus.PENDING.value}, session
            )
        else:
            doc = nest_fields({**fields, "contact.email": email, "contact.person": owner_name})
            record = await store.producers.insert(
                {**doc, "verified": False, "status": OrgStatus.PENDING.value}, session
            )
        organisation = Organisation(kind, record)
        owner = await store.accounts.insert(
            {
                "name": owner_name,
                "email": email,
                "role": (Role.BUYER if kind is OrgKind.BUYER else Role.PRODUCER).value,
                "orgId": organisation.id,
                "orgRole": MemberRole.OWNER.value,
                "orgStatus": OrgStatus.PENDING.value,
                "passwordHash": hashed,
                "emailVerified": False,
                "locale": locale,
            },
            session,
        )
        await store.reviews.add(organisation.id, kind, organisation.province_code, session)
        await send_email_verification(store, owner, session)
        await audit.record(
            store,
            accounts_policy.principal_of(owner),
            "organisation.registered",
            "Organisation",
            organisation.id,
            session=session,
            org_id=organisation.id,
            province_code=organisation.province_code,
            after={"kind": kind.value, "name": organisation.name, "status": OrgStatus.PENDING.value},
        )
        return organisation

    try:
        return await in_transaction(store.client, write)
    except DuplicateKeyError as exc:
        if "email" in str(exc.details or exc):
            raise DomainError.of("email_taken", "owner.email") from exc
        raise DomainError.of("org_name_taken", "name") from exc


async def review_organisation(
    store: Store, viewer: Viewer, reference: str, *, accept: bool, note: str | None
) -> Organisation:
    """Verify (accept) or reject a pending organisation, with its members, in one transaction; each owner is
    told by email."""
    organisation = await find_organisation(store, reference)
    if not accounts_policy.may_review(viewer, organisation.province_code):
        raise forbidden("forbidden_review_province")
    assert viewer is not None
    cleaned = nfc(note or "")
    if not accept and not cleaned:
        raise DomainError.of("required", "reason")
    if len(cleaned) > 1000:
        raise DomainError.of("too_long", "note" if accept else "reason", max=1000, got=len(cleaned))
    if organisation.status is not OrgStatus.PENDING:
        raise DomainError.of("review_state", "id", status=organisation.status.name)
    status = OrgStatus.VERIFIED if accept else OrgStatus.REJECTED
    review = {"by": viewer.account_id, "byName": viewer.name, "note": cleaned or None}

    async def write(session: AsyncClientSession) -> Organisation:
        repo: Any = store.buyers if organisation.kind is OrgKind.BUYER else store.producers
        updated = await repo.set_status(organisation.id, status, review, session)
        if updated is None:
            raise DomainError.of("review_state", "id", status="REVIEWED")
        await store.accounts.set_org_status(organisation.id, status, session)
        await store.reviews.close(organisation.id, status, session)
        await audit.record(
            store,
            viewer,
            "organisation.verified" if accept else "organisation.rejected",
            "Organisation",
            organisation.id,
            session=session,
            org_id=organisation.id,
            province_code=organisation.province_code,
            before={"status": OrgStatus.PENDING.value},
            after={"status": status.value, "note": cleaned or None},
        )
        if accept:
            await store.events.record(
                names.ORGANISATION_VERIFIED,
                {
                    "organisation": global_id_of(
                        "BuyerOrganisation" if organisation.kind is OrgKind.BUYER else "Producer", organisation.id
                    ),
                    "name": organisation.name,
                    "note": cleaned,
                },
                accounts_policy.organisation_audience(organisation.id),
                session,
            )
        for member in await store.accounts.members(organisation.id, session):
            if member.org_role is MemberRole.OWNER and member.email:
                await store.mail.enqueue(
                    to=member.email,
                    template="organisation_verified" if accept else "organisation_rejected",
                    locale=member.locale,
                    params={"name": member.name, "organisation": organisation.name}
                    | ({"note": cleaned} if accept else {"reason": cleaned}),
                    session=session,
                )
        return Organisation(organisation.kind, updated)

    return await in_transaction(store.client, write)


async def pending_organisations(store: Store, viewer: Viewer, request: PageRequest) -> Listing[Organisation]:
    """The review queue: a coordinator's province, or every province for an admin; oldest first."""
    province = accounts_policy.review_scope(viewer)
    queued = await store.reviews.pending_page(province, request)
    items = [(await find_organisation(store, org_id), cursor) for (_, org_id), cursor in queued.items]
    page = Page(items=items, has_next=queued.has_next, has_previous=queued.has_previous)
    return Listing(page=page, count=lambda: store.reviews.pending_count(province))
