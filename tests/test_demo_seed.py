"""`ocop seed-demo` on an empty database: the catalogue, the accounts and a trade history in every state."""

from __future__ import annotations

from api.settings import Settings
from market.accounts.records import Role
from market.accounts.sessions import sign_in
from market.demo import seed_demo
from market.store import Store
from market.trade.pipeline import DealState


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
