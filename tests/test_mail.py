"""Mail end to end against the real servers: the outbox in MongoDB, the local SMTP server that
`ocop services start` runs, and the files it keeps (devservices/mailbox.py)."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from bson import ObjectId
from typer.testing import CliRunner

from api.settings import Settings
from cli.app import build
from devservices.mailbox import Mailbox, ReceivedMail
from market.core.clock import utcnow
from market.mail.delivery import deliver_pending, drain
from market.mail.outbox import MailStatus
from market.mail.smtp import SmtpSender
from market.mail.templates import render
from market.storage.transactions import in_transaction
from market.store import Store

VERIFY = {"name": "Nguyễn Thị Hoa", "token": "tok", "link": "http://127.0.0.1:8000/verify-email?token=tok"}


@pytest.fixture(scope="module")
async def store(settings: Settings) -> AsyncIterator[Store]:
    """An outbox of this module's own: a round of delivery here takes every message due, even at a time in the
    future, and must not take (or fail) mail that other tests are waiting for."""
    own = Store.connect(settings.resolved_mongodb_url, settings.db_name + "_mail")
    await own.ensure_indexes()
    yield own
    await own.client.drop_database(own.db.name)
    await own.close()


@pytest.fixture
def mailbox(settings: Settings) -> Iterator[Mailbox]:
    """The local server's mailbox; what the test sent (to addresses from `address`) is removed after it."""
    box = Mailbox.of(settings)
    yield box
    box.remove_addressed_to(SENT)
    SENT.clear()


@pytest.fixture
def sender(settings: Settings) -> SmtpSender:
    return SmtpSender(settings.resolved_smtp_url, mail_from=settings.mail_from, timeout=5)


SENT: set[str] = set()


def address(tag: str) -> str:
    to = f"{tag}-{secrets.token_hex(4)}@example.vn"
    SENT.add(to)
    return to


def only(mailbox: Mailbox, to: str) -> ReceivedMail:
    received = mailbox.latest(to=to)
    assert len(received) == 1, f"{len(received)} messages to {to}"
    return received[0]


async def enqueue(store: Store, to: str, locale: str = "vi", **params: Any) -> ObjectId:
    return await store.mail.enqueue(to=to, template="verify_email", locale=locale, params={**VERIFY, **params})


class Abort(Exception):
    pass


async def test_mail_enqueued_in_a_rolled_back_transaction_is_never_sent(
    store: Store, sender: SmtpSender, mailbox: Mailbox
) -> None:
    rolled_back, committed = address("rollback"), address("commit")
    ids: list[ObjectId] = []

    async def work(session: Any) -> None:
        ids.append(
            await store.mail.enqueue(
                to=rolled_back, template="verify_email", locale="vi", params=VERIFY, session=session
            )
        )
        raise Abort

    with pytest.raises(Abort):
        await in_transaction(store.client, work)

    async def commit(session: Any) -> ObjectId:
        return await store.mail.enqueue(
            to=committed, template="verify_email", locale="vi", params=VERIFY, session=session
        )

    kept = await in_transaction(store.client, commit)
    await drain(store, sender)

    assert await store.mail.get(ids[0]) is None
    assert mailbox.latest(to=rolled_back) == []
    assert only(mailbox, committed).message_id == f"<{kept}@ocop-market.local>"


@pytest.mark.parametrize("locale", ["vi", "en"])
async def test_a_delivered_message_arrives_with_its_subject_in_its_language(
    store: Store, sender: SmtpSender, mailbox: Mailbox, settings: Settings, locale: str
) -> None:
    to = address(f"hello-{locale}")
    message_id = await enqueue(store, to, locale)
    report = await deliver_pending(store, sender)
    assert report.sent >= 1

    expected = render("verify_email", locale, VERIFY)
    received = only(mailbox, to)
    assert received.subject == expected.subject
    assert received.text == expected.text
    assert received.html is not None and VERIFY["link"] in received.html
    assert received.language == locale
    assert received.envelope_to == (to,)
    assert received.sender == settings.mail_from
    assert received.message_id == f"<{message_id}@ocop-market.local>"
    subject_word = "Xác nhận" if locale == "vi" else "Confirm"
    assert subject_word in received.subject

    stored = await store.mail.get(message_id)
    assert stored is not None and stored.status is MailStatus.SENT and stored.attempts == 1
    assert stored.text is None and stored.html is None  # the token is not kept once sent
    assert stored.due_at is None and stored.sent_at is not None


