"""Every email the marketplace sends, by name, in Vietnamese and English.

A template names the parameters it needs; rendering with an unknown name, an unknown locale, a missing or an
unexpected parameter raises `TemplateError`: that is a bug in the caller, never the user's input. Amounts
(whole đồng, as ints) are written as each language writes them. The HTML part is the text, escaped, with its
links made clickable, so the two parts always say the same thing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from market.core.messages import event_title

Locale = Literal["vi", "en"]
LOCALES: tuple[Locale, ...] = ("vi", "en")

Derive = Callable[[Mapping[str, str], Locale], dict[str, str]]


class TemplateError(ValueError):
    """A template was asked for by a name, locale or parameters it does not have."""


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    params: frozenset[str]
    subject: Mapping[Locale, str]
    body: Mapping[Locale, str]
    derive: Derive | None = field(default=None)
    """Values computed from the parameters (a localised label, a line shown only when a value is given)."""


SIGNATURE: Mapping[Locale, str] = {
    "vi": "Trân trọng,\nBan quản trị Sàn OCOP\n\n—\nĐây là email tự động, vui lòng không trả lời email này.",
    "en": "Kind regards,\nThe OCOP Market team\n\n—\nThis is an automated message; please do not reply to it.",
}

ROLES: Mapping[str, Mapping[Locale, str]] = {
    "OWNER": {"vi": "Chủ sở hữu", "en": "owner"},
    "MANAGER": {"vi": "Quản lý", "en": "manager"},
    "MEMBER": {"vi": "Thành viên", "en": "member"},
    "VIEWER": {"vi": "Người xem", "en": "viewer"},
}

DECISIONS: Mapping[str, Mapping[Locale, str]] = {
    "APPROVED": {"vi": "đã được phê duyệt", "en": "has been approved"},
    "REJECTED": {"vi": "đã bị từ chối", "en": "has been declined"},
}

_OUTCOMES: Mapping[str, Mapping[Locale, str]] = {
    "APPROVED": {
        "vi": "Giao dịch đã được mở. Quý vị có thể theo dõi tiến độ giao dịch khi đăng nhập Sàn OCOP.",
        "en": "The deal is now open. Sign in to OCOP Market to follow its progress.",
    },
    "REJECTED": {
        "vi": "Báo giá chưa được chấp nhận và không có giao dịch nào được mở.",
        "en": "The quotation has not been accepted and no deal has been opened.",
    },
}


def _choice(value: str, table: Mapping[str, Mapping[Locale, str]], param: str) -> str:
    key = value.strip().upper()
    if key not in table:
        raise TemplateError(f"{param}={value!r} is not one of {', '.join(sorted(table))}")
    return key


def _line(label: Mapping[Locale, str], value: str, locale: Locale) -> str:
    """A labelled paragraph, or nothing at all when the value is empty."""
    return f"\n{label[locale]}: {value}\n" if value.strip() else ""


def _invitation(values: Mapping[str, str], locale: Locale) -> dict[str, str]:
    return {"role_label": ROLES[_choice(values["role"], ROLES, "role")][locale]}


def _verified(values: Mapping[str, str], locale: Locale) -> dict[str, str]:
    return {
        "note_block": _line({"vi": "Ghi chú của cơ quan xác minh", "en": "Reviewer's note"}, values["note"], locale)
    }


def _rfq(values: Mapping[str, str], locale: Locale) -> dict[str, str]:
    return {
        "target_block": _line({"vi": "Giá mục tiêu", "en": "Target price"}, values["target"], locale),
        "message_block": _line({"vi": "Lời nhắn của bên mua", "en": "The buyer's message"}, values["message"], locale),
    }


def _event(values: Mapping[str, str], locale: Locale) -> dict[str, str]:
    return {
        "headline": event_title(values["event"], locale),
        "details_block": _line({"vi": "Chi tiết", "en": "Details"}, values["details"], locale),
    }


_UNSUBSCRIBE: Mapping[Locale, str] = {
    "vi": "Không muốn nhận email loại này nữa? Mở đường dẫn sau (không cần đăng nhập):\n{unsubscribe}",
    "en": "Don't want these emails? Open this link (no sign-in needed):\n{unsubscribe}",
}


def _decided(values: Mapping[str, str], locale: Locale) -> dict[str, str]:
    decision = _choice(values["decision"], DECISIONS, "decision")
    return {
        "decision_phrase": DECISIONS[decision][locale],
        "outcome": _OUTCOMES[decision][locale],
        "reason_block": _line({"vi": "Lý do", "en": "Reason"}, values["reason"], locale),
    }


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            name="verify_email",
            params=frozenset({"name", "token", "link"}),
            subject={
                "vi": "Xác nhận địa chỉ email của Quý vị trên Sàn OCOP",
                "en": "Confirm your email address for OCOP Market",
            },
            body={
                "vi": "Kính gửi {name},\n\n"
                "Cảm ơn Quý vị đã đăng ký tài khoản trên Sàn OCOP. Để hoàn tất đăng ký, vui lòng xác nhận địa "
                "chỉ email bằng cách mở đường dẫn dưới đây:\n\n{link}\n\n"
                "Hoặc nhập mã xác nhận: {token}\n\n"
                "Nếu Quý vị không thực hiện đăng ký này, xin vui lòng bỏ qua email; địa chỉ email sẽ không "
                "được xác nhận.",
                "en": "Dear {name},\n\n"
                "Thank you for registering with OCOP Market. To complete your registration, please confirm your "
                "email address by opening this link:\n\n{link}\n\n"
                "Or enter this confirmation code: {token}\n\n"
                "If you did not register, please ignore this email; the address will not be confirmed.",
            },
        ),
        Template(
            name="password_reset",
            params=frozenset({"name", "token", "link", "valid_minutes"}),
            subject={"vi": "Đặt lại mật khẩu tài khoản Sàn OCOP", "en": "Reset your OCOP Market password"},
            body={
                "vi": "Kính gửi {name},\n\n"
                "Chúng tôi đã nhận được yêu cầu đặt lại mật khẩu cho tài khoản của Quý vị. Để đặt mật khẩu "
                "mới, vui lòng mở đường dẫn dưới đây trong vòng {valid_minutes} phút:\n\n{link}\n\n"
                "Mã đặt lại mật khẩu: {token}\n\n"
                "Đường dẫn chỉ sử dụng được một lần. Nếu Quý vị không yêu cầu đặt lại mật khẩu, xin vui lòng "
                "bỏ qua email này; mật khẩu hiện tại vẫn được giữ nguyên.",
                "en": "Dear {name},\n\n"
                "We received a request to reset the password of your account. To choose a new password, please "
                "open this link within {valid_minutes} minutes:\n\n{link}\n\n"
                "Password reset code: {token}\n\n"
                "The link can be used only once. If you did not ask to reset your password, please ignore this "
                "email; your current password stays as it is.",
            },
        ),
        Template(
            name="invitation",
            params=frozenset({"inviter", "organisation", "role", "token", "link"}),
            subject={
                "vi": "{inviter} mời Quý vị tham gia {organisation} trên Sàn OCOP",
                "en": "{inviter} invited you to join {organisation} on OCOP Market",
            },
            body={
                "vi": "Xin chào,\n\n"
                "{inviter} đã mời Quý vị tham gia tổ chức {organisation} trên Sàn OCOP với vai trò "
                "{role_label}.\n\n"
                "Để nhận lời mời, vui lòng mở đường dẫn dưới đây và đặt mật khẩu cho tài khoản của "
                "mình:\n\n{link}\n\n"
                "Mã lời mời: {token}\n\n"
                "Nếu Quý vị không mong đợi lời mời này, xin vui lòng bỏ qua email.",
                "en": "Hello,\n\n"
                "{inviter} has invited you to join {organisation} on OCOP Market with the {role_label} role.\n\n"
                "To accept, please open this link and choose a password for your account:\n\n{link}\n\n"
                "Invitation code: {token}\n\n"
                "If you were not expecting this invitation, you can ignore this email.",
            },
            derive=_invitation,
        ),
        Template(
            name="organisation_verified",
            params=frozenset({"name", "organisation", "note"}),
            subject={
                "vi": "{organisation} đã được xác minh trên Sàn OCOP",
                "en": "{organisation} has been verified on OCOP Market",
            },
            body={
                "vi": "Kính gửi {name},\n\n"
                "Tổ chức {organisation} đã được xác minh. Từ nay, các thành viên của tổ chức có thể tham gia "
                "giao dịch trên Sàn OCOP: gửi yêu cầu báo giá, báo giá, chấp nhận báo giá và đăng bán sản "
                "phẩm.\n{note_block}",
                "en": "Dear {name},\n\n"
                "{organisation} has been verified. Its members can now trade on OCOP Market: send requests for "
                "quotation, quote, accept quotations and publish products.\n{note_block}",
            },
            derive=_verified,
        ),
        Template(
            name="organisation_rejected",
            params=frozenset({"name", "organisation", "reason"}),
            subject={
                "vi": "Hồ sơ đăng ký của {organisation} chưa được chấp thuận",
                "en": "The registration of {organisation} was not approved",
            },
            body={
                "vi": "Kính gửi {name},\n\n"
                "Rất tiếc, hồ sơ đăng ký của tổ chức {organisation} trên Sàn OCOP chưa được chấp thuận.\n\n"
                "Lý do: {reason}\n\n"
                "Quý vị có thể bổ sung, điều chỉnh thông tin theo lý do nêu trên, hoặc liên hệ cơ quan điều "
                "phối chương trình OCOP của tỉnh để được hướng dẫn.",
                "en": "Dear {name},\n\n"
                "We are sorry: the registration of {organisation} on OCOP Market was not approved.\n\n"
                "Reason: {reason}\n\n"
                "You may complete or correct the information accordingly, or contact your province's OCOP "
                "office for guidance.",
            },
        ),
        Template(
            name="approval_requested",
            params=frozenset({"name", "requester", "organisation", "amount", "quotation"}),
            subject={
                "vi": "Cần phê duyệt: đơn mua {amount} do {requester} đề nghị",
                "en": "Approval needed: a purchase of {amount} by {requester}",
            },
            body={
                "vi": "Kính gửi {name},\n\n"
                "{requester} đã chấp nhận báo giá “{quotation}” với giá trị {amount}, vượt hạn mức chi tiêu "
                "được giao. Đơn mua đang chờ Quý vị hoặc một quản lý khác của {organisation} phê duyệt.\n\n"
                "Vui lòng đăng nhập Sàn OCOP để xem chi tiết, sau đó phê duyệt hoặc từ chối đơn mua.",
                "en": "Dear {name},\n\n"
                "{requester} accepted the quotation “{quotation}” worth {amount}, which is above their spending "
                "limit. The purchase is waiting for approval by you or another manager of {organisation}.\n\n"
                "Please sign in to OCOP Market to review it, then approve or decline it.",
            },
        ),
        Template(
            name="purchase_decided",
            params=frozenset({"name", "decision", "amount", "reason"}),
            subject={
                "vi": "Đơn mua {amount} {decision_phrase}",
                "en": "Your purchase of {amount} {decision_phrase}",
            },
            body={
                "vi": "Kính gửi {name},\n\n"
                "Đơn mua trị giá {amount} của Quý vị {decision_phrase}. {outcome}\n{reason_block}",
                "en": "Dear {name},\n\nYour purchase worth {amount} {decision_phrase}. {outcome}\n{reason_block}",
            },
            derive=_decided,
        ),
        Template(
            name="rfq_invitation",
            params=frozenset(
                {"name", "producer", "buyer", "request", "quantity", "target", "message", "link", "unsubscribe"}
            ),
            subject={
                "vi": "{buyer} mời {producer} báo giá: {request}",
                "en": "{buyer} invites {producer} to quote: {request}",
            },
            body={
                "vi": "Kính gửi {name},\n\n"
                "{buyer} mời {producer} báo giá cho yêu cầu: {request}, số lượng {quantity}.\n"
                "{target_block}{message_block}\n"
                "Xem yêu cầu và gửi báo giá tại:\n{link}\n\n" + _UNSUBSCRIBE["vi"],
                "en": "Dear {name},\n\n"
                "{buyer} invites {producer} to quote for: {request}, quantity {quantity}.\n"
                "{target_block}{message_block}\n"
                "See the request and quote here:\n{link}\n\n" + _UNSUBSCRIBE["en"],
            },
            derive=_rfq,
        ),
        Template(
            name="event_notice",
            params=frozenset({"name", "event", "details", "link", "unsubscribe"}),
            subject={"vi": "{headline}", "en": "{headline}"},
            body={
                "vi": "Kính gửi {name},\n\n{headline}.\n{details_block}\nXem chi tiết tại:\n{link}\n\n"
                + _UNSUBSCRIBE["vi"],
                "en": "Dear {name},\n\n{headline}.\n{details_block}\nSee it here:\n{link}\n\n" + _UNSUBSCRIBE["en"],
            },
            derive=_event,
        ),
        Template(
            name="event_digest",
            params=frozenset({"name", "count", "items", "link", "unsubscribe"}),
            subject={
                "vi": "Sàn OCOP: {count} thông báo mới trong ngày",
                "en": "OCOP Market: {count} new notifications today",
            },
            body={
                "vi": "Kính gửi {name},\n\nTrong ngày qua có {count} thông báo mới:\n\n{items}\n\n"
                "Xem tất cả khi đăng nhập:\n{link}\n\n"
                "Để đổi tần suất hoặc tắt email, hãy vào phần cài đặt thông báo, hoặc mở:\n{unsubscribe}",
                "en": "Dear {name},\n\n{count} new notifications in the past day:\n\n{items}\n\n"
                "See them all when signed in:\n{link}\n\n"
                "To change how often you hear from us, go to your notification settings, or open:\n{unsubscribe}",
            },
        ),
    )
}


def format_amount(vnd: int, locale: Locale) -> str:
    """Whole đồng as each language writes them: 25.000.000 ₫, 25,000,000 VND."""
    grouped = f"{vnd:,}"
    return f"{grouped.replace(',', '.')} ₫" if locale == "vi" else f"{grouped} VND"


def _text(name: str, value: object, locale: Locale) -> str:
    if isinstance(value, bool):
        raise TemplateError(f"{name} is a boolean; pass the text to show")
    if name == "amount" and isinstance(value, int):
        return format_amount(value, locale)
    if isinstance(value, int):
        return f"{value:,}".replace(",", "." if locale == "vi" else ",")
    return str(getattr(value, "value", value))


_URL = re.compile(r"https?://[^\s<>\"]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _html(text: str, locale: Locale) -> str:
    paragraphs = []
    for block in text.split("\n\n"):
        escaped = html.escape(block)
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return f'<!DOCTYPE html>\n<html lang="{locale}"><body>\n' + "\n".join(paragraphs) + "\n</body></html>\n"


def render(template: str, locale: str, params: Mapping[str, object]) -> RenderedMail:
    """The subject and both bodies of `template` in `locale` ("vi" or "en")."""
    found = TEMPLATES.get(template)
    if found is None:
        raise TemplateError(f"no mail template {template!r}; known: {', '.join(sorted(TEMPLATES))}")
    if locale not in LOCALES:
        raise TemplateError(f"locale {locale!r} is not one of {', '.join(LOCALES)}")
    lang: Locale = "vi" if locale == "vi" else "en"
    given = set(params)
    if missing := found.params - given:
        raise TemplateError(f"{template} needs {', '.join(sorted(missing))}")
    if unexpected := given - found.params:
        raise TemplateError(f"{template} has no parameter {', '.join(sorted(unexpected))}")
    values = {name: _text(name, value, lang) for name, value in params.items()}
    if found.derive is not None:
        values.update(found.derive(values, lang))
    # A header is one line: a name with a line break in it must not start a new header.
    subject = " ".join(found.subject[lang].format_map(values).split())
    body = found.body[lang].format_map(values).rstrip() + "\n\n" + SIGNATURE[lang] + "\n"
    body = _BLANK_LINES.sub("\n\n", body)
    return RenderedMail(subject=subject, text=body, html=_html(body.rstrip(), lang))
