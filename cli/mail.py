"""`ocop mail list|show`: the messages the local development SMTP server received (devservices/mailbox.py).

Like `ocop services`, development tooling: devservices/ is not in the production image, and these commands
say so there instead of failing on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from api.settings import Settings

if TYPE_CHECKING:
    from devservices.mailbox import Mailbox

app = typer.Typer(
    name="mail",
    help="Read the messages the local development SMTP server received (under OCOP_HOME/mail).",
    no_args_is_help=True,
)
console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _mailbox(settings: Settings) -> Mailbox:
    try:
        from devservices.mailbox import Mailbox
    except ImportError as exc:
        err.print("the local mail server is development tooling, not installed here")
        raise typer.Exit(1) from exc
    if settings.smtp_url:
        err.print(
            Text(f"OCOP_SMTP_URL is set: mail goes to that server; this lists {settings.mail_dir} only", "yellow")
        )
    return Mailbox.of(settings)


@app.command("list")
def list_command(
    to: str = typer.Option(None, "--to", help="Only messages to this address (case-insensitive)."),
    limit: int = typer.Option(20, "--limit", min=1, help="At most this many, newest first."),
) -> None:
    """The newest messages first: id, time received, recipient, subject."""
    settings = Settings()
    messages = _mailbox(settings).latest(to=to, limit=limit)
    if not messages:
        console.print(f"no messages{f' to {to}' if to else ''} in {settings.mail_dir}")
        return
    table = Table(title=f"mail in {settings.mail_dir}")
    # The id whole on one line: it is what `ocop mail show` takes.
    table.add_column("id", no_wrap=True)
    for column in ("received (UTC)", "to", "subject"):
        table.add_column(column, overflow="fold")
    for mail in messages:
        table.add_row(mail.id, mail.received_at.strftime("%Y-%m-%d %H:%M:%S"), mail.to, Text(mail.subject))
    console.print(table)


@app.command("show")
def show_command(message_id: str = typer.Argument(..., metavar="ID", help="An id from `ocop mail list`.")) -> None:
    """One message: subject, from, to, date and its text, decoded."""
    from devservices.mailbox import MessageNotFound

    settings = Settings()
    try:
        mail = _mailbox(settings).get(message_id)
    except MessageNotFound:
        err.print(Text(f"no message {message_id!r} in {settings.mail_dir} (see `ocop mail list`)", "red"))
        raise typer.Exit(1) from None
    for label, value in (
        ("Subject", mail.subject),
        ("From", mail.sender),
        ("To", mail.to),
        ("Date", mail.date),
        ("Message-ID", mail.message_id),
        ("Language", mail.language),
    ):
        if value:
            console.print(Text.assemble((f"{label}: ", "bold"), value))
    console.print()
    console.print(Text(mail.text), soft_wrap=True)  # a link broken over two lines would not open
