"""Failover on a real three-member replica set, under a write load through the API.

Writers create and update products over GraphQL with a producer's key. One second in, the primary is
stepped down (`replSetStepDown`); once another member has taken over, that new primary is killed with
SIGKILL. The load goes on until writes are acknowledged again. Then:

- every write the API acknowledged must be in MongoDB, read with `readConcern: majority` from the two
  surviving members (the store writes with `w: majority`, so no election rolls one back);
- the API and the sync worker, never restarted, must be serving and syncing with the third primary;
- the search index must show no drift once the worker has caught up (`ocop check-sync` exits 0).

    python -m bench --only failover                  # with MongoDB's default election timeout (10 s)
    python -m bench.failover --election-timeout-ms 2000

The replica set is this benchmark's own, on free ports in a temporary directory. Only Meilisearch is the
shared local one, under an index prefix of its own. tests/test_failover.py runs the same scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import AutoReconnect, PyMongoError
from pymongo.read_concern import ReadConcern

from api.settings import PROJECT_ROOT, Settings
from bench.common import (
    SummaryRow,
    api_server,
    local_services,
    ms,
    node_id,
    note,
    producer_gid,
    product_gid,
    text_table,
    worker_process,
)
from devservices.local import LocalServices
from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.catalog.records import ProducerType
from market.store import Store
from search.client import MeiliClient
from search.settings import PRODUCTS
from workers.drift import DriftReport, check_drift

MEMBERS = 3
WRITERS = 8
"""Writes in flight at most; the rate below bounds the load."""
WRITES_PER_SECOND = 15.0
"""All writers together: a bounded load, and below the API's default rate limit for one key (20 a second),
so that every failure is the failover's."""
CREATE_EVERY = 4
WATCH_POLL_SECONDS = 0.02
STEP_DOWN_SECONDS = 10
"""The stepped-down member may not stand again for this long, so the SIGKILL hits another member."""
WARMUP_SECONDS = 1.0
SETTLE_SECONDS = 1.0
AFTER_SECONDS = 1.5
ACKS_AFTER = 20
PHASE_TIMEOUT = 60.0

PAYLOAD = "product { id version priceVnd } errors { field code message }"
CREATE = f"mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{ {PAYLOAD} }} }}"
UPDATE = f"mutation($id: ID!, $v: Int!, $input: UpdateProductInput!) {{ updateProduct(id: $id, expectedVersion: $v, input: $input) {{ {PAYLOAD} }} }}"


# --- the replica set -----------------------------------------------------------------------------


def free_port_run(count: int, rng: random.Random | None = None) -> int:
    """The first of `count` consecutive free ports, below Linux's ephemeral range and away from the
    project's default ports."""
    rng = rng or random.Random()
    for _ in range(200):
        base = rng.randrange(29_000, 32_000 - count)
        if all(_bindable(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports found")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass(slots=True)
class ReplicaSet:
    """A replica set of its own under `home`, with the shared Meilisearch of `shared`."""

    services: LocalServices
    settings: Settings

    @classmethod
    def start(
        cls, home: Path, shared: Settings, *, tag: str, election_timeout_ms: int | None, members: int = MEMBERS
    ) -> ReplicaSet:
        settings = Settings(
            _env_file=None,
            OCOP_HOME=str(home),
            OCOP_MONGO_PORT=free_port_run(members),
            OCOP_MONGO_REPLICAS=members,
            MEILI_URL=shared.resolved_meili_url,
            MEILI_MASTER_KEY=shared.resolved_meili_key,
            OCOP_SMTP_URL=shared.resolved_smtp_url,
            OCOP_DB_NAME=f"ocop_failover_{tag}",
            OCOP_INDEX_PREFIX=f"{shared.index_prefix}failover_{tag}_",
        )
        services = LocalServices(settings, election_timeout_ms=election_timeout_ms)
        services.start()
        return cls(services, settings)

    @property
    def ports(self) -> list[int]:
        return [self.settings.mongo_port + i for i in range(self.settings.mongo_replicas)]

    def pid(self, port: int) -> int:
        for status in self.services.status():
            if status.port == port and status.pid is not None:
                return status.pid
        raise RuntimeError(f"no running member on port {port}")

    async def step_down(self, port: int) -> None:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            host="127.0.0.1", port=port, directConnection=True, serverSelectionTimeoutMS=2000
        )
        try:
            await client.admin.command({"replSetStepDown": STEP_DOWN_SECONDS, "secondaryCatchUpPeriodSecs": 5})
        except AutoReconnect:
            pass  # servers before 4.2 drop every connection when they step down
        finally:
            await client.close()

    async def election_gap(self, port: int, since_wall: float) -> ElectionGap:
        """When the primary on `port`, elected after the event at wall time `since_wall`, began its term
        and could take `w: majority` writes, by its own clock (the members run on this machine)."""
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            host="127.0.0.1", port=port, directConnection=True, tz_aware=True, serverSelectionTimeoutMS=2000
        )
        metrics: dict[str, Any] = {}
        try:
            for _ in range(100):
                metrics = (await client.admin.command("replSetGetStatus")).get("electionCandidateMetrics", {})
                if "wMajorityWriteAvailabilityDate" in metrics:
                    break
                await asyncio.sleep(0.05)
        finally:
            await client.close()

        def after(name: str) -> float | None:
            moment = metrics.get(name)
            return moment.timestamp() - since_wall if isinstance(moment, datetime) else None

        return ElectionGap(after("newTermStartDate"), after("wMajorityWriteAvailabilityDate"))

    def kill(self, port: int) -> None:
        os.kill(self.pid(port), signal.SIGKILL)

    def stop(self) -> None:
        self.services.stop()


