"""The public trace page of a lot, as HTML: one small page that reads well on a phone, with no script, no
external file and every value escaped. Texts come from the message catalogue (TRACE_PAGE)."""

from __future__ import annotations

from datetime import date
from html import escape

from market.catalog.lots import Trace
from market.core import clock
from market.core.messages import ENUM_LABELS, TRACE_PAGE, Locale
from market.core.provinces import load_provinces

_STYLE = (
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2933;"
    "background:#f5f7f2}main{max-width:34rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.35rem;margin:.2rem 0 1rem}h2{font-size:1rem;margin:0 0 .4rem;color:#3e6b26;"
    "text-transform:uppercase;letter-spacing:.04em}section{background:#fff;border-radius:.6rem;"
    "padding:.9rem 1rem;margin:0 0 .8rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    "dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:.25rem .8rem}dt{color:#52606d}"
    "dd{margin:0;font-weight:600;overflow-wrap:anywhere}.stars{color:#d99a00;font-size:1.2rem}"
    ".bad{color:#b42318}.ok{color:#2f7d32}.name{font-size:1.2rem;font-weight:700;margin:0 0 .5rem}"
    "nav{text-align:right;font-size:.9rem}a{color:#3e6b26}footer{font-size:.8rem;color:#7b8794;"
    "text-align:center;margin:1rem 0}"
)


def text(key: str, locale: Locale, **params: object) -> str:
    """A catalogue text in `locale`, its placeholders filled and escaped."""
    template = TRACE_PAGE[key][locale]
    return template.format(**{k: escape(str(v)) for k, v in params.items()}) if params else escape(template)


def day(value: date, locale: Locale) -> str:
    return f"{value:%d/%m/%Y}" if locale == "vi" else f"{value.day} {value:%b %Y}"


def _row(label: str, value: str) -> str:
    return f"<dt>{label}</dt><dd>{value}</dd>"


def _page(title: str, body: str, locale: Locale, switch: str) -> str:
    other: Locale = "en" if locale == "vi" else "vi"
    return (
        f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{title}</title><style>{_STYLE}</style></head>'
        f'<body><main><nav><a href="{escape(switch)}" hreflang="{other}">{text("other_language", locale)}</a></nav>'
        f"{body}<footer>{text('footer', locale)}</footer></main></body></html>"
    )


def render_trace(trace: Trace, locale: Locale, switch: str) -> str:
    """The page of one lot; `switch` is the link to the same page in the other language."""
    lot, product, producer = trace.lot, trace.product, trace.producer
    today = clock.today()
    stars = "★" * product.stars
    if product.valid_until is None:
        validity = text("certificate_unknown", locale)
    elif product.valid_until < today:
        validity = (
            f'<span class="bad">{text("certificate_expired", locale, day=day(product.valid_until, locale))}</span>'
        )
    else:
        validity = f'<span class="ok">{text("certificate_valid", locale, day=day(product.valid_until, locale))}</span>'
    certificate = escape(product.certificate_no) + " · " + validity if product.certificate_no else validity
    province = load_provinces().get(producer.address.province_code)
    place = escape(province.name if province else producer.address.province_code)
    if producer.address.former_province and province and producer.address.former_province != province.name:
        place += f" ({text('formerly', locale, name=producer.address.former_province)})"
    if producer.address.commune:
        place = f"{escape(producer.address.commune)}, {place}"
    kind = ENUM_LABELS["ProducerType"][producer.type.name][locale]
    producer_line = f"{escape(producer.name)}<br><small>{escape(kind)}</small>"
    if producer.verified:
        producer_line += f'<br><small class="ok">✓ {text("verified", locale)}</small>'
    lot_rows = [
        _row(text("lot_number", locale), escape(lot.lot_number)),
        _row(text("produced_on", locale), day(lot.produced_on, locale)),
    ]
    if lot.expires_on is not None:
        expiry = day(lot.expires_on, locale)
        if lot.expired:
            expiry = f'<span class="bad">{expiry} · {text("lot_expired", locale)}</span>'
        lot_rows.append(_row(text("expires_on", locale), expiry))
    if lot.quantity is not None:
        lot_rows.append(_row(text("quantity", locale), f"{lot.quantity:,} {escape(lot.unit)}".replace(",", ".")))
    if lot.notes:
        lot_rows.append(_row(text("notes", locale), escape(lot.notes).replace("\n", "<br>")))
    lot_rows.append(_row(text("code", locale), f"<code>{escape(lot.code)}</code>"))
    body = (
        f"<h1>{text('title', locale)}</h1>"
        f'<section><p class="name">{escape(product.name)}</p><dl>'
        + _row(text("category", locale), escape(product.category))
        + _row(text("ocop", locale), f'<span class="stars" aria-hidden="true">{stars}</span> '
               f"{text('stars', locale, n=product.stars)}")
        + _row(text("certificate", locale), certificate)
        + "</dl></section>"
        f"<section><h2>{text('producer', locale)}</h2><dl>"
        + _row(text("producer", locale), producer_line)
        + _row(text("place", locale), place)
        + "</dl></section>"
        f"<section><h2>{text('lot', locale)}</h2><dl>{''.join(lot_rows)}</dl></section>"
    )  # fmt: skip
    return _page(f"{escape(product.name)} · {text('title', locale)}", body, locale, switch)


def render_not_found(locale: Locale, switch: str) -> str:
    body = f"<h1>{text('not_found_title', locale)}</h1><section><p>{text('not_found', locale)}</p></section>"
    return _page(text("not_found_title", locale), body, locale, switch)
