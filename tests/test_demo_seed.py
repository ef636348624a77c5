"""`ocop seed-demo` on an empty database: the catalogue, the accounts and a trade history in every state."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from api.settings import Settings
from market.accounts.records import Role
from market.accounts.sessions import sign_in
from market.core.clock import today
from market.demo import seed_demo
from market.store import Store
from market.trade.pipeline import DealState
from tests.pinned_clock import pinned_clock


async def test_seed_builds_a_realistic_history(settings: Settings) -> None:
    store = Store.connect(settings.resolved_mongodb_url, settings.db_name + "_demo")
    try:
        await store.ensure_indexes()
        result = await seed_demo(store)
        assert result.report.created >= 300 and result.report.failed == 0
        assert {k.role for k in result.keys} >= {Role.ADMIN, Role.COORDINATOR, Role.PRODUCER, Role.BUYER}
        trade = result.trade
        assert result.trade_seeded and trade.events == 1 and trade.mous >= 2
        assert all(trade.deals_by_state.get(state.value, 0) >= 1 for state in DealState), trade.deals_by_state
        assert trade.open_inquiries >= 1 and trade.revisions > trade.quotations - trade.declined - 1
        for key in result.keys:  # every printed person signs in with their printed email and password
            signed_in = await sign_in(store, key.email, key.password)
            assert signed_in.account is not None and signed_in.account.role is key.role
        again = await seed_demo(store)  # a second run adds no second history, and the same people
        assert not again.trade_seeded and again.trade.inquiries == trade.inquiries
        assert [k.email for k in again.keys] == [k.email for k in result.keys]
        assert again.report.created == 0 and again.report.unchanged == result.report.created
    finally:
        await store.client.drop_database(settings.db_name + "_demo")
        await store.close()


async def test_the_trade_history_is_dated_by_the_utc_day_whatever_the_servers_zone(settings: Settings) -> None:
    """Seeded at 06:30 in Vietnam, still the day before in UTC, on a server keeping Vietnam's time: the history
    happens on the UTC day, the one its use cases date it by, so the trade event runs around that day and the
    MoUs signed there carry it. (A week back, so that the catalogue's certification days are all past and the
    server's own day is another one.)"""
    day = today() - timedelta(days=7)
    store = Store.connect(settings.resolved_mongodb_url, settings.db_name + "_demo_day")
    try:
        await store.ensure_indexes()
        with pinned_clock(datetime.combine(day, time(23, 30), UTC)):
            result = await seed_demo(store)
        assert result.report.failed == 0 and result.trade_seeded and result.trade.mous >= 2
        event = await store.db["trade_events"].find_one({})
        assert event is not None
        assert (event["startsOn"].date(), event["endsOn"].date()) == (day - timedelta(days=2), day + timedelta(days=2))
        signed = {deal["mou"]["signedOn"].date() async for deal in store.db["deals"].find({"mou": {"$ne": None}})}
        assert signed == {day}
    finally:
        await store.client.drop_database(settings.db_name + "_demo_day")
        await store.close()
