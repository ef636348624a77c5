"""Least privilege on Meilisearch: the API searches with a key that may only search this deployment's
indexes, the worker writes with a key limited to those indexes' documents and settings, and only setup
(`ocop setup-search`, run by `ocop run` and `ocop services start` locally, or by the compose `setup`
service) uses the master key.

Meilisearch derives a key from its uid and the master key, so the uids here are fixed per index prefix:
setting up again finds the same keys instead of piling up new ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from search.client import MeiliClient
from search.rfqs import RFQS
from search.settings import PRODUCTS

SEARCH_ACTIONS = ["search"]
WORKER_ACTIONS = [
    "search",
    "documents.add",
    "documents.get",
    "documents.delete",
    "indexes.create",
    "indexes.get",
    "indexes.delete",
    "indexes.swap",
    "settings.get",
    "settings.update",
    "tasks.get",
    "stats.get",
]
_NAMESPACE = uuid.UUID("0b6f2f7e-4c2a-4d59-9a3e-6f0c3c1d2e11")


@dataclass(frozen=True, slots=True)
class ScopedKeys:
    search: str  # the API's
    worker: str  # the sync worker's, reindex's and check-sync's


def index_patterns(prefix: str) -> list[str]:
    """This deployment's indexes, with the temporary ones a rebuild swaps in (`products_rebuild_…`)."""
    return [f"{prefix}{PRODUCTS}*", f"{prefix}{RFQS}*"]


def key_uid(prefix: str, role: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{role}:{prefix}"))


async def ensure_scoped_keys(master: MeiliClient, prefix: str) -> ScopedKeys:
    """Create the two keys for indexes under `prefix` if they do not exist yet; return both. Needs a client
    holding the master key."""
    found: dict[str, str] = {}
    for role, actions in (("search", SEARCH_ACTIONS), ("worker", WORKER_ACTIONS)):
        uid = key_uid(prefix, role)
        existing = await master.get_key(uid)
        if existing is None or sorted(existing["actions"]) != sorted(actions):
            if existing is not None:
                await master.delete_key(uid)
            existing = await master.create_key(
                {
                    "uid": uid,
                    "name": f"ocop {role} {prefix or '(no prefix)'}",
                    "description": f"ocop-market {role} key for indexes {', '.join(index_patterns(prefix))}",
                    "actions": actions,
                    "indexes": index_patterns(prefix),
                    "expiresAt": None,
                }
            )
        found[role] = existing["key"]
    return ScopedKeys(search=found["search"], worker=found["worker"])