async def test_a_long_vietnamese_subject_arrives_with_every_space(
    store: Store, sender: SmtpSender, mailbox: Mailbox
) -> None:
    """Subjects long enough to be folded onto further header lines keep the spaces where they were folded (the
    email package's folder put them between encoded words, where readers drop them: "bán dịp" arrived as
    "bándịp"). Every length of the request is sent, so folds fall between many different words."""
    words = "kẹo dừa sáp Cầu Kè loại đặc biệt đóng hộp quà Tết 500 hộp giao trước ngày 15 tháng Chạp để kịp bán dịp Tết"
    sent: dict[str, str] = {}
    for n in range(12, len(words.split()) + 1):
        to = address(f"long-subject-{n}")
        params = {
            "name": "Nguyễn Văn An", "producer": "HTX Dừa sáp Cầu Kè", "buyer": "Saigon Co.op",
            "request": " ".join(words.split()[:n]), "quantity": "500 hộp", "target": "", "message": "",
            "link": "http://127.0.0.1:8000/inquiries/x", "unsubscribe": "http://127.0.0.1:8000/unsubscribe?token=t",
        }  # fmt: skip
        await store.mail.enqueue(to=to, template="rfq_invitation", locale="vi", params=params)
        sent[to] = render("rfq_invitation", "vi", params).subject
    await drain(store, sender)

    assert max(len(s.encode()) for s in sent.values()) > 150  # folded onto three lines
    assert {to: only(mailbox, to).subject for to in sent} == sent
    assert all(" báo giá: kẹo dừa" in subject for subject in sent.values())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_message_waits_while_the_smtp_server_is_down_then_goes_out(
    store: Store, sender: SmtpSender, mailbox: Mailbox, settings: Settings
) -> None:
    down = SmtpSender(f"smtp://127.0.0.1:{closed_port()}", mail_from=settings.mail_from, timeout=5)
    to = address("down")
    message_id = await enqueue(store, to)
    before = utcnow()

    report = await deliver_pending(store, down, limit=1000)
    assert report.retried >= 1 and report.sent == 0

    waiting = await store.mail.get(message_id)
    assert waiting is not None and waiting.status is MailStatus.PENDING
    assert waiting.attempts == 1 and waiting.last_error == "connection refused"
    assert waiting.due_at is not None and waiting.due_at >= before + store.mail.policy.delay(1)
    assert mailbox.latest(to=to) == []

    # Not yet due: a round now leaves it alone, even with the server back.
    await deliver_pending(store, sender, limit=1000)
    still = await store.mail.get(message_id)
    assert still is not None and still.status is MailStatus.PENDING and still.attempts == 1

    # Once due, it goes out, with the same Message-ID it would have had the first time.
    await deliver_pending(store, sender, limit=1000, now=waiting.due_at)
    sent = await store.mail.get(message_id)
    assert sent is not None and sent.status is MailStatus.SENT and sent.attempts == 2
    assert only(mailbox, to).message_id == f"<{message_id}@ocop-market.local>"


async def test_retries_end_in_failure_after_the_last_attempt(store: Store, settings: Settings) -> None:
    down = SmtpSender(f"smtp://127.0.0.1:{closed_port()}", mail_from=settings.mail_from, timeout=5)
    message_id = await enqueue(store, address("give-up"))
    now = utcnow()
    for _ in range(store.mail.policy.max_attempts):
        await deliver_pending(store, down, limit=1000, now=now)
        message = await store.mail.get(message_id)
        assert message is not None
        if message.status is MailStatus.FAILED:
            break
        assert message.due_at is not None
        now = message.due_at
    assert message.status is MailStatus.FAILED and message.attempts == store.mail.policy.max_attempts
    assert message.text is None and message.last_error == "connection refused"


async def test_two_deliveries_at_once_send_each_message_once(
    store: Store, sender: SmtpSender, mailbox: Mailbox, settings: Settings
) -> None:
    other = Store.connect(settings.resolved_mongodb_url, store.db.name)  # as another worker process would
    other_sender = SmtpSender(settings.resolved_smtp_url, mail_from=settings.mail_from, timeout=5)
    try:
        recipients = [address(f"twice-{i}") for i in range(16)]
        ids = [await enqueue(store, to) for to in recipients]
        first, second = await asyncio.gather(
            deliver_pending(store, sender, limit=1000), deliver_pending(other, other_sender, limit=1000)
        )
    finally:
        await other.close()
    assert first.sent + second.sent >= len(ids)
    for message_id in ids:
        message = await store.mail.get(message_id)
        assert message is not None and message.status is MailStatus.SENT and message.attempts == 1
    for to in recipients:
        only(mailbox, to)


