"""What delivery asks of a transport, and the MIME message every transport sends for an outbox entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email import policy as email_policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
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


class EncodedWords(str):
    """A header value that is folded as RFC 2047 encoded words each holding its own spaces.

    The email package's folder (Python 3.11 and 3.12) puts the space between two words outside the encoded
    words when it folds a long non-ASCII value onto a second line, and readers drop whitespace between encoded
    words: "hộp quà Tết" arrived as "hộp quàTết". The legacy `Header` encoder keeps each space inside a word.
    Read back (`mail["Subject"]`), it is the text itself."""

    name: str

    def __new__(cls, name: str, value: str) -> EncodedWords:
        made = super().__new__(cls, value)
        made.name = name
        return made

    def fold(self, *, policy: Policy) -> str:
        width = policy.max_line_length or 78
        encoded = Header(str(self), "utf-8", maxlinelen=width, header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


def subject_header(subject: str) -> str:
    """ASCII folds correctly as it is; anything else is written as encoded words that keep their spaces."""
    return subject if subject.isascii() else EncodedWords("Subject", subject)


def build_message(message: OutboxMessage, sender: Address) -> EmailMessage:
    if message.text is None:
        raise ValueError(f"outbox message {message.id} has no body left to send ({message.status})")
    mail = EmailMessage(policy=email_policy.SMTP)
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = subject_header(message.subject)
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
