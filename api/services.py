"""The long-lived clients one API process shares between requests."""

from __future__ import annotations

from dataclasses import dataclass

from api.auth import Authenticator
from api.persisted import PersistedDocuments, load_manifest
from api.revocations import OpenSockets, RevocationFeed
from api.settings import Settings
from market.store import Store
from search.client import MeiliClient
from search.rfqs import RFQS, RfqBoard
from search.service import ProductSearch
from search.settings import PRODUCTS


@dataclass
class Services:
    settings: Settings
    store: Store
    meili: MeiliClient
    search: ProductSearch
    board: RfqBoard
    auth: Authenticator
    sockets: OpenSockets
    revocations: RevocationFeed
    persisted: PersistedDocuments

    @classmethod
    def create(cls, settings: Settings, store: Store | None = None) -> Services:
        store = store or Store.connect(settings.resolved_mongodb_url, settings.db_name)
        store.trade.streams.per_owner = settings.max_subscriptions
        store.mail.public_url = settings.mail_link_base
        meili = MeiliClient(settings.resolved_meili_url, settings.search_key)
        auth = Authenticator(store, lookup_timeout=settings.auth_timeout)
        sockets = OpenSockets()
        return cls(
            settings=settings,
            store=store,
            meili=meili,
            search=ProductSearch(meili, settings.index_uid(PRODUCTS), store),
            board=RfqBoard(meili, settings.index_uid(RFQS)),
            auth=auth,
            sockets=sockets,
            revocations=RevocationFeed(store, auth, sockets),
            persisted=PersistedDocuments(
                store,
                automatic=settings.apq,
                trusted=load_manifest(settings.trusted_documents) if settings.trusted_documents else None,
            ),
        )

    @property
    def products_index(self) -> str:
        return self.settings.index_uid(PRODUCTS)

    async def close(self) -> None:
        await self.revocations.stop()
        await self.meili.close()
        await self.store.close()