async def test_a_worker_that_died_mid_send_has_its_messages_taken_over(
    store: Store, sender: SmtpSender, mailbox: Mailbox
) -> None:
    to = address("lease")
    message_id = await enqueue(store, to)
    claimed = await store.mail.claim("a-worker-that-dies", limit=1000)
    assert message_id in {m.id for m in claimed}

    # While its lease runs, nobody else sends it.
    await deliver_pending(store, sender, limit=1000)
    assert mailbox.latest(to=to) == []

    later = utcnow() + timedelta(seconds=store.mail.policy.lease + 1)
    await deliver_pending(store, sender, limit=1000, now=later)
    message = await store.mail.get(message_id)
    assert message is not None and message.status is MailStatus.SENT and message.attempts == 2
    assert only(mailbox, to).message_id == f"<{message_id}@ocop-market.local>"


async def test_the_outbox_refuses_what_is_not_one_plain_address(store: Store) -> None:
    for bad in ("", "hoa", "hoa@example.vn, other@example.vn", "hoa@example.vn\r\nBcc: x@example.vn"):
        with pytest.raises(ValueError, match="one plain email address"):
            await enqueue(store, bad)


async def test_ocop_mail_lists_and_shows_what_arrived(store: Store, sender: SmtpSender, mailbox: Mailbox) -> None:
    to = address("cli")
    await enqueue(store, to, "vi", name="Lê Văn Cường")
    await drain(store, sender)
    received = only(mailbox, to)

    runner = CliRunner()
    listed = runner.invoke(build(), ["mail", "list", "--to", to.upper(), "--limit", "5"], terminal_width=400)
    assert listed.exit_code == 0, listed.output
    assert received.id in listed.output and "Xác nhận" in listed.output

    shown = runner.invoke(build(), ["mail", "show", received.id], terminal_width=400)
    assert shown.exit_code == 0, shown.output
    assert f"Subject: {received.subject}" in shown.output
    assert f"To: {to}" in shown.output and "Kính gửi Lê Văn Cường" in shown.output

    missing = runner.invoke(build(), ["mail", "show", "no-such-message"])
    assert missing.exit_code == 1 and "no message" in missing.output


async def test_the_worker_loop_delivers_until_stopped(store: Store, sender: SmtpSender, mailbox: Mailbox) -> None:
    from workers.mail import deliver_mail

    to = address("worker")
    stop = asyncio.Event()
    loop = asyncio.create_task(deliver_mail(store, sender, stop, poll=0.05))
    try:
        message_id = await enqueue(store, to, "en")
        for _ in range(400):  # until it arrives; the bound only keeps a broken loop from hanging the suite
            message = await store.mail.get(message_id)
            if message is not None and message.status is MailStatus.SENT:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(loop, timeout=30)
    assert only(mailbox, to).subject == render("verify_email", "en", VERIFY).subject


class Refusing:
    """An SMTP server's answer to every recipient, as a real one gives it."""

    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return self.reply


@pytest.mark.parametrize(
    ("reply", "status"),
    [("550 5.1.1 No such mailbox", MailStatus.FAILED), ("450 4.2.1 Mailbox busy, try later", MailStatus.PENDING)],
)
async def test_a_permanent_refusal_fails_at_once_and_a_temporary_one_is_retried(
    store: Store, settings: Settings, reply: str, status: MailStatus
) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(Refusing(reply), hostname="127.0.0.1", port=closed_port())
    controller.start()
    try:
        refusing = SmtpSender(f"smtp://127.0.0.1:{controller.port}", mail_from=settings.mail_from, timeout=5)
        message_id = await enqueue(store, address("refused"))
        await deliver_pending(store, refusing, limit=1000)
    finally:
        controller.stop()
    message = await store.mail.get(message_id)
    assert message is not None and message.status is status and message.attempts == 1
    assert message.last_error == f"recipient refused: {reply}"
    assert (message.due_at is None) is (status is MailStatus.FAILED)
