"""The small HTML page the API answers a link from an email with (unsubscribe, account links): a title and a
few paragraphs, plain HTML with inline style, no script and nothing fetched from elsewhere. Not cached and
sent with no referrer, as such links carry a token."""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse

from api.trace import PAGE_POLICY

HEADERS = {
    "Content-Security-Policy": PAGE_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_BODY_STYLE = "font-family: system-ui, sans-serif; max-width: 36em; margin: 3em auto; padding: 0 1em"


def notice_page(locale: str, title: str, body_html: str, status: int = 200) -> HTMLResponse:
    """`body_html` is HTML already escaped; the title is escaped here."""
    document = (
        f'<!DOCTYPE html>\n<html lang="{locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{html.escape(title)}</title></head><body style="{_BODY_STYLE}">'
        f"<h1>{html.escape(title)}</h1>{body_html}</body></html>\n"
    )
    return HTMLResponse(document, status, {**HEADERS, "Content-Language": locale})
