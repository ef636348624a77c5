"""The pages behind the links in emails (verify the address, reset the password, accept an invitation, and
the object a notification is about), for when those links lead to the API itself: OCOP_PUBLIC_URL unset, as
in development and the demo, or set to the API's own address. A front end at OCOP_PUBLIC_URL takes them on its
own pages; here a small page gives the GraphQL operation that does the same (the token in it, for the account
links), with a link to GraphiQL when it is on. Nothing is done on the visit: mail scanners open links too.
Plain HTML, no script, nothing fetched from elsewhere (api/notice_page.py)."""

from __future__ import annotations

import html
import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.notice_page import notice_page
from api.services import Services
from api.trace import reader_locale
from market.mail.links import ACCEPT_INVITATION_PATH, RESET_PASSWORD_PATH, VERIFY_EMAIL_PATH
from market.notifications.links import INBOX_PATH, OBJECT_PATHS

# path -> the mutation that takes the link's token, which goes in place of {token}; the reader fills in the "…"
MUTATIONS = {
    VERIFY_EMAIL_PATH: "mutation {{ verifyEmail(token: {token}) {{ ok errors {{ code message }} }} }}",
    RESET_PASSWORD_PATH: (
        'mutation {{ resetPassword(token: {token}, password: "…") {{ ok errors {{ field code message }} }} }}'
    ),
    ACCEPT_INVITATION_PATH: (
        'mutation {{ acceptInvitation(token: {token}, name: "…", password: "…") {{ member {{ id role }} '
        "errors {{ field code message }} }} }}"
    ),
}
TEXTS = {
    "vi": {
        VERIFY_EMAIL_PATH: "Xác nhận địa chỉ email",
        RESET_PASSWORD_PATH: "Đặt lại mật khẩu",
        ACCEPT_INVITATION_PATH: "Nhận lời mời tham gia tổ chức",
        "body": "Ứng dụng của bạn hoàn tất bước này với mã mà liên kết mang theo. Chỉ dùng API thì chạy lệnh "
        "GraphQL sau, đã chứa mã đó (điền các giá trị “…”):",
        "graphiql": "Mở GraphiQL",
        "missing_title": "Liên kết thiếu mã",
        "missing": "Liên kết này không có mã. Hãy mở lại đường dẫn trong email.",
        "object_title": "Mở trong ứng dụng",
        "object": "Liên kết này dẫn tới mục được nhắc trong email, trong ứng dụng của bạn. Chỉ dùng API thì đọc "
        "nó bằng truy vấn GraphQL sau, với khóa API hoặc phiên đăng nhập của bạn:",
    },
    "en": {
        VERIFY_EMAIL_PATH: "Confirm your email address",
        RESET_PASSWORD_PATH: "Reset your password",
        ACCEPT_INVITATION_PATH: "Accept the invitation to join an organisation",
        "body": "Your app completes this step with the token this link carries. With the API alone, run this "
        "GraphQL mutation, which holds the token (fill in the “…”):",
        "graphiql": "Open GraphiQL",
        "missing_title": "This link has no token",
        "missing": "This link carries no token. Open the link from the email again.",
        "object_title": "Open it in your app",
        "object": "This link leads to what the email is about, in your app. With the API alone, read it with this "
        "GraphQL query, sent with your API key or session:",
    },
}
_CODE_STYLE = "white-space: pre-wrap; overflow-wrap: anywhere; background: #f3f4f6; padding: .8em; border-radius: .4em"


def _with_operation(request: Request, texts: dict[str, str], intro: str, operation: str) -> str:
    body = f'<p>{html.escape(intro)}</p><pre style="{_CODE_STYLE}">{html.escape(operation)}</pre>'
    services: Services = request.app.state.services
    if services.settings.graphiql:
        body += f'<p><a href="/graphql">{html.escape(texts["graphiql"])}</a></p>'
    return body


async def mail_link_page(request: Request) -> Response:
    locale = reader_locale(request)
    texts = TEXTS[locale]
    token = request.query_params.get("token", "").strip()
    if not token:
        return notice_page(locale, texts["missing_title"], f"<p>{html.escape(texts['missing'])}</p>", 400)
    path = request.url.path
    mutation = MUTATIONS[path].format(token=json.dumps(token, ensure_ascii=False))
    return notice_page(locale, texts[path], _with_operation(request, texts, texts["body"], mutation))


async def object_page(request: Request) -> Response:
    """A notification email's link to the object it is about, or to the inbox (market/notifications/links.py)."""
    locale = reader_locale(request)
    texts = TEXTS[locale]
    if "id" in request.path_params:
        node_id = json.dumps(request.path_params["id"], ensure_ascii=False)
        query = f"query {{ node(id: {node_id}) {{ __typename id }} }}"
    else:
        query = "query { notifications(first: 20) { edges { node { id } } } }"
    return notice_page(locale, texts["object_title"], _with_operation(request, texts, texts["object"], query))


def routes() -> list[Route]:
    return [
        *(Route(path, mail_link_page, methods=["GET"]) for path in MUTATIONS),
        *(Route(f"{path}/{{id}}", object_page, methods=["GET"]) for path in OBJECT_PATHS),
        Route(INBOX_PATH, object_page, methods=["GET"]),
    ]
