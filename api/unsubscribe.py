"""`/unsubscribe?token=…`: the link at the foot of every notification email. It works without signing in:
the token (market/notifications/unsubscribe.py) names the person and the event type, signed. One click (GET)
turns that event's email off and shows a small confirmation page; POST does the same, for mail clients'
one-click unsubscribe. Plain HTML with inline style, no script, nothing fetched from elsewhere."""

from __future__ import annotations

import html

import pymongo
from pymongo.errors import PyMongoError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.notice_page import notice_page
from api.services import Services
from api.trace import reader_locale
from market.core.messages import event_title
from market.notifications.unsubscribe import PATH, unsubscribe
from market.storage.faults import is_unavailable

TEXTS = {
    "vi": {
        "done_title": "Đã hủy nhận email",
        "done": "Bạn sẽ không nhận email về “{event}” nữa. Thông báo vẫn hiện trong ứng dụng; bạn có thể bật lại "
        "trong phần cài đặt thông báo.",
        "bad_title": "Liên kết không hợp lệ",
        "bad": "Liên kết hủy nhận email này không đúng hoặc đã bị sửa. Hãy mở lại đường dẫn trong email, hoặc đổi "
        "cài đặt thông báo sau khi đăng nhập.",
    },
    "en": {
        "done_title": "Unsubscribed",
        "done": "You will no longer get emails about “{event}”. Notifications still show in the app; you can turn "
        "the emails on again in your notification settings.",
        "bad_title": "This link does not work",
        "bad": "This unsubscribe link is not valid or was changed. Open the link from the email again, or change "
        "your notification settings after signing in.",
    },
}


async def unsubscribe_page(request: Request) -> Response:
    locale = reader_locale(request)
    texts = TEXTS[locale]
    token = request.query_params.get("token", "")
    services: Services = request.app.state.services
    try:
        with pymongo.timeout(services.settings.db_timeout):
            event = await unsubscribe(services.store, token)
    except PyMongoError as exc:
        if is_unavailable(exc):
            return Response("temporarily unavailable; retry in a moment\n", 503, {"Retry-After": "1"}, "text/plain")
        raise
    if event is None:
        return notice_page(locale, texts["bad_title"], f"<p>{html.escape(texts['bad'])}</p>", 400)
    done = texts["done"].format(event=event_title(event, locale))
    return notice_page(locale, texts["done_title"], f"<p>{html.escape(done)}</p>")


def routes() -> list[Route]:
    return [Route(PATH, unsubscribe_page, methods=["GET", "POST"])]
