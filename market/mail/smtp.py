"""Sending over SMTP, configured by one URL (OCOP_SMTP_URL):

    smtp://127.0.0.1:2525                     plain, as the local development server speaks
    smtp+starttls://user:pass@host:587        submission with STARTTLS (the usual relay)
    smtps://user:pass@host:465                TLS from the first byte

A user name or password with reserved characters is percent-encoded in the URL. The standard library's
smtplib runs in a thread, one connection per batch, with a timeout on every step. Logs name the outbox id,
the template and the recipient's domain only: bodies carry single-use tokens, and addresses are personal data.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from market.mail.outbox import OutboxMessage
from market.mail.sender import DEFAULT_MAIL_FROM, SendFailure, build_message, sender_address

log = logging.getLogger("ocop.mail")

DEFAULT_TIMEOUT = 10.0
_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """Raises ValueError naming what is wrong, never echoing a password."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise ValueError("OCOP_SMTP_URL is not a URL (smtp://host:port)") from None
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise ValueError(f"OCOP_SMTP_URL must start with {', '.join(f'{s}://' for s in _DEFAULT_PORTS)}")
        if not parts.hostname:
            raise ValueError("OCOP_SMTP_URL names no host")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("OCOP_SMTP_URL takes no path or query (smtp://user:password@host:port)")
        return cls(
            scheme=scheme,
            host=parts.hostname,
            port=port or _DEFAULT_PORTS[scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    @property
    def display(self) -> str:
        """The URL without credentials, for messages and logs."""
        return f"{self.scheme}://{self.host}:{self.port}"


class SmtpSender:
    def __init__(self, url: str, *, mail_from: str = DEFAULT_MAIL_FROM, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.target = SmtpTarget.parse(url)
        self.sender: Address = sender_address(mail_from)
        self.timeout = timeout

    async def send_all(self, messages: Sequence[OutboxMessage]) -> list[SendFailure | None]:
        if not messages:
            return []
        results: list[SendFailure | None] = [None] * len(messages)
        mails: list[tuple[int, EmailMessage]] = []
        for index, message in enumerate(messages):
            try:
                mails.append((index, build_message(message, self.sender)))
            except (ValueError, TypeError) as exc:  # no body left, a header the email package refuses
                results[index] = SendFailure(f"cannot be sent: {type(exc).__name__}", permanent=True)
        sent = await asyncio.to_thread(self._send_batch, [mail for _, mail in mails])
        for (index, _), failure in zip(mails, sent, strict=True):
            results[index] = failure
        for message, failure in zip(messages, results, strict=True):
            if failure is None:
                log.info("mail %s (%s) to @%s accepted", message.id, message.template, message.recipient_domain)
            else:
                log.warning(
                    "mail %s (%s) to @%s not accepted by %s: %s",
                    message.id,
                    message.template,
                    message.recipient_domain,
                    self.target.display,
                    failure.reason,
                )
        return results

    # ------------------------------------------------------------------ in the thread

    def _connect(self) -> smtplib.SMTP:
        target = self.target
        # The HELO name: without it smtplib asks the resolver for this machine's FQDN, which can stall.
        helo = self.sender.domain or "localhost"
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if target.scheme == "smtps":
            connection = smtplib.SMTP_SSL(
                target.host, target.port, local_hostname=helo, timeout=self.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(target.host, target.port, local_hostname=helo, timeout=self.timeout)
        try:
            connection.ehlo()
            if target.scheme == "smtp+starttls":
                connection.starttls(context=context)
                connection.ehlo()
            if target.username is not None:
                connection.login(target.username, target.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def _send_batch(self, mails: list[EmailMessage]) -> list[SendFailure | None]:
        try:
            connection = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            failure = SendFailure(_describe(exc))
            return [failure] * len(mails)
        results: list[SendFailure | None] = []
        try:
            for mail in mails:
                try:
                    connection.send_message(mail, from_addr=self.sender.addr_spec, to_addrs=[str(mail["To"])])
                    results.append(None)
                except smtplib.SMTPRecipientsRefused as exc:
                    codes = [code for code, _ in exc.recipients.values()]
                    results.append(SendFailure(_describe(exc), permanent=all(code >= 500 for code in codes)))
                except smtplib.SMTPDataError as exc:
                    results.append(SendFailure(_describe(exc), permanent=exc.smtp_code >= 500))
                except smtplib.SMTPNotSupportedError as exc:  # an address needing SMTPUTF8 the server lacks
                    results.append(SendFailure(_describe(exc), permanent=True))
                except (OSError, smtplib.SMTPException) as exc:
                    # The connection or the session is broken (or our sender is refused): none of the rest
                    # can go out on it; they are all retried later.
                    failure = SendFailure(_describe(exc))
                    results.extend([failure] * (len(mails) - len(results)))
                    break
                except Exception as exc:  # a message the email package cannot write: only this one fails
                    log.exception("mail could not be written for SMTP")
                    results.append(SendFailure(f"cannot be sent: {type(exc).__name__}", permanent=True))
        finally:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()
        return results


def _describe(exc: BaseException) -> str:
    """An error in a few words: the server's code and reply, or the kind of network failure."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = [f"{code} {_reply(message)}" for code, message in exc.recipients.values()]
        return "recipient refused: " + "; ".join(replies)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_reply(exc.smtp_error)}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or type(exc).__name__}"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"[:200]


def _reply(message: bytes | str) -> str:
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    return " ".join(text.split())[:200]
