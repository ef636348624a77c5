"""The pages behind the links in account emails (verify the address, reset the password, accept an
invitation), for when those links lead to the API itself: OCOP_PUBLIC_URL unset, as in development and the
demo, or set to the API's own address. A front end at OCOP_PUBLIC_URL takes the token on its own pages; here
a small page gives it, with the mutation that uses it (and, with GraphiQL on, a link to GraphiQL). Nothing is
done on the visit: mail scanners open links too. Plain HTML, no script, nothing fetched
from elsewhere (api/notice_page.py)."""

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
    },
}
_CODE_STYLE = "white-space: pre-wrap; overflow-wrap: anywhere; background: #f3f4f6; padding: .8em; border-radius: .4em"


async def mail_link_page(request: Request) -> Response:
    locale = "vi" if reader_locale(request) == "vi" else "en"
    texts = TEXTS[locale]
    token = request.query_params.get("token", "").strip()
    if not token:
        return notice_page(locale, texts["missing_title"], f"<p>{html.escape(texts['missing'])}</p>", 400)
    path = request.url.path
    mutation = MUTATIONS[path].format(token=json.dumps(token, ensure_ascii=False))
    body = f'<p>{html.escape(texts["body"])}</p><pre style="{_CODE_STYLE}">{html.escape(mutation)}</pre>'
    services: Services = request.app.state.services
    if services.settings.graphiql:
        body += f'<p><a href="/graphql">{html.escape(texts["graphiql"])}</a></p>'
    return notice_page(locale, texts[path], body)


def routes() -> list[Route]:
    return [Route(path, mail_link_page, methods=["GET"]) for path in MUTATIONS]
