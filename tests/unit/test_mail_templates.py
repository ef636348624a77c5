"""Mail templates, the SMTP URL and the MIME message, without any server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId

from market.mail.links import VERIFY_EMAIL_PATH, public_link
from market.mail.outbox import MailStatus, OutboxMessage
from market.mail.sender import build_message, message_id, sender_address
from market.mail.smtp import SmtpTarget
from market.mail.templates import LOCALES, TEMPLATES, TemplateError, format_amount, render

PARAMS: dict[str, dict[str, Any]] = {
    "verify_email": {
        "name": "Nguyễn Thị Hoa",
        "token": "tok-123",
        "link": "https://ocop.example.vn/verify-email?token=tok-123",
    },
    "password_reset": {
        "name": "Hoa",
        "token": "tok-456",
        "link": "https://ocop.example.vn/reset?token=tok-456",
        "valid_minutes": 30,
    },
    "invitation": {
        "inviter": "Trần Văn Bình",
        "organisation": "Saigon Co.op",
        "role": "MANAGER",
        "token": "tok-789",
        "link": "https://ocop.example.vn/accept?token=tok-789",
    },
    "organisation_verified": {"name": "Hoa", "organisation": "HTX Dừa sáp Cầu Kè", "note": "Hồ sơ đầy đủ"},
    "organisation_rejected": {
        "name": "Hoa",
        "organisation": "Công ty ABC",
        "reason": "Thiếu giấy chứng nhận đăng ký kinh doanh",
    },
    "approval_requested": {
        "name": "Hoa",
        "requester": "Bình",
        "organisation": "Saigon Co.op",
        "amount": 125_000_000,
        "quotation": "Kẹo dừa sáp, bản 2",
    },
    "purchase_decided": {"name": "Bình", "decision": "approved", "amount": 125_000_000, "reason": ""},
    "rfq_invitation": {
        "name": "Hoa",
        "producer": "HTX Dừa sáp Cầu Kè",
        "buyer": "Saigon Co.op",
        "request": "kẹo dừa 4 sao",
        "quantity": "500 hộp",
        "target": "48.000 ₫",
        "message": "Hộp quà Tết",
        "link": "https://ocop.example.vn/inquiries/SW5xdWlyeTox",
        "unsubscribe": "https://ocop.example.vn/unsubscribe?token=t",
    },
    "event_notice": {
        "name": "Hoa",
        "event": "deal.state_changed",
        "details": "AGREED → ORDERED",
        "link": "https://ocop.example.vn/deals/RGVhbDox",
        "unsubscribe": "https://ocop.example.vn/unsubscribe?token=t",
    },
    "event_digest": {
        "name": "Hoa",
        "count": 2,
        "items": "- A: https://ocop.example.vn/a\n- B: https://ocop.example.vn/b",
        "link": "https://ocop.example.vn/notifications",
        "unsubscribe": "https://ocop.example.vn/unsubscribe?token=t",
    },
}


def test_every_template_is_exercised_here() -> None:
    assert set(PARAMS) == set(TEMPLATES)
    for name, template in TEMPLATES.items():
        assert set(PARAMS[name]) == template.params, name


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_renders_in_both_languages_with_every_value(name: str) -> None:
    rendered = {locale: render(name, locale, PARAMS[name]) for locale in LOCALES}
    vi, en = rendered["vi"], rendered["en"]
    assert vi.subject != en.subject and vi.text != en.text
    for mail in (vi, en):
        assert mail.subject and "\n" not in mail.subject and "{" not in mail.subject
        assert "{" not in mail.text and "}" not in mail.text
        assert "\n\n\n" not in mail.text
        assert mail.html.startswith("<!DOCTYPE html>")
    assert "Trân trọng" in vi.text and "Sàn OCOP" in vi.text
    assert "Kind regards" in en.text
    for key in ("token", "link", "name", "organisation", "inviter", "requester", "quotation", "reason", "note"):
        value = PARAMS[name].get(key)
        if value:
            assert value in vi.text and value in en.text, key
            if key == "link":
                assert f'<a href="{value}">' in vi.html


def test_amounts_are_written_as_each_language_writes_them() -> None:
    assert format_amount(125_000_000, "vi") == "125.000.000 ₫"
    assert format_amount(125_000_000, "en") == "125,000,000 VND"
    vi = render("approval_requested", "vi", PARAMS["approval_requested"])
    assert "125.000.000 ₫" in vi.subject and "125.000.000 ₫" in vi.text


def test_labels_come_from_the_values_given() -> None:
    invitation = render("invitation", "vi", PARAMS["invitation"])
    assert "vai trò Quản lý" in invitation.text
    assert "manager role" in render("invitation", "en", PARAMS["invitation"]).text
    approved = render("purchase_decided", "vi", PARAMS["purchase_decided"])
    assert "đã được phê duyệt" in approved.subject and "Lý do" not in approved.text
    rejected = render(
        "purchase_decided", "en", {**PARAMS["purchase_decided"], "decision": "REJECTED", "reason": "Over budget"}
    )
    assert "declined" in rejected.subject and "Reason: Over budget" in rejected.text
    no_note = render("organisation_verified", "vi", {**PARAMS["organisation_verified"], "note": " "})
    assert "Ghi chú" not in no_note.text


@pytest.mark.parametrize(
    ("template", "locale", "params", "complaint"),
    [
        ("verify_email", "vi", {"name": "A", "token": "t"}, "needs link"),
        ("password_reset", "en", {}, "needs link, name, token, valid_minutes"),
        ("verify_email", "vi", {**PARAMS["verify_email"], "code": "x"}, "no parameter code"),
        ("welcome", "vi", {}, "no mail template 'welcome'"),
        ("verify_email", "fr", PARAMS["verify_email"], "locale 'fr'"),
        ("invitation", "vi", {**PARAMS["invitation"], "role": "CEO"}, "role='CEO'"),
        ("purchase_decided", "en", {**PARAMS["purchase_decided"], "decision": "maybe"}, "decision='maybe'"),
    ],
)
def test_a_wrong_call_is_refused(template: str, locale: str, params: dict[str, Any], complaint: str) -> None:
    with pytest.raises(TemplateError, match=complaint.replace("(", r"\(")):
        render(template, locale, params)


def test_values_cannot_break_the_subject_or_the_html() -> None:
    params = {**PARAMS["invitation"], "organisation": "Evil\r\nBcc: victim@example.com <script>"}
    mail = render("invitation", "en", params)
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html


def test_links_join_the_public_url_and_encode_the_query() -> None:
    assert public_link("https://ocop.example.vn/", VERIFY_EMAIL_PATH, token="a+b/c") == (
        "https://ocop.example.vn/verify-email?token=a%2Bb%2Fc"
    )
    assert public_link("http://127.0.0.1:8000", "reset") == "http://127.0.0.1:8000/reset"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", ("smtp", "127.0.0.1", 2525, None, None)),
        ("smtp+starttls://user:p%40ss@mail.example.vn:587", ("smtp+starttls", "mail.example.vn", 587, "user", "p@ss")),
        ("smtps://apikey:secret@smtp.example.com", ("smtps", "smtp.example.com", 465, "apikey", "secret")),
        ("SMTP://relay", ("smtp", "relay", 25, None, None)),
    ],
)
def test_smtp_urls(url: str, expected: tuple[Any, ...]) -> None:
    target = SmtpTarget.parse(url)
    assert (target.scheme, target.host, target.port, target.username, target.password) == expected
    assert "secret" not in target.display and "@" not in target.display


@pytest.mark.parametrize(
    "url", ["http://mail:25", "smtp://", "smtp://host:99999", "smtp://host/path", "mail.example.vn:587"]
)
def test_bad_smtp_urls_are_refused_without_echoing_a_password(url: str) -> None:
    with pytest.raises(ValueError, match="OCOP_SMTP_URL"):
        SmtpTarget.parse(url.replace("host", "user:hunter2@host"))
    try:
        SmtpTarget.parse("ftp://user:hunter2@host")
    except ValueError as exc:
        assert "hunter2" not in str(exc)


def _message(**overrides: Any) -> OutboxMessage:
    mail = render("verify_email", "vi", PARAMS["verify_email"])
    fields: dict[str, Any] = {
        "id": ObjectId(),
        "to": "hoa@example.vn",
        "template": "verify_email",
        "locale": "vi",
        "subject": mail.subject,
        "text": mail.text,
        "html": mail.html,
        "status": MailStatus.SENDING,
        "attempts": 1,
        "created_at": datetime(2026, 11, 29, 8, 30, tzinfo=UTC),
        "due_at": None,
        "sent_at": None,
        "last_error": None,
    }
    return OutboxMessage(**{**fields, **overrides})


def test_the_message_id_is_the_same_on_every_attempt() -> None:
    sender = sender_address("OCOP Market <no-reply@ocop-market.local>")
    first = _message()
    again = _message(id=first.id, attempts=3)
    built = build_message(first, sender)
    assert built["Message-ID"] == build_message(again, sender)["Message-ID"] == f"<{first.id}@ocop-market.local>"
    assert message_id(first, sender) == built["Message-ID"]
    assert built["Subject"] == first.subject and built["To"] == "hoa@example.vn"
    assert built["Content-Language"] == "vi" and built["Auto-Submitted"] == "auto-generated"
    assert built.get_body(("plain",)).get_content().startswith("Kính gửi Nguyễn Thị Hoa")  # type: ignore[union-attr]
    assert built.get_body(("html",)) is not None


def test_the_sender_is_one_address() -> None:
    assert sender_address("no-reply@ocop.gov.vn").addr_spec == "no-reply@ocop.gov.vn"
    for bad in ("", "OCOP Market", "a@b.vn, c@d.vn"):
        with pytest.raises(ValueError):
            sender_address(bad)
