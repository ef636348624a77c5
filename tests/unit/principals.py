"""Principals for the policy tables: a fresh account of a role, optionally in an organisation or a province."""

from __future__ import annotations

from bson import ObjectId

from market.accounts.policy import Principal
from market.accounts.records import Role


def principal(role: Role, org_id: ObjectId | None = None, province_code: str | None = None) -> Principal:
    return Principal(ObjectId(), role.value, role, org_id, province_code)
