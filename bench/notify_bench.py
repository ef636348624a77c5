"""Notifications: event → webhook delivered through the real worker (`python -m cli worker`), p50/p95, with a
receiver on 127.0.0.1 that answers 204 at once; and how many events a second the outbox takes in (each written
in its own transaction, as a use case writes it) and fans out (to three people's notifications and one
webhook delivery each), in process."""

from __future__ import annotations

import asyncio
import time

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from bench.common import Bench, SummaryRow, bench_clients, ms, note, percentile, text_table, worker_process
from bench.webhook_receiver import Receiver
from market.accounts.policy import principal_of
from market.accounts.records import Role
from market.accounts.services import create_account
from market.catalog.records import ProducerType
from market.events.records import Audience
from market.notifications.fanout import fan_out_pending
from market.notifications.webhooks import create_webhook
from market.storage.transactions import in_transaction

LATENCY_EVENTS = 60
THROUGHPUT_EVENTS = 3000
WRITERS = 16
EVENT = "inquiry.invited"


async def _org(bench: Bench, receiver: Receiver) -> ObjectId:
    store = bench.store
    await store.ensure_indexes()
    producer = await store.producers.insert(
        {"name": "HTX Bench", "type": ProducerType.COOPERATIVE.value, "address": {"provinceCode": "86"},
         "verified": True}
    )  # fmt: skip
    owner = None
    for n in range(3):
        account = await create_account(store, name=f"Member {n}", role=Role.PRODUCER, org_id=str(producer.id))
        owner = owner or account
    assert owner is not None
    await create_webhook(store, principal_of(owner), {"url": receiver.url, "events": [EVENT]}, production=False)
    return producer.id


async def _record(bench: Bench, org_id: ObjectId, n: int) -> ObjectId:
    async def work(session: AsyncClientSession) -> ObjectId:
        found = await bench.store.events.record(EVENT, {"n": n}, Audience.of(orgs=[org_id]), session)
        assert found is not None
        return found

    return await in_transaction(bench.store.client, work)


class Arrivals:
    """When each delivery (by its event id) first reached the receiver."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.seen = 0
        self.first: dict[str, float] = {}

    async def wait_for(self, event_id: str, timeout: float = 30.0) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            for request in self.receiver.requests[self.seen :]:
                self.first.setdefault(request.headers["x-ocop-delivery"], time.perf_counter())
            self.seen = len(self.receiver.requests)
            if event_id in self.first:
                return self.first[event_id]
            await asyncio.sleep(0.002)
        raise RuntimeError(f"event {event_id} was not delivered within {timeout}s")


async def run() -> tuple[str, list[SummaryRow]]:
    receiver = await Receiver(status=204).start()
    try:
        async with bench_clients() as bench:
            org_id = await _org(bench, receiver)
            arrivals = Arrivals(receiver)
            note(f"notify: {LATENCY_EVENTS} events through the worker to a webhook, one at a time")
            latencies = []
            async with worker_process(bench.settings):
                warm = await _record(bench, org_id, -1)
                await arrivals.wait_for(str(warm), timeout=60)
                for n in range(LATENCY_EVENTS):
                    started = time.perf_counter()
                    event_id = await _record(bench, org_id, n)
                    latencies.append(await arrivals.wait_for(str(event_id)) - started)
            note(f"notify: {THROUGHPUT_EVENTS} events written by {WRITERS} writers, then fanned out")
            queue = iter(range(THROUGHPUT_EVENTS))

            async def writer() -> None:
                for n in queue:
                    await _record(bench, org_id, n)

            started = time.perf_counter()
            await asyncio.gather(*(writer() for _ in range(WRITERS)))
            written = THROUGHPUT_EVENTS / (time.perf_counter() - started)
            started = time.perf_counter()
            fanned = 0
            while (report := await fan_out_pending(bench.store, limit=200)).events:
                fanned += report.events
            fan_rate = fanned / (time.perf_counter() - started)
    finally:
        await receiver.stop()
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    table = text_table(
        "notifications",
        ("measure", "value"),
        [
            (f"event → webhook delivered, p50 ({LATENCY_EVENTS} events)", ms(p50)),
            ("event → webhook delivered, p95", ms(p95)),
            (f"events written, {WRITERS} writers, each its own transaction", f"{written:,.0f}/s"),
            ("events fanned out (3 notifications + 1 webhook delivery each), one worker", f"{fan_rate:,.0f}/s"),
        ],
    )
    summary = [
        SummaryRow("Event → signed webhook delivered through `ocop worker`, p50 / p95", f"{ms(p50)} / {ms(p95)}"),
        SummaryRow(
            "Events the outbox sustains: written / fanned out per second",
            f"{written:,.0f} / {fan_rate:,.0f}",
        ),
    ]
    return table, summary
