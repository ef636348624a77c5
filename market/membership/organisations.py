"""An organisation as a whole: a buyer organisation or a producer, with its status and province."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bson import ObjectId

from market.accounts.records import BuyerOrg, OrgKind, OrgStatus
from market.catalog.records import Producer
from market.core.errors import not_found
from market.core.ids import object_id_of

if TYPE_CHECKING:
    from market.store import Store


@dataclass(frozen=True, slots=True)
class Organisation:
    kind: OrgKind
    record: BuyerOrg | Producer

    @property
    def id(self) -> ObjectId:
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def status(self) -> OrgStatus:
        return self.record.status

    @property
    def province_code(self) -> str | None:
        if isinstance(self.record, Producer):
            return self.record.address.province_code
        return self.record.province_code


async def find_organisation(store: Store, reference: str | ObjectId, field: str = "id") -> Organisation:
    """By global id (`Producer:…`, `BuyerOrganisation:…`) or raw id; a typed NOT_FOUND otherwise."""
    oid = reference if isinstance(reference, ObjectId) else object_id_of(reference, ("Producer", "BuyerOrganisation"))
    if oid is not None:
        if (buyer := await store.buyers.get(oid)) is not None:
            return Organisation(OrgKind.BUYER, buyer)
        if (producer := await store.producers.get(oid)) is not None:
            return Organisation(OrgKind.PRODUCER, producer)
    raise not_found(field, "organisation")
