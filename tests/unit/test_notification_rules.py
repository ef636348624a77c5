"""Pure rules of notifications: webhook signatures, retry backoff, where a webhook may point, unsubscribe
tokens, and who hears of trade events."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from market.events.backoff import Backoff
from market.events.names import KNOWN, is_event_name
from market.events.signing import new_secret, sign, verify
from market.events.urls import address_allowed, url_problem
from market.notifications.unsubscribe import make_token, read_token
from market.trade import policy
from market.trade.pipeline import Party


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body() -> None:
    body = '{"id":"1","event":"inquiry.invited","data":{"name":"Kẹo dừa"}}'.encode()
    expected = hmac.new(b"secret-of-sixteen", body, hashlib.sha256).hexdigest()
    assert sign("secret-of-sixteen", body) == f"sha256={expected}"
    assert verify("secret-of-sixteen", body, f"sha256={expected}")
    assert not verify("secret-of-sixteen", body + b" ", f"sha256={expected}")
    assert not verify("another-secret-16", body, f"sha256={expected}")
    assert not verify("secret-of-sixteen", body, None)
    assert new_secret() != new_secret() and len(new_secret()) > 40


def test_backoff_doubles_up_to_its_ceiling_and_stops_after_its_window() -> None:
    backoff = Backoff(first=10, ceiling=3600, window=timedelta(hours=24))
    assert [backoff.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert backoff.delay(20).total_seconds() == 3600
    assert backoff.delay(10_000).total_seconds() == 3600
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert backoff.next_attempt(1, start, start) == start + timedelta(seconds=10)
    assert backoff.next_attempt(15, start, start + timedelta(hours=23, minutes=30)) is None
    assert backoff.next_attempt(15, start, start + timedelta(hours=22)) == start + timedelta(hours=23)


@pytest.mark.parametrize(
    ("url", "production", "problem"),
    [
        ("https://erp.example.vn/ocop", True, None),
        ("https://erp.example.vn:8443/ocop?x=1", True, None),
        ("http://erp.example.vn/ocop", True, "webhook_url_https"),
        ("http://erp.example.vn/ocop", False, None),
        ("http://127.0.0.1:9999/hook", False, None),
        ("https://127.0.0.1/hook", True, "webhook_url_address"),
        ("https://10.0.0.5/hook", True, "webhook_url_address"),
        ("https://192.168.1.20/hook", True, "webhook_url_address"),
        ("https://100.64.0.1/hook", True, "webhook_url_address"),
        ("https://[::1]/hook", True, "webhook_url_address"),
        ("https://[::ffff:127.0.0.1]/hook", True, "webhook_url_address"),
        ("https://localhost/hook", True, "webhook_url_address"),
        ("https://metadata.google.internal/", True, "webhook_url_address"),
        ("http://169.254.169.254/latest/meta-data", False, "webhook_url_address"),
        ("https://169.254.169.254/latest/meta-data", True, "webhook_url_address"),
        ("http://[fe80::1]/hook", False, "webhook_url_address"),
        ("http://0.0.0.0/hook", False, "webhook_url_address"),
        ("ftp://erp.example.vn/", False, "webhook_url_invalid"),
        ("https://user:pw@erp.example.vn/", True, "webhook_url_invalid"),
        ("https:///nohost", True, "webhook_url_invalid"),
        ("https://erp.example.vn:notaport/", True, "webhook_url_invalid"),
        ("https://erp.example.vn/a b", True, "webhook_url_invalid"),
        ("", True, "webhook_url_invalid"),
    ],
)
def test_where_a_webhook_may_point(url: str, production: bool, problem: str | None) -> None:
    assert url_problem(url, production=production) == problem


def test_addresses_after_resolution() -> None:
    public = ipaddress.ip_address("203.113.131.1")
    assert address_allowed(public, production=True)
    assert not address_allowed(ipaddress.ip_address("169.254.169.254"), production=False)
    assert address_allowed(ipaddress.ip_address("127.0.0.1"), production=False)
    assert not address_allowed(ipaddress.ip_address("127.0.0.1"), production=True)
    assert not address_allowed(ipaddress.ip_address("fd00::1"), production=True)


def test_unsubscribe_tokens_name_one_person_and_event_and_cannot_be_forged() -> None:
    key, person = b"k" * 32, ObjectId()
    token = make_token(key, person, "inquiry.invited")
    assert read_token(key, token) == (person, "inquiry.invited")
    assert read_token(b"x" * 32, token) is None
    assert read_token(key, token.replace("inquiry.invited", "deal.state_changed")) is None
    assert read_token(key, token.replace(str(person), str(ObjectId()))) is None
    assert read_token(key, token[:-1]) is None
    assert read_token(key, "") is None and read_token(key, "a" * 500) is None


def test_event_names() -> None:
    assert all(is_event_name(n) for n in KNOWN)
    assert not is_event_name("Inquiry.Invited") and not is_event_name("inquiry") and not is_event_name("a.b.c")


def test_trade_events_reach_the_side_concerned_only() -> None:
    buyer, maker = ObjectId(), ObjectId()
    assert policy.invitation_audience(maker).orgs == (maker,)
    assert policy.thread_audience(Party.BUYER, buyer, maker).orgs == (maker,)
    assert policy.thread_audience(Party.PRODUCER, buyer, maker).orgs == (buyer,)
    requester, owner, viewer = ObjectId(), ObjectId(), ObjectId()
    from market.accounts.records import MemberRole

    members = [(requester, MemberRole.MANAGER), (owner, MemberRole.OWNER), (viewer, MemberRole.VIEWER)]
    assert policy.approval_audience(requester, members).accounts == (owner,)
