"""What delivery asks of a transport, and the MIME message every transport sends for an outbox entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import Protocol

from market.mail.outbox import OutboxMessage

DEFAULT_MAIL_FROM = "OCOP Market <no-reply@ocop-market.local>"


@dataclass(frozen=True, slots=True)
class SendFailure:
    """Why one message was not accepted. `permanent`: the server refused this message for good (an unknown
    mailbox, a rejected body), so retrying cannot help."""

    reason: str
    permanent: bool = False


class MailSender(Protocol):
    async def send_all(self, messages: Sequence[OutboxMessage]) -> list[SendFailure | None]:
        """Send each message; the result has one entry per message, None for each one accepted."""
        ...


def sender_address(mail_from: str) -> Address:
    """The one address of a From value such as `OCOP Market <no-reply@ocop-market.local>`."""
    parsed = getaddresses([mail_from])
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        raise ValueError(f"OCOP_MAIL_FROM must be one address, such as {DEFAULT_MAIL_FROM!r}")
    display, addr = parsed[0]
    user, _, domain = addr.rpartition("@")
    return Address(display_name=display, username=user, domain=domain)


def message_id(message: OutboxMessage, sender: Address) -> str:
    """The same for every attempt at one outbox entry, so a receiver can drop a repeat."""
    return f"<{message.id}@{sender.domain}>"


def build_message(message: OutboxMessage, sender: Address) -> EmailMessage:
    if message.text is None:
        raise ValueError(f"outbox message {message.id} has no body left to send ({message.status})")
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = message_id(message, sender)
    # Tells auto-responders (out-of-office replies) not to answer.
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Ocop-Template"] = message.template
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    # After the bodies: setting content clears every Content-* header.
    mail["Content-Language"] = message.locale
    return mail