@dataclass(frozen=True, slots=True)
class ElectionGap:
    """Seconds from a stepdown or a SIGKILL until the next primary's term began (it takes writes) and until
    it could acknowledge `w: majority` writes; None where the server did not say."""

    new_term: float | None
    majority_writes: float | None


class PrimaryWatch:
    """Asks every member `hello` every 20 ms and keeps a timeline of which one is the writable primary."""

    def __init__(self, ports: Iterable[int]) -> None:
        self.ports = list(ports)
        self.timeline: list[tuple[float, int | None]] = []
        self._writable_since: dict[int, float | None] = dict.fromkeys(self.ports)
        self._down: set[int] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._clients: list[AsyncMongoClient[dict[str, Any]]] = []

    async def __aenter__(self) -> PrimaryWatch:
        for port in self.ports:
            client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
                host="127.0.0.1",
                port=port,
                directConnection=True,
                serverSelectionTimeoutMS=500,
                connectTimeoutMS=500,
                socketTimeoutMS=1000,
            )
            self._clients.append(client)
            self._tasks.append(asyncio.create_task(self._poll(port, client)))
        try:
            await self.wait_primary()
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for client in self._clients:
            await client.close()

    async def _poll(self, port: int, client: AsyncMongoClient[dict[str, Any]]) -> None:
        while port not in self._down:
            try:
                writable = bool((await client.admin.command("hello")).get("isWritablePrimary"))
            except PyMongoError:
                writable = False
            self._update(port, writable)
            await asyncio.sleep(WATCH_POLL_SECONDS)

    def _update(self, port: int, writable: bool) -> None:
        writable = writable and port not in self._down
        since = self._writable_since[port]
        if writable and since is None:
            self._writable_since[port] = time.monotonic()
        elif not writable:
            self._writable_since[port] = None
        primary = self.primary
        if not self.timeline or self.timeline[-1][1] != primary:
            self.timeline.append((time.monotonic(), primary))

    @property
    def primary(self) -> int | None:
        """The writable primary; of two (a stale answer from the old one), the one that became it last."""
        claims = [(since, port) for port, since in self._writable_since.items() if since is not None]
        return max(claims)[1] if claims else None

    def mark_down(self, port: int) -> None:
        """The member was killed: from now on it counts as down, without waiting for a poll to fail."""
        self._down.add(port)
        self._update(port, False)

    async def wait_primary(self, exclude: Collection[int] = (), timeout: float = PHASE_TIMEOUT) -> tuple[int, float]:
        """The primary, once it is none of `exclude`, and when it was first seen writable."""
        deadline = time.monotonic() + timeout
        while True:
            primary = self.primary
            if primary is not None and primary not in exclude:
                since = self._writable_since[primary]
                assert since is not None
                return primary, since
            if time.monotonic() > deadline:
                raise TimeoutError(f"no primary other than {sorted(exclude)} within {timeout}s: {self.timeline[-5:]}")
            await asyncio.sleep(WATCH_POLL_SECONDS / 2)

    def without_primary(self, start: float, end: float) -> float:
        """Seconds between `start` and `end` during which no member was a writable primary."""
        total = 0.0
        for i, (at, primary) in enumerate(self.timeline):
            until = self.timeline[i + 1][0] if i + 1 < len(self.timeline) else end
            if primary is None:
                total += max(0.0, min(until, end) - max(at, start))
        return total


