"""The principal a request acts as. The rules of what it may do live in each domain's policy module."""

from __future__ import annotations

from dataclasses import dataclass

from bson import ObjectId

from market.accounts.records import Role


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: ObjectId
    name: str
    role: Role
    org_id: ObjectId | None = None
    province_code: str | None = None
    key_id: ObjectId | None = None  # the API key the request came with

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def is_member_of(self, org_id: ObjectId) -> bool:
        return self.role in (Role.PRODUCER, Role.BUYER) and self.org_id == org_id

    def coordinates(self, province_code: str) -> bool:
        return self.role is Role.COORDINATOR and self.province_code == province_code


# None: an anonymous request.
Viewer = Principal | None


def can_revoke_key(viewer: Viewer, key_account_id: ObjectId) -> bool:
    """Admins revoke any key; everyone else only the keys of their own account."""
    return viewer is not None and (viewer.is_admin or viewer.account_id == key_account_id)
