"""Reading what the local SMTP server (devservices/mailserver.py) received: for `ocop mail` and the tests.

A message's id is its file name without `.eml`; ids sort by arrival, so the newest come first.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from api.settings import Settings

_SUFFIX = ".eml"


class MessageNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    id: str
    received_at: datetime
    envelope_to: tuple[str, ...]
    """Where the server was asked to deliver it (the `Delivered-To` lines it added)."""
    sender: str
    to: str
    subject: str
    date: str
    message_id: str
    language: str
    text: str
    """The plain-text part, decoded."""
    html: str | None

    def addressed_to(self, address: str) -> bool:
        wanted = address.strip().casefold()
        header = [addr.casefold() for _, addr in getaddresses([self.to])]
        return wanted in header or wanted in (a.casefold() for a in self.envelope_to)


class Mailbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def of(cls, settings: Settings) -> Mailbox:
        return cls(settings.mail_dir)

    def _ids(self) -> list[str]:
        """Newest first; hidden files are messages still being written."""
        try:
            names = [p.name for p in self.directory.iterdir() if p.suffix == _SUFFIX and not p.name.startswith(".")]
        except FileNotFoundError:
            return []
        return sorted((name.removesuffix(_SUFFIX) for name in names), reverse=True)

    def messages(self, *, to: str | None = None) -> Iterator[ReceivedMail]:
        """Newest first, only those addressed to `to` when given (case-insensitive)."""
        # A mailbox kept across many test runs holds thousands of messages: one that does not even mention
        # the address is skipped without being parsed.
        needle = to.strip().casefold().encode() if to is not None and to.isascii() else None
        for message_id in self._ids():
            path = self.directory / f"{message_id}{_SUFFIX}"
            try:
                raw = path.read_bytes()
            except FileNotFoundError:  # removed meanwhile
                continue
            if needle is not None and needle not in raw.lower():
                continue
            mail = _parse(message_id, raw)
            if to is None or mail.addressed_to(to):
                yield mail

    def latest(self, *, to: str | None = None, limit: int | None = None) -> list[ReceivedMail]:
        """Newest first, at most `limit`."""
        result: list[ReceivedMail] = []
        for mail in self.messages(to=to):
            if limit is not None and len(result) >= limit:
                break
            result.append(mail)
        return result

    def get(self, message_id: str) -> ReceivedMail:
        """One message by id, or by a unique end of its id (the part `ocop mail list` shows)."""
        path = self._path(message_id)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise MessageNotFound(message_id) from None
        return _parse(path.name.removesuffix(_SUFFIX), raw)

    def remove_addressed_to(self, addresses: Iterable[str]) -> int:
        """Delete every message to one of `addresses` (tests clean up what they sent), in one pass; how many."""
        wanted = {a.strip().casefold() for a in addresses}
        removed = 0
        for message_id in self._ids():
            path = self.directory / f"{message_id}{_SUFFIX}"
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            lowered = raw.lower()
            if not any(a.encode() in lowered for a in wanted if a.isascii()):
                continue
            if any(_parse(message_id, raw).addressed_to(a) for a in wanted):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def remove(self, message_id: str) -> None:
        """Delete one message (tests clean up what they sent); a message already gone is no error."""
        with contextlib.suppress(MessageNotFound):
            self._path(message_id).unlink(missing_ok=True)

    def _path(self, message_id: str) -> Path:
        wanted = message_id.strip().removesuffix(_SUFFIX)
        if not wanted or "/" in wanted or wanted.startswith("."):
            raise MessageNotFound(message_id)
        exact = self.directory / f"{wanted}{_SUFFIX}"
        if exact.exists():
            return exact
        matches = [i for i in self._ids() if i.endswith(wanted)]
        if len(matches) != 1:
            raise MessageNotFound(message_id)
        return self.directory / f"{matches[0]}{_SUFFIX}"


def _parse(message_id: str, raw: bytes) -> ReceivedMail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    nanoseconds = message_id.split("-", 1)[0]
    received = datetime.fromtimestamp(int(nanoseconds) / 1e9, UTC) if nanoseconds.isdigit() else None
    return ReceivedMail(
        id=message_id,
        received_at=received or datetime.fromtimestamp(0, UTC),
        envelope_to=tuple(str(v) for v in message.get_all("Delivered-To", [])),
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        date=str(message.get("Date", "")),
        message_id=str(message.get("Message-ID", "")),
        language=str(message.get("Content-Language", "")),
        text=_lines(text_part.get_content()) if text_part is not None else "",
        html=_lines(html_part.get_content()) if html_part is not None else None,
    )


def _lines(content: str) -> str:
    """Line ends as Python writes them: SMTP carries CRLF."""
    return content.replace("\r\n", "\n")