# --- the write load ------------------------------------------------------------------------------


@dataclass(slots=True)
class Write:
    kind: str
    started: float
    finished: float
    ok: bool
    product_id: str | None = None
    version: int | None = None
    price: int | None = None
    error: str | None = None


class WriteLoad:
    """`writers` concurrent loops of createProduct and updateProduct; every attempt is recorded with whether
    the API acknowledged it (a payload without errors) and, if so, what it acknowledged."""

    def __init__(
        self, http: httpx.AsyncClient, api_key: str, producer: str, *, writers: int = WRITERS, tag: str = ""
    ) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {api_key}"}
        self.producer = producer
        self.writers = writers
        self.tag = tag or secrets.token_hex(3)
        self.writes: list[Write] = []
        self._next_slot = 0.0
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._writer(i)) for i in range(self.writers)]

    async def stop(self) -> None:
        """Let every writer finish the write it has under way."""
        self._stop.set()
        await asyncio.gather(*self._tasks)

    def acknowledged_since(self, moment: float) -> int:
        return sum(1 for w in self.writes if w.ok and w.started >= moment)

    async def _writer(self, index: int) -> None:
        product: tuple[str, int] | None = None  # (database id, version) of the product being edited
        n = 0
        while True:
            await self._pace()
            if self._stop.is_set():
                return
            n += 1
            price = 10_000 + n
            if product is None or n % CREATE_EVERY == 0:
                write = await self._create(f"Failover {self.tag} {index}-{n}", price)
                if write.ok:
                    assert write.product_id is not None and write.version is not None
                    product = (write.product_id, write.version)
            else:
                write = await self._update(product, price)
                # After a failure the version is unknown (the write may have been applied): start afresh.
                product = (product[0], write.version) if write.ok and write.version is not None else None
            self.writes.append(write)

    async def _pace(self) -> None:
        """Wait for this writer's slot; slots missed while every writer was stalled are not made up."""
        now = time.monotonic()
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1 / WRITES_PER_SECOND
        await asyncio.sleep(slot - now)

    async def _create(self, name: str, price: int) -> Write:
        new = {
            "producerId": self.producer,
            "name": name,
            "group": "FOOD",
            "category": "Kẹo",
            "stars": 4,
            "priceVnd": price,
            "unit": "hộp 400g",
        }
        return await self._send("create", "createProduct", CREATE, {"input": new}, price)

    async def _update(self, product: tuple[str, int], price: int) -> Write:
        variables = {"id": product_gid(product[0]), "v": product[1], "input": {"priceVnd": price}}
        return await self._send("update", "updateProduct", UPDATE, variables, price)

    async def _send(self, kind: str, field_name: str, query: str, variables: dict[str, Any], price: int) -> Write:
        started = time.monotonic()
        try:
            response = await self.http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=self.headers
            )
            body = response.json()
        except Exception as exc:  # transport errors and, in process, whatever the app raised
            return Write(kind, started, time.monotonic(), False, error=f"{type(exc).__name__}: {exc}"[:200])
        finished = time.monotonic()
        payload = (body.get("data") or {}).get(field_name) if isinstance(body, dict) else None
        if response.status_code != 200 or body.get("errors") or not payload or payload.get("errors"):
            errors = body.get("errors") or (payload or {}).get("errors") or [{"message": response.text[:200]}]
            return Write(kind, started, finished, False, error=str(errors[0].get("message"))[:200])
        product = payload["product"]
        return Write(kind, started, finished, True, node_id(product["id"]), product["version"], product["priceVnd"])


