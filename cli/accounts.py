"""Accounts and API keys."""

from __future__ import annotations

import sys

import typer

from api.settings import Settings
from cli.common import clients, console, err, run_async
from market.accounts.records import MemberRole, Role


def create_account_command(
    name: str = typer.Option(..., help="Display name."),
    role: Role = typer.Option(..., case_sensitive=False),
    org: str = typer.Option(
        None, help="Producer or buyer organisation id (raw, or the API's global id), for producer and buyer members."
    ),
    province: str = typer.Option(None, help="Province a coordinator oversees (old or new name, or code)."),
    email: str = typer.Option(None, help="The person's email; with a password they can sign in (`signIn`)."),
    org_role: MemberRole = typer.Option(
        MemberRole.OWNER, case_sensitive=False, help="Their role inside the organisation, for members."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read a password from standard input, so the person can sign in."
    ),
) -> None:
    """Create an account. Its id is the last line of output."""
    from market.accounts.services import create_account

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None

    async def work(settings: Settings) -> str:
        async with clients(settings) as (store, _):
            await store.ensure_indexes()
            account = await create_account(
                store, name=name, role=role, org_id=org, province=province, email=email, org_role=org_role,
                password=password,
            )  # fmt: skip
            return str(account.id)

    console.print(run_async(work), highlight=False)


def create_api_key_command(
    name: str = typer.Option(..., help="Name of the key (and of the account, when one is created)."),
    role: Role = typer.Option(None, case_sensitive=False, help="Create a new account with this role for the key."),
    org: str = typer.Option(
        None, help="Organisation id (raw, or the API's global id), for producer and buyer members."
    ),
    province: str = typer.Option(None, help="Province, for coordinators."),
    account: str = typer.Option(None, help="Issue the key for this existing account instead (its id)."),
) -> None:
    """Issue an API key. The key is printed once, as the last line of output."""
    from market.accounts.services import create_account, issue_api_key
    from market.core.ids import object_id_of

    if (role is None) == (account is None):
        err.print("[red]error[/red] give either --role (new account) or --account (existing account)")
        raise typer.Exit(2)

    async def work(settings: Settings) -> str:
        async with clients(settings) as (store, _):
            await store.ensure_indexes()
            if account is not None:
                account_id = object_id_of(account, ("Account",))
                record = await store.accounts.get(account_id) if account_id is not None else None
                if record is None:
                    err.print(f"[red]error[/red] account: no account with id {account}")
                    raise typer.Exit(2)
                account_id = record.id
            else:
                assert role is not None
                account_id = (await create_account(store, name=name, role=role, org_id=org, province=province)).id
            return await issue_api_key(store, account_id, name)

    console.print(run_async(work), highlight=False, soft_wrap=True)


def revoke_api_key_command(
    key: str = typer.Argument(..., help="The key, its hint (ocop_XXXX, from `me { apiKeys }`) or its id."),
) -> None:
    """Revoke an API key. Running API processes refuse it within a few seconds and close its subscriptions."""
    from market.accounts.services import revoke_api_key_as_operator

    async def work(settings: Settings) -> str:
        async with clients(settings) as (store, _):
            revoked = await revoke_api_key_as_operator(store, key)
            return f"revoked {revoked.name} ({revoked.hint}…, id {revoked.id})"

    console.print(run_async(work), highlight=False)
