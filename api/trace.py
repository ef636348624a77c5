"""The public side of lot traceability: `/t/<code>` (the trace page) and the lot's QR code as `/t/<code>.png`
and `/t/<code>.svg`. No key is needed: holding the code is what lets one read the lot (market/catalog/lots.py).

A code no lot has gets a 404 page in the reader's language; no QR code is drawn for it."""

from __future__ import annotations

import io

import pymongo
import segno
from pymongo.errors import PyMongoError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from api.media import locale_of
from api.services import Services
from api.trace_page import render_not_found, render_trace
from market.catalog.lots import Trace, trace
from market.core.messages import Locale
from market.storage.faults import is_unavailable

# A trace page changes only when the producer edits the product; a minute of caching spares the database a
# crowd scanning one label at a fair.
CACHE = "public, max-age=60"
# The page needs its own inline style and nothing else.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
QR_SCALE = {"png": 8, "svg": 4}


def reader_locale(request: Request) -> Locale:
    """`?lang=vi|en` first; else the browser's Accept-Language; with neither, Vietnamese, the label's own
    language."""
    asked = request.query_params.get("lang", "").lower()
    if asked in ("vi", "en"):
        return "vi" if asked == "vi" else "en"
    header = request.headers.get("accept-language")
    return locale_of(header) if header else "vi"


def trace_url(request: Request, services: Services, code: str) -> str:
    base = services.settings.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/t/{code}"


async def _find(request: Request, code: str) -> Trace | None:
    services: Services = request.app.state.services
    with pymongo.timeout(services.settings.db_timeout):
        return await trace(services.store, code)


def _unavailable() -> Response:
    return Response("temporarily unavailable; retry in a moment\n", 503, {"Retry-After": "1"}, "text/plain")


async def trace_page(request: Request) -> Response:
    code = request.path_params["code"]
    locale = reader_locale(request)
    switch = f"?lang={'en' if locale == 'vi' else 'vi'}"
    headers = {
        "Content-Language": locale,
        "Content-Security-Policy": PAGE_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Vary": "Accept-Language",
    }
    try:
        found = await _find(request, code)
    except PyMongoError as exc:
        if is_unavailable(exc):
            return _unavailable()
        raise
    if found is None:
        return HTMLResponse(render_not_found(locale, switch), 404, {**headers, "Cache-Control": "no-store"})
    return HTMLResponse(render_trace(found, locale, switch), 200, {**headers, "Cache-Control": CACHE})


async def qr_code(request: Request) -> Response:
    code, kind = request.path_params["code"], request.path_params["kind"]
    if kind not in QR_SCALE:
        return Response("no such image\n", 404, media_type="text/plain")
    try:
        found = await _find(request, code)
    except PyMongoError as exc:
        if is_unavailable(exc):
            return _unavailable()
        raise
    if found is None:
        return Response("no lot has this trace code\n", 404, media_type="text/plain")
    services: Services = request.app.state.services
    # Medium error correction survives a scuffed or partly covered label.
    qr = segno.make(trace_url(request, services, found.lot.code), error="m")
    out = io.BytesIO()
    if kind == "png":
        qr.save(out, kind="png", scale=QR_SCALE["png"], border=4)
        media = "image/png"
    else:
        qr.save(out, kind="svg", scale=QR_SCALE["svg"], border=4, xmldecl=False)
        media = "image/svg+xml"
    return Response(
        out.getvalue(),
        media_type=media,
        headers={
            "Cache-Control": "public, max-age=86400",
            "Content-Disposition": f'inline; filename="lot-{found.lot.code}.{kind}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def routes() -> list[Route]:
    # The image routes first: `{code}` alone would also match `abc.png`.
    return [
        Route("/t/{code}.{kind:str}", qr_code, methods=["GET"]),
        Route("/t/{code}", trace_page, methods=["GET"]),
    ]