# --- the scenario --------------------------------------------------------------------------------


@dataclass(slots=True)
class Failover:
    first: int
    stepped_down: float
    second: int
    elected_after_step_down: float
    killed_port: int
    killed: float
    third: int
    elected_after_kill: float
    ended: float
    without_primary_step_down: float
    without_primary_kill: float
    """Seen by the 20 ms `hello` polls; a gap shorter than a poll may go unseen."""
    step_down_gap: ElectionGap
    kill_gap: ElectionGap
    """Reported by the elected members themselves."""
    writes: list[Write] = field(default_factory=list)

    def during(self) -> list[Write]:
        """Writes started between the stepdown and the election that followed the SIGKILL."""
        return [w for w in self.writes if self.stepped_down <= w.started <= self.elected_after_kill]

    def failed(self) -> list[Write]:
        return [w for w in self.writes if not w.ok]

    def first_ack_after_kill(self) -> float | None:
        """Seconds from the SIGKILL until the first write started after it was acknowledged."""
        acks = [w.finished for w in self.writes if w.ok and w.started >= self.killed]
        return min(acks) - self.killed if acks else None


async def run_failover(rs: ReplicaSet, watch: PrimaryWatch, load: WriteLoad) -> Failover:
    """Load, step the primary down, kill the next one, and go on until writes are acknowledged again."""
    load.start()
    try:
        await asyncio.sleep(WARMUP_SECONDS)
        first, _ = await watch.wait_primary()
        stepped_down, stepped_down_wall = time.monotonic(), time.time()
        await rs.step_down(first)
        second, elected_after_step_down = await watch.wait_primary(exclude={first})
        step_down_gap = await rs.election_gap(second, stepped_down_wall)
        await asyncio.sleep(SETTLE_SECONDS)
        victim, _ = await watch.wait_primary()
        killed, killed_wall = time.monotonic(), time.time()
        rs.kill(victim)
        watch.mark_down(victim)
        third, elected_after_kill = await watch.wait_primary(exclude={victim})
        kill_gap = await rs.election_gap(third, killed_wall)
        await asyncio.sleep(max(0.0, elected_after_kill + AFTER_SECONDS - time.monotonic()))
        for _ in range(int(PHASE_TIMEOUT / 0.05)):
            if load.acknowledged_since(elected_after_kill) >= ACKS_AFTER:
                break
            await asyncio.sleep(0.05)
    finally:
        await load.stop()
    ended = time.monotonic()
    return Failover(
        first=first,
        stepped_down=stepped_down,
        second=second,
        elected_after_step_down=elected_after_step_down,
        killed_port=victim,
        killed=killed,
        third=third,
        elected_after_kill=elected_after_kill,
        ended=ended,
        without_primary_step_down=watch.without_primary(stepped_down, killed),
        without_primary_kill=watch.without_primary(killed, ended),
        step_down_gap=step_down_gap,
        kill_gap=kill_gap,
        writes=list(load.writes),
    )


async def lost_writes(db: AsyncDatabase[dict[str, Any]], writes: Iterable[Write]) -> list[Write]:
    """Acknowledged writes that MongoDB no longer holds, read with majority: a product acknowledged as
    created that is gone, or one acknowledged at version v and price p that is now older than v, or at v
    with another price."""
    acknowledged = [w for w in writes if w.ok]
    products = db.get_collection("products", read_concern=ReadConcern("majority"))
    ids = list({ObjectId(w.product_id) for w in acknowledged})
    docs = {
        d["_id"]: d for d in await products.find({"_id": {"$in": ids}}, {"version": 1, "priceVnd": 1}).to_list(None)
    }
    lost = []
    for write in acknowledged:
        doc = docs.get(ObjectId(write.product_id))
        assert write.version is not None
        if (
            doc is None
            or doc["version"] < write.version
            or (doc["version"] == write.version and doc["priceVnd"] != write.price)
        ):
            lost.append(write)
    return lost


async def drift(store: Store, meili: MeiliClient, index_uid: str) -> DriftReport:
    """The check-sync report, which also flags documents indexed at a version MongoDB no longer holds."""
    return await check_drift(store, meili, index_uid)


