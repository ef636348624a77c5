"""Shared fixtures: real MongoDB and Meilisearch, started once per test session.

Each session gets its own database and index prefix and removes them at the end, so tests can run
beside a developer's `make run` on the same servers.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pymongo import monitoring

from api.app import create_app
from api.settings import Settings
from devservices.local import LocalServices
from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.catalog.records import ProducerType
from market.store import Store
from search.client import MeiliClient
from search.settings import PRODUCTS
from workers.sync import SearchSync


class CommandCounter(monitoring.CommandListener):
    """Counts the commands sent to one MongoDB database, to prove round-trip budgets."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.database: str | None = None

    @contextlib.contextmanager
    def counting(self, database: str) -> Iterator[list[str]]:
        """Record the names of the commands sent to `database` inside the block (other clients' and
        databases' background traffic is left out)."""
        self.commands = []
        self.database = database
        try:
            yield self.commands
        finally:
            self.database = None

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.database is not None and event.database_name == self.database:
            self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture(scope="session")
def services() -> Iterator[None]:
    local = LocalServices(Settings())
    started = local.start()
    yield
    local.stop([s.name for s in started if s.started])


@pytest.fixture(scope="session")
def settings(services: None) -> Settings:
    tag = f"{os.getpid()}_{secrets.token_hex(3)}"
    # Rate limits are off: the suite sends hundreds of requests a second from one address with a few keys.
    return Settings(OCOP_DB_NAME=f"ocop_test_{tag}", OCOP_INDEX_PREFIX=f"test_{tag}_", OCOP_RATE_LIMIT=False)


@pytest.fixture(scope="session")
def counter() -> CommandCounter:
    return CommandCounter()


@pytest.fixture(scope="session")
async def store(settings: Settings, counter: CommandCounter) -> AsyncIterator[Store]:
    store = Store.connect(settings.resolved_mongodb_url, settings.db_name, listeners=[counter])
    await store.ensure_indexes()
    yield store
    await store.client.drop_database(settings.db_name)
    await store.close()


@pytest.fixture(scope="session")
async def meili(settings: Settings) -> AsyncIterator[MeiliClient]:
    client = MeiliClient(settings.resolved_meili_url, settings.resolved_meili_key)
    yield client
    for uid in await client.list_indexes():
        if uid.startswith(settings.index_prefix):
            await client.wait_task(await client.delete_index(uid))
    await client.close()


@pytest.fixture(scope="session")
async def scoped_keys(settings: Settings, meili: MeiliClient) -> AsyncIterator[None]:
    """The API under test searches with the scoped search key, as deployed, for both test index prefixes."""
    from cli.sync import write_scoped_keys
    from search.keys import key_uid

    prefixes = (settings.index_prefix, *(settings.index_prefix + p for p in (CATALOGUE_PREFIX, REACH_PREFIX)))
    files = []
    for prefix in prefixes:
        own = settings.model_copy(update={"index_prefix": prefix})
        await write_scoped_keys(own)
        files += [own.meili_key_file("api"), own.meili_key_file("worker")]
    yield
    for prefix in prefixes:
        for role in ("search", "worker"):
            await meili.delete_key(key_uid(prefix, role))
    for path in files:
        path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def index_uid(settings: Settings) -> str:
    return settings.index_uid(PRODUCTS)


@pytest.fixture
async def sync(store: Store, meili: MeiliClient, index_uid: str) -> Any:
    """Drain every pending change into the index, as `ocop worker --once` does."""

    async def drain() -> SearchSync:
        worker = SearchSync(store, meili, index_uid, max_await_ms=100)
        await worker.run(once=True, timeout=60)
        return worker

    return drain


@dataclass
class Api:
    client: httpx.AsyncClient
    keys: dict[str, str] = field(default_factory=dict)
    app: Any = None

    async def gql(self, query: str, variables: dict[str, Any] | None = None, *, as_: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[as_]}"} if as_ else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None, *, as_: str | None = None) -> Any:
        body = await self.gql(query, variables, as_=as_)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture(scope="session")
