"""Signing in with a password: sessions with a short-lived access token and a rotating refresh token,
signing out, password changes and resets, and email verification.

A failed sign-in never says whether the email has an account. Failures are slowed, then refused, per email
and per client address (market/accounts/throttle.py). Ending a session or changing a password reaches every
API process through the change feed they follow (api/revocations.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from market.accounts import audit, throttle
from market.accounts.passwords import hash_password, strength_errors, verify_password
from market.accounts.people import email_errors, name_errors, normal_email
from market.accounts.policy import Principal
from market.accounts.records import Account
from market.accounts.tokens import ACCESS_PREFIX, REFRESH_PREFIX, Purpose, new_secret
from market.core.clock import utcnow
from market.core.errors import DomainError, forbidden
from market.core.text import nfc
from market.mail.links import RESET_PASSWORD_PATH, VERIFY_EMAIL_PATH
from market.storage.transactions import in_transaction

if TYPE_CHECKING:
    from market.store import Store

ACCESS_LIFETIME = timedelta(minutes=15)
REFRESH_LIFETIME = timedelta(days=30)
RESET_LIFETIME = timedelta(hours=1)
VERIFY_LIFETIME = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The tokens of a new or refreshed session: shown to the person once, never stored."""

    session_id: ObjectId
    account: Account | None
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime


async def sign_in(store: Store, email: str, password: str, *, address: str = "unknown") -> SignedIn:
    email = normal_email(email)
    keys = (f"email:{email}", f"addr:{address}")
    by_email, by_address = await store.accounts.count_attempt(*keys)
    if throttle.refused(by_email - 1, by_address - 1):
        raise DomainError.of("too_many_attempts", None, seconds=int(throttle.WINDOW.total_seconds()))
    found = await store.accounts.credentials(email) if email else None
    ok = await verify_password(found[1] if found else None, password)
    if not ok or found is None:
        await asyncio.sleep(throttle.delay_seconds(max(by_email, by_address)))
        raise DomainError.of("invalid_credentials", "password")
    await store.accounts.clear_failures(keys[0])
    await store.accounts.forgive_attempt(keys[1])
    return await _open(store, found[0])


async def _open(store: Store, account: Account) -> SignedIn:
    access, refresh = new_secret(ACCESS_PREFIX), new_secret(REFRESH_PREFIX)
    now = utcnow()
    session = await store.accounts.open_session(
        account.id, access, refresh, now + ACCESS_LIFETIME, now + REFRESH_LIFETIME
    )
    return SignedIn(session.id, account, access, refresh, session.access_expires_at, session.refresh_expires_at)


async def refresh_session(store: Store, refresh_token: str) -> SignedIn:
    """New tokens for the session; the refresh token given is used up. Presenting it again ends the session."""
    access, refresh = new_secret(ACCESS_PREFIX), new_secret(REFRESH_PREFIX)
    session = await store.accounts.rotate_session(refresh_token.strip(), access, refresh, utcnow() + ACCESS_LIFETIME)
    if session is None:
        raise DomainError.of("session_invalid", "refreshToken")
    account = await store.accounts.get(session.account_id)
    if account is None or account.deleted:
        await store.accounts.end_session(session.id)
        raise DomainError.of("session_invalid", "refreshToken")
    return SignedIn(session.id, account, access, refresh, session.access_expires_at, session.refresh_expires_at)


async def sign_out(store: Store, viewer: Principal, *, everywhere: bool = False) -> None:
    if not viewer.via_session:
        raise forbidden("forbidden_people_only", action="sign out")
    if everywhere:
        await store.accounts.end_sessions_of(viewer.account_id)
    elif viewer.key_id is not None:
        await store.accounts.end_session(viewer.key_id)


async def change_password(store: Store, viewer: Principal, current: str, new: str) -> None:
    """Every session of the account ends, this one too; API keys are left alone (they belong to integrations,
    not to a device)."""
    if not viewer.via_session:
        raise forbidden("forbidden_people_only", action="change the password")
    account = await store.accounts.get(viewer.account_id)
    if account is None:
        raise DomainError.of("session_invalid", None)
    if not await verify_password(await store.accounts.password_hash(viewer.account_id), current):
        raise DomainError.of("password_wrong", "currentPassword")
    _check_strength(new, "newPassword", account)
    hashed = await hash_password(new)

    async def write(session: AsyncClientSession) -> None:
        await store.accounts.update(account.id, {"passwordHash": hashed}, session)
        await store.accounts.end_sessions_of(account.id, session=session)
        await audit.record(store, viewer, "account.password_changed", "Account", account.id, session=session)

    await in_transaction(store.client, write)


