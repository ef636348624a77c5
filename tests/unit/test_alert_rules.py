"""The pure rules of alerts: which certificate expiry threshold a day has reached, and how a saved search's own
DAILY setting caps the email of its alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from bson import ObjectId

from market.accounts.records import Account, Role
from market.events import names
from market.events.records import Audience, Event
from market.notifications.certificate_expiry import GRACE_DAYS, threshold_reached
from market.notifications.channels import FanOut
from market.notifications.records import Frequency, Preferences
from market.notifications.webhooks import SUBSCRIBABLE

END = date(2030, 6, 30)


@pytest.mark.parametrize(
    ("days_before", "expected"),
    [(200, None), (91, None), (90, 90), (31, 90), (30, 30), (1, 30), (0, 0), (-1, 0), (-GRACE_DAYS, 0),
     (-GRACE_DAYS - 1, None)],
)  # fmt: skip
def test_the_most_urgent_threshold_reached(days_before: int, expected: int | None) -> None:
    assert threshold_reached(END, END - timedelta(days=days_before)) == expected


def _fan(alert: str | None, chosen: Frequency | None) -> tuple[FanOut, Account]:
    account = Account(ObjectId(), "Hoa", "hoa@example.vn", Role.BUYER, ObjectId(), None, datetime.now(UTC))
    payload = {"alert": alert} if alert else {}
    event = Event(ObjectId(), names.SAVED_SEARCH_MATCHED, payload, Audience(), datetime.now(UTC))
    email = {names.SAVED_SEARCH_MATCHED: chosen} if chosen else {}
    fan = FanOut(event, [account], {account.id: Preferences(account.id, email)}, [], datetime.now(UTC), b"k")
    return fan, account


@pytest.mark.parametrize(
    ("alert", "chosen", "expected"),
    [("instant", None, Frequency.IMMEDIATE), ("daily", None, Frequency.DAILY),
     ("daily", Frequency.IMMEDIATE, Frequency.DAILY), ("instant", Frequency.DAILY, Frequency.DAILY),
     ("daily", Frequency.OFF, Frequency.OFF), ("instant", Frequency.OFF, Frequency.OFF)],
)  # fmt: skip
def test_a_daily_saved_search_sends_its_email_in_the_digest(
    alert: str, chosen: Frequency | None, expected: Frequency
) -> None:
    fan, account = _fan(alert, chosen)
    assert fan.email_frequency(account) is expected


def test_personal_alerts_are_no_webhook_events() -> None:
    assert names.SAVED_SEARCH_MATCHED not in SUBSCRIBABLE and names.RFQ_MATCHED not in SUBSCRIBABLE
    assert names.CERTIFICATE_EXPIRING in SUBSCRIBABLE