async def api(settings: Settings, store: Store, scoped_keys: None) -> AsyncIterator[Api]:
    app = create_app(settings, store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, app=app)


@dataclass
class World:
    """A producer with a member, a second producer, a coordinator, a buyer and an admin."""

    producer_id: str
    other_producer_id: str
    producer_gid: str
    other_producer_gid: str


def gid(type_name: str, node_id: object) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


@pytest.fixture(scope="session")
async def world(api: Api, store: Store) -> World:
    tag = secrets.token_hex(3)
    producer = await store.producers.insert(
        {
            "name": f"HTX Dừa sáp Cầu Kè {tag}",
            "type": ProducerType.COOPERATIVE.value,
            "address": {"provinceCode": "86", "formerProvince": "Trà Vinh", "commune": "Xã Hòa Tân"},
            "verified": True,
        }
    )
    other = await store.producers.insert(
        {
            "name": f"Công ty Nước mắm Phú Quốc {tag}",
            "type": ProducerType.ENTERPRISE.value,
            "address": {"provinceCode": "91", "formerProvince": "Kiên Giang"},
            "verified": False,
        }
    )
    buyer_org = await store.buyers.insert({"name": f"Saigon Co.op {tag}", "kind": "supermarket_chain"})
    accounts = {
        "admin": await create_account(store, name="Admin", role=Role.ADMIN),
        "coordinator": await create_account(store, name="OCOP Vĩnh Long", role=Role.COORDINATOR, province="Vĩnh Long"),
        "other_coordinator": await create_account(store, name="OCOP Hà Nội", role=Role.COORDINATOR, province="Hà Nội"),
        "producer": await create_account(store, name="Member", role=Role.PRODUCER, org_id=str(producer.id)),
        "other_producer": await create_account(store, name="Rival", role=Role.PRODUCER, org_id=str(other.id)),
        "buyer": await create_account(store, name="Buyer", role=Role.BUYER, org_id=str(buyer_org.id)),
    }
    for role, account in accounts.items():
        api.keys[role] = await issue_api_key(store, account.id, role)
    return World(
        producer_id=str(producer.id),
        other_producer_id=str(other.id),
        producer_gid=gid("Producer", producer.id),
        other_producer_gid=gid("Producer", other.id),
    )


@dataclass
class Catalogue:
    """The judged relevance fixture (tests/relevance/products.jsonl), imported and indexed by the real
    worker into a database and index of its own, with an API bound to it."""

    fixture: Any
    api: Api
    settings: Settings

    async def sync_board(self) -> None:
        """Bring the RFQ board index up to date, as the running worker would."""
        from search.rfqs import RFQS
        from workers.indexer import RfqIndexer

        store, meili = self.fixture.store, self.fixture.meili
        board = SearchSync(
            store, meili, self.settings.index_uid(RFQS), indexer=RfqIndexer(store, meili), max_await_ms=50
        )
        await board.run(once=True, timeout=60)


CATALOGUE_PREFIX = "cat_"
REACH_PREFIX = "reach_"  # the reachability walk's own catalogue, which other tests' objects would swell


@contextlib.asynccontextmanager
async def own_catalogue(settings: Settings, counter: CommandCounter, name: str) -> AsyncIterator[Catalogue]:
    """The judged catalogue in a database and index prefix of its own (`name` tells them apart)."""
    from bench.relevance import drop_fixture, load_fixture

    own = settings.model_copy(
        update={"db_name": f"{settings.db_name}_{name}", "index_prefix": f"{settings.index_prefix}{name}_"}
    )
    fixture = await load_fixture(own, [counter])
    app = create_app(own, store=fixture.store)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            yield Catalogue(fixture=fixture, api=Api(client, app=app), settings=own)
    finally:
        await app.state.services.meili.close()
        await drop_fixture(fixture, own)


@pytest.fixture(scope="session")
async def catalogue(settings: Settings, counter: CommandCounter, scoped_keys: None) -> AsyncIterator[Catalogue]:
    async with own_catalogue(settings, counter, CATALOGUE_PREFIX.rstrip("_")) as shared:
        yield shared