def _check_strength(password: str, field: str, account: Account) -> None:
    errors = strength_errors(password, field, email=account.email or "", name=account.name)
    if errors:
        raise DomainError(errors)


async def request_password_reset(store: Store, email: str) -> None:
    """Mails a single-use link when the email has an account; answers the same either way."""
    email = normal_email(email)
    if errors := email_errors(email, "email"):
        raise DomainError(errors)
    # Counted for every email, known or not, so that neither the answer nor its work tells them apart; past
    # the limit nothing is sent, and no one can fill a person's inbox with reset mails.
    (asked,) = await store.accounts.count_attempt(f"reset:{email}")
    found = await store.accounts.credentials(email)
    if found is None or asked > throttle.RESET_MAILS:
        return
    account = found[0]
    secret = new_secret()

    async def write(session: AsyncClientSession) -> None:
        await store.accounts.issue_token(
            Purpose.RESET_PASSWORD, secret, utcnow() + RESET_LIFETIME, {"accountId": account.id}, session
        )
        await store.mail.enqueue(
            to=email,
            template="password_reset",
            locale=account.locale,
            params={
                "name": account.name,
                "token": secret,
                "link": store.mail.link(RESET_PASSWORD_PATH, token=secret),
                "valid_minutes": str(int(RESET_LIFETIME.total_seconds() // 60)),
            },
            session=session,
        )

    await in_transaction(store.client, write)


async def reset_password(store: Store, token: str, password: str) -> Account:
    """Set a new password with a reset token; every session of the account ends."""
    pending = await store.accounts.peek_token(Purpose.RESET_PASSWORD, token.strip())
    account = await store.accounts.get(pending["accountId"]) if pending else None
    if pending is None or account is None:
        raise DomainError.of("token_invalid", "token", what="password reset")
    _check_strength(password, "password", account)
    hashed = await hash_password(password)

    async def write(session: AsyncClientSession) -> None:
        if await store.accounts.consume_token(Purpose.RESET_PASSWORD, token.strip(), session) is None:
            raise DomainError.of("token_invalid", "token", what="password reset")
        await store.accounts.update(account.id, {"passwordHash": hashed, "emailVerified": True}, session)
        await store.accounts.end_sessions_of(account.id, session=session)

    await in_transaction(store.client, write)
    return account


async def send_email_verification(store: Store, account: Account, session: AsyncClientSession | None = None) -> None:
    if not account.email:
        return
    secret = new_secret()
    await store.accounts.issue_token(
        Purpose.VERIFY_EMAIL,
        secret,
        utcnow() + VERIFY_LIFETIME,
        {"accountId": account.id, "email": account.email},
        session,
    )
    await store.mail.enqueue(
        to=account.email,
        template="verify_email",
        locale=account.locale,
        params={"name": account.name, "token": secret, "link": store.mail.link(VERIFY_EMAIL_PATH, token=secret)},
        session=session,
    )


async def verify_email(store: Store, token: str) -> Account:
    used = await store.accounts.consume_token(Purpose.VERIFY_EMAIL, token.strip())
    if used is None:
        raise DomainError.of("token_invalid", "token", what="email verification")
    account = await store.accounts.update(used["accountId"], {"emailVerified": True})
    if account is None or account.email != used.get("email"):
        raise DomainError.of("token_invalid", "token", what="email verification")
    return account


async def update_profile(store: Store, viewer: Principal, *, name: str | None, locale: str | None) -> Account:
    """A person's own name and the language of their emails: for the person signed in, not for a key."""
    if not viewer.via_session:
        raise forbidden("forbidden_people_only", action="change the profile")
    fields: dict[str, object] = {}
    if name is not None:
        cleaned = nfc(name)
        if errors := name_errors(cleaned, "name"):
            raise DomainError(errors)
        fields["name"] = cleaned
    if locale is not None:
        fields["locale"] = locale
    account = await store.accounts.update(viewer.account_id, fields)
    if account is None:
        raise DomainError.of("session_invalid", None)
    return account