def describe(r: DriftReport) -> str:
    return f"{len(r.missing)} missing, {len(r.stale)} stale, {len(r.orphans)} orphans, {len(r.ahead)} ahead"


async def wait_no_drift(store: Store, meili: MeiliClient, index_uid: str, timeout: float = 60.0) -> DriftReport:
    """Until the worker has caught up; the last report if it never does."""
    deadline = time.monotonic() + timeout
    while True:
        found = await drift(store, meili, index_uid)
        if found.clean or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


async def seed_producer(store: Store) -> tuple[str, str]:
    """A producer and the API key of one of its members: (producer global id, key)."""
    await store.ensure_indexes()
    producer = await store.producers.insert(
        {
            "name": f"HTX Dừa sáp Cầu Kè {secrets.token_hex(3)}",
            "type": ProducerType.COOPERATIVE.value,
            "address": {"provinceCode": "86", "formerProvince": "Trà Vinh", "commune": "Xã Hòa Tân"},
            "verified": True,
        }
    )
    account = await create_account(store, name="Failover writer", role=Role.PRODUCER, org_id=str(producer.id))
    return producer_gid(producer.id), await issue_api_key(store, account.id, "failover")


async def wait_worker_following(store: Store, index_uid: str, timeout: float = 60.0) -> None:
    state = store.sync_state(f"search:{index_uid}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = await state.read()
        if status.resume_token is not None and status.rewind_to is None:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the sync worker did not start following changes within {timeout}s")


@contextlib.asynccontextmanager
async def clients(settings: Settings) -> AsyncIterator[tuple[Store, MeiliClient]]:
    """A store and a Meilisearch client; the index prefix's indexes are deleted on the way out."""
    store = Store.connect(settings.resolved_mongodb_url, settings.db_name)
    meili = MeiliClient(settings.resolved_meili_url, settings.resolved_meili_key, timeout=60)
    try:
        yield store, meili
    finally:
        try:
            # Enqueued, not awaited: the shared Meilisearch may be busy with others' tasks for a while.
            for uid in await meili.list_indexes():
                if uid.startswith(settings.index_prefix):
                    await meili.delete_index(uid)
        finally:
            await meili.close()
            await store.close()


# --- the benchmark -------------------------------------------------------------------------------


@dataclass(slots=True)
class FailoverFigures:
    election_timeout_ms: int | None
    failover: Failover
    lost: list[Write]
    drift: DriftReport
    catch_up_seconds: float
    check_sync_exit: int
    api_serving: bool
    """The API process started before the load still answers."""
    worker_running: bool
    """The worker process started before the load still runs."""


async def measure(election_timeout_ms: int | None = None) -> FailoverFigures:
    tag = secrets.token_hex(4)
    with tempfile.TemporaryDirectory(prefix="ocop-failover-") as home:
        note(f"failover: starting a replica set of {MEMBERS} members")
        rs = await asyncio.to_thread(
            ReplicaSet.start, Path(home), Settings(), tag=tag, election_timeout_ms=election_timeout_ms
        )
        try:
            settings = rs.settings
            uid = settings.index_uid(PRODUCTS)
            async with clients(settings) as (store, meili):
                producer, key = await seed_producer(store)
                note("failover: starting the worker and API subprocesses")
                async with worker_process(settings) as worker, api_server(settings) as url:
                    await wait_worker_following(store, uid)
                    http = httpx.AsyncClient(
                        base_url=url,
                        headers={"Accept-Encoding": "identity"},
                        timeout=30.0,
                        limits=httpx.Limits(max_connections=WRITERS, max_keepalive_connections=WRITERS),
                    )
                    async with http, PrimaryWatch(rs.ports) as watch:
                        note(f"failover: {WRITERS} writers; stepdown of the primary, then SIGKILL of the next")
                        failover = await run_failover(rs, watch, WriteLoad(http, key, producer, tag=tag))
                    lost = await lost_writes(store.db, failover.writes)
                    note("failover: waiting for the worker to catch up")
                    started = time.monotonic()
                    found = await wait_no_drift(store, meili, uid, timeout=120)
                    catch_up = time.monotonic() - started
                    check = await asyncio.to_thread(
                        subprocess.run,
                        [sys.executable, "-m", "cli", "check-sync"],
                        cwd=PROJECT_ROOT,
                        env=settings.child_environment(),
                        capture_output=True,
                        check=False,
                    )
                    api_serving = await _api_answers(url)
                    worker_running = worker.process.returncode is None
                for error, count in Counter(w.error for w in failover.failed()).most_common(5):
                    note(f"failover: {count} × {error}")
        finally:
            await asyncio.to_thread(rs.stop)
    return FailoverFigures(
        election_timeout_ms=election_timeout_ms,
        failover=failover,
        lost=lost,
        drift=found,
        catch_up_seconds=catch_up,
        check_sync_exit=check.returncode,
        api_serving=api_serving,
        worker_running=worker_running,
    )


async def _api_answers(url: str) -> bool:
    async with httpx.AsyncClient(base_url=url, timeout=5.0) as http:
        with contextlib.suppress(httpx.HTTPError):
            return (await http.get("/healthz")).status_code == 200
    return False


def report(f: FailoverFigures) -> tuple[str, list[SummaryRow]]:
    fo = f.failover
    during = fo.during()
    failed = fo.failed()
    failed_step_down = [w for w in failed if fo.stepped_down <= w.started < fo.killed]
    failed_kill = [w for w in failed if fo.killed <= w.started]
    first_ack = fo.first_ack_after_kill()
    timeout = f"{f.election_timeout_ms} ms" if f.election_timeout_ms else "10 s (MongoDB's default)"
    rows = [
        ("writes attempted, whole run", str(len(fo.writes))),
        ("writes attempted during the failover (stepdown → last election)", str(len(during))),
        ("  of which acknowledged", str(sum(1 for w in during if w.ok))),
        ("failed writes, whole run", str(len(failed))),
        ("  after the stepdown / after the SIGKILL", f"{len(failed_step_down)} / {len(failed_kill)}"),
        ("acknowledged but lost", str(len(f.lost))),
        ("stepdown → the next primary's term begins", _ms(fo.step_down_gap.new_term)),
        ("stepdown → it acknowledges w: majority writes", _ms(fo.step_down_gap.majority_writes)),
        ("SIGKILL of that primary → the next one's term begins", _ms(fo.kill_gap.new_term)),
        ("SIGKILL → it acknowledges w: majority writes", _ms(fo.kill_gap.majority_writes)),
        (
            "no writable primary seen by 20 ms hello polls, stepdown / SIGKILL",
            f"{ms(fo.without_primary_step_down)} / {ms(fo.without_primary_kill)}",
        ),
        ("SIGKILL → first acknowledged write", ms(first_ack) if first_ack is not None else "none"),
        ("load end → index without drift", ms(f.catch_up_seconds)),
        ("drift after the worker caught up", describe(f.drift)),
        ("`ocop check-sync` exit code", str(f.check_sync_exit)),
        (
            "API / worker still the processes started before the load",
            f"{_yes(f.api_serving)} / {_yes(f.worker_running)}",
        ),
    ]
    table = text_table(
        f"Failover on a {MEMBERS}-member replica set (election timeout {timeout}; API and worker subprocesses; "
        f"{WRITERS} writers, at most {WRITES_PER_SECOND:.0f} writes/s)",
        ("measure", "value"),
        rows,
    )
    summary = [
        SummaryRow(
            "failover: writes during failover / failed / acknowledged but lost",
            f"{len(during)} / {len(failed)} / {len(f.lost)}",
        ),
        SummaryRow(
            "failover: time without a primary, stepdown / SIGKILL",
            f"{_ms(fo.step_down_gap.new_term)} / {_ms(fo.kill_gap.new_term)}",
        ),
        SummaryRow("failover: drift after the worker caught up", describe(f.drift)),
    ]
    return table, summary


def _ms(seconds: float | None) -> str:
    return "?" if seconds is None else ms(max(0.0, seconds))


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


async def run(election_timeout_ms: int | None = None) -> tuple[str, list[SummaryRow]]:
    return report(await measure(election_timeout_ms))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.failover", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--election-timeout-ms", type=int, default=None, help="electionTimeoutMillis (default: MongoDB's, 10 s)"
    )
    args = parser.parse_args(argv)
    with local_services():
        table, _ = asyncio.run(run(args.election_timeout_ms))
        print(table, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
