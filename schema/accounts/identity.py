"""Signing in with a password: sessions, password changes and resets, email verification."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from market.accounts import sessions
from market.accounts.sessions import SignedIn
from schema.errors import UserError, returns_user_errors
from schema.labels import Locale

if TYPE_CHECKING:
    from schema.context import Context


@strawberry.type(
    description="A signed-in session. Send `accessToken` as `Authorization: Bearer <token>` (or in a WebSocket's "
    "`connection_init`) wherever an API key works; before `accessTokenExpiresAt`, trade `refreshToken` for new "
    "tokens with `refreshSession`. Both are shown once."
)
class Session:
    access_token: str = strawberry.field(description="Short-lived (15 minutes).")
    refresh_token: str = strawberry.field(
        description="Long-lived (30 days), single use: each `refreshSession` hands out a new one. Using one twice "
        "ends the session, since it means the token was copied."
    )
    expires_at: datetime = strawberry.field(description="When `accessToken` expires.")
    refresh_expires_at: datetime = strawberry.field(description="When `refreshToken` expires.")

    @classmethod
    def of(cls, signed_in: SignedIn) -> "Session":
        return cls(
            access_token=signed_in.access_token,
            refresh_token=signed_in.refresh_token,
            expires_at=signed_in.access_expires_at,
            refresh_expires_at=signed_in.refresh_expires_at,
        )


@strawberry.type(description="The result of `signIn` or `refreshSession`: a session, or the errors.")
class SessionPayload:
    session: Session | None = strawberry.field(default=None, description="Null when `errors` is not empty.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


@strawberry.type(description="The result of a mutation that returns nothing but its errors.")
class DonePayload:
    ok: bool = strawberry.field(default=False, description="True when it was done.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


Secret = Annotated[str, strawberry.argument(description="Never logged.")]


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(
        description="Sign in with an email and a password. `errors`: INVALID_CREDENTIALS (the email or the "
        "password is wrong: the message never says which, nor whether the email has an account), "
        "TOO_MANY_ATTEMPTS (after repeated failures for this email or from this address; answers slow down "
        "before that)."
    )
    @returns_user_errors(SessionPayload)
    async def sign_in(
        self,
        info: Info["Context", None],
        email: Annotated[str, strawberry.argument(description="Case does not matter.")],
        password: Secret,
    ) -> SessionPayload:
        ctx = info.context
        signed_in = await sessions.sign_in(ctx.store, email, password, address=ctx.client_address)
        return SessionPayload(session=Session.of(signed_in))

    @strawberry.mutation(
        description="New tokens for a session; the refresh token given is used up. `errors`: INVALID_TOKEN "
        "(unknown, expired, already used, or the session ended: sign in again)."
    )
    @returns_user_errors(SessionPayload)
    async def refresh_session(
        self,
        info: Info["Context", None],
        refresh_token: Annotated[str, strawberry.argument(description="The session's current refresh token.")],
    ) -> SessionPayload:
        return SessionPayload(session=Session.of(await sessions.refresh_session(info.context.store, refresh_token)))

    @strawberry.mutation(
        description="End this session (or, with `everywhere`, every session of the account): its tokens stop "
        "working within two seconds on every server, and its subscriptions close. Needs an access token. "
        "`errors`: FORBIDDEN (called with an API key)."
    )
    @returns_user_errors(DonePayload)
    async def sign_out(
        self,
        info: Info["Context", None],
        everywhere: Annotated[bool, strawberry.argument(description="End every session of the account.")] = False,
    ) -> DonePayload:
        ctx = info.context
        await sessions.sign_out(ctx.store, ctx.require_viewer(), everywhere=everywhere)
        return DonePayload(ok=True)

    @strawberry.mutation(
        description="Change your password, signed in (not with an API key); every session of the account ends. "
        "`errors`: FORBIDDEN (an API key), INVALID_CREDENTIALS "
        "(`currentPassword`), WEAK_PASSWORD."
    )
    @returns_user_errors(DonePayload)
    async def change_password(
        self, info: Info["Context", None], current_password: Secret, new_password: Secret
    ) -> DonePayload:
        ctx = info.context
        await sessions.change_password(ctx.store, ctx.require_viewer(), current_password, new_password)
        return DonePayload(ok=True)

    @strawberry.mutation(
        description="Mail a single-use link (valid one hour) to reset the password. Answers the same whether or "
        "not the email has an account. `errors`: INVALID (not an email address)."
    )
    @returns_user_errors(DonePayload)
    async def request_password_reset(
        self, info: Info["Context", None], email: Annotated[str, strawberry.argument(description="The account's.")]
    ) -> DonePayload:
        await sessions.request_password_reset(info.context.store, email)
        return DonePayload(ok=True)

    @strawberry.mutation(
        description="Set a new password with the token of a reset email; every session of the account ends. "
        "`errors`: INVALID_TOKEN, WEAK_PASSWORD."
    )
    @returns_user_errors(DonePayload)
    async def reset_password(
        self,
        info: Info["Context", None],
        token: Annotated[str, strawberry.argument(description="From the reset email.")],
        password: Secret,
    ) -> DonePayload:
        await sessions.reset_password(info.context.store, token, password)
        return DonePayload(ok=True)

    @strawberry.mutation(
        description="Change your display name or the language of your emails, signed in (not with an API key). "
        "`errors`: FORBIDDEN (an API key), REQUIRED, TOO_LONG."
    )
    @returns_user_errors(DonePayload)
    async def update_my_profile(
        self,
        info: Info["Context", None],
        name: Annotated[str | None, strawberry.argument(description="Your display name; unchanged if null.")] = None,
        language: Annotated[
            Locale | None, strawberry.argument(description="Of your emails; unchanged if null.")
        ] = None,
    ) -> DonePayload:
        ctx = info.context
        await sessions.update_profile(
            ctx.store, ctx.require_viewer(), name=name, locale=language.value if language else None
        )
        return DonePayload(ok=True)

    @strawberry.mutation(
        description="Confirm an email address with the token of a verification email. `errors`: INVALID_TOKEN."
    )
    @returns_user_errors(DonePayload)
    async def verify_email(
        self,
        info: Info["Context", None],
        token: Annotated[str, strawberry.argument(description="From the verification email.")],
    ) -> DonePayload:
        await sessions.verify_email(info.context.store, token)
        return DonePayload(ok=True)
