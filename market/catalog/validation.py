"""Input cleaning and validation for the catalog. Pure functions: no I/O.

A `Checker` collects every problem of one input, so a client learns all of them at once, then raises one
`DomainError`. Field names are the GraphQL input names, so a UI can put each message next to its field.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import MAXYEAR, MINYEAR, date, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from market.catalog.records import (
    CERTIFICATE_VALIDITY_MONTHS,
    TRANSLATION_LOCALES,
    Certification,
    PriceTier,
    ProducerType,
    ProductGroup,
    ProductStatus,
)
from market.core.clock import today
from market.core.errors import DomainError, FieldError
from market.core.messages import ENUM_LABELS, Verbatim
from market.core.numbers import NotAWholeNumber, parse_whole_number
from market.core.provinces import ProvinceMatch, load_provinces
from market.core.text import fold, nfc

MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_SHORT = 100
MAX_EMAIL = 254  # RFC 5321 path limit, less the angle brackets
MIN_PHONE_DIGITS = 6
MAX_PRICE_VND = 10**12
# A deal's total (unit price × quantity), kept well inside what JSON clients read exactly (2^53 − 1).
MAX_DEAL_VALUE_VND = MAX_PRICE_VND * 1000
MAX_MOQ = 10**9
MAX_IMAGES = 20
MAX_TIERS = 10
# The days an input may name. The OCOP programme began in 2018 (Decision 490/QĐ-TTg), so no certificate, deal
# or event of this market is older, and nothing is planned more than HORIZON_YEARS ahead. The bounds also keep
# date arithmetic (a default validity, a horizon) far from year 9999.
EARLIEST_DAY = date(2018, 1, 1)
HORIZON_YEARS = 10
_YES = frozenset({"true", "yes", "y", "x", "1", "có", "co", "đúng"})
_NO = frozenset({"false", "no", "n", "0", "không", "khong", "sai"})

# Certificates run 36 months; a longer validity given by hand is allowed, up to this.
MAX_CERTIFICATE_YEARS = 10

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 .()-]{6,20}$")
_URL = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)

E = TypeVar("E")


class Checker:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, key: str, field: str, **params: Any) -> None:
        """An error of catalogue message `key` (market/core/messages.py) about `field`."""
        self.errors.append(FieldError.of(key, field, **params))

    def raise_if_any(self) -> None:
        if self.errors:
            raise DomainError(self.errors)

    # --- scalars ----------------------------------------------------------------------------------

    def text(self, field: str, value: Any, *, required: bool, max_len: int) -> str | None:
        cleaned = nfc(value) if isinstance(value, str) else None
        if value is None or cleaned == "":
            if required:
                self.add("required", field)
            return None
        if cleaned is None:
            self.add("not_text", field)
            return None
        if len(cleaned) > max_len:
            self.add("too_long", field, max=max_len, got=len(cleaned))
            return None
        return cleaned

    def integer(
        self, field: str, value: Any, *, required: bool, minimum: int, maximum: int, grouped: bool = False
    ) -> int | None:
        """`grouped` accepts thousands separators in text (1.500.000), for amounts and quantities."""
        number = self._whole(field, value, required=required, grouped=grouped)
        if number is None:
            return None
        return self._in_range(field, number, minimum, maximum)

    def _whole(self, field: str, value: Any, *, required: bool, grouped: bool) -> int | None:
        # A blank cell is an absent value, not a malformed number.
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add("required", field)
            return None
        try:
            return parse_whole_number(value, grouped=grouped)
        except NotAWholeNumber as exc:
            self.add("not_whole_number", field, got=_shown(value), reason=exc.reason, **exc.params)
            return None

    def _in_range(self, field: str, number: int, minimum: int, maximum: int) -> int | None:
        if not minimum <= number <= maximum:
            self.add("out_of_range", field, min=minimum, max=maximum, got=number)
            return None
        return number

    def day(self, field: str, value: Any, *, earliest: date = EARLIEST_DAY, latest: date | None = None) -> date | None:
        """A calendar day from `earliest` to `latest` (by default HORIZON_YEARS from today), both included."""
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            day = value.date()
        elif isinstance(value, date):
            day = value
        else:
            try:
                day = date.fromisoformat(str(value).strip())
            except ValueError:
                self.add("not_a_date", field, got=_shown(value))
                return None
        latest = horizon() if latest is None else latest
        if not earliest <= day <= latest:
            self.add("out_of_range", field, min=earliest.isoformat(), max=latest.isoformat(), got=day.isoformat())
            return None
        return day

    def choice(self, field: str, value: Any, parse: Any, *, required: bool, label: str) -> Any:
        if value is None or value == "":
            if required:
                self.add("required", field)
            return None
        parsed = parse(value)
        if parsed is None:
            self.add("unknown_value", field, what=label, got=_shown(value))
        return parsed

    # --- domain values ----------------------------------------------------------------------------

    def province(self, field: str, value: Any, *, required: bool) -> ProvinceMatch | None:
        text = self.text(field, value, required=required, max_len=MAX_SHORT)
        if text is None:
            return None
        match = _province(text)
        if match is None:
            self.add("unknown_province", field, got=text)
        return match

    def filter_provinces(self, values: Iterable[Any]) -> list[ProvinceMatch]:
        """The provinces a filter names (`filter.provinces`), each a code or any current or old name; one the
        registry does not know is UNKNOWN_PROVINCE on its place, rather than a filter nothing passes."""
        found: list[ProvinceMatch] = []
        for index, value in enumerate(values):
            text = str(value)
            # Longer than any province's name: not looked up, so that a client's text cannot fill the lookups'
            # cache with what it likes.
            match = _province(text) if len(text) <= MAX_SHORT else None
            if match is None:
                self.add("unknown_province", f"filter.provinces[{index}]", got=_shortened(text))
            else:
                found.append(match)
        return found

    def yes_no(self, field: str, value: Any) -> bool | None:
        """True or False, or as a spreadsheet cell says it ("có", "không", "x", "yes", 1); blank is None."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            return value
        word = str(value).strip().casefold()
        if word in _YES:
            return True
        if word in _NO:
            return False
        self.add("not_a_yes_no", field, got=_shown(value))
        return None

    def stars(self, field: str, value: Any, *, required: bool) -> int | None:
        return self.integer(field, value, required=required, minimum=3, maximum=5)

    def product_filter(
        self,
        *,
        min_stars: int | None,
        price_min: int | None = None,
        price_max: int | None = None,
        max_moq: int | None = None,
        provinces: Iterable[Any] = (),
    ) -> None:
        """The bounds of a filter of products (`filter.` in the listing, the search and a saved search) that
        no product could pass, refused rather than answered with nothing; so is a province the registry does
        not know (a code, or any current or old name)."""
        self.filter_provinces(provinces)
        self.stars("filter.minStars", min_stars, required=False)
        if price_min is not None and price_max is not None and price_min > price_max:
            self.add("price_bounds", "filter.priceMin")
        self.integer("filter.maxMoq", max_moq, required=False, minimum=1, maximum=MAX_MOQ)

    def price(self, field: str, value: Any, *, required: bool) -> int | None:
        number = self._whole(field, value, required=required, grouped=True)
        if number is None:
            return None
        if number <= 0:
            self.add("not_positive_price", field, got=number)
            return None
        return self._in_range(field, number, 1, MAX_PRICE_VND)

    def price_tiers(self, field: str, value: Any) -> list[PriceTier] | None:
        if value is None:
            return None
        if not isinstance(value, list) or len(value) > MAX_TIERS:
            self.add("too_many_tiers", field, max=MAX_TIERS)
            return None
        tiers: list[PriceTier] = []
        ok = True
        for i, raw in enumerate(value):
            item = raw if isinstance(raw, dict) else {}
            qty = self.integer(
                f"{field}[{i}].minQuantity",
                item.get("minQuantity"),
                required=True,
                minimum=1,
                maximum=MAX_MOQ,
                grouped=True,
            )
            unit_price = self.price(f"{field}[{i}].unitPriceVnd", item.get("unitPriceVnd"), required=True)
            if qty is None or unit_price is None:
                ok = False
                continue
            tiers.append(PriceTier(qty, unit_price))
        if not ok:
            return None
        tiers.sort(key=lambda t: t.min_quantity)
        if len({t.min_quantity for t in tiers}) != len(tiers):
            self.add("same_tier_quantity", field)
            return None
        return tiers

    def certifications(self, field: str, value: Any) -> list[Certification] | None:
        if value is None:
            return None
        items = _split_list(value)
        if items is None:
            self.add("not_a_list", field)
            return None
        found: list[Certification] = []
        for item in items:
            cert = parse_certification(item)
            if cert is None:
                self.add("unknown_certification", field, got=item, allowed=[c.value for c in Certification])
            elif cert not in found:
                found.append(cert)
        return found

    def translations(self, field: str, value: Any) -> dict[str, dict[str, str]] | None:
        """`[{locale, name, description}]` as stored: `{"en": {"name": …, "description": …}}`. An entry with
        neither text is dropped, so sending it removes that language."""
        if value is None:
            return {}
        if not isinstance(value, list):
            self.add("not_a_list", field)
            return None
        out: dict[str, dict[str, str]] = {}
        for i, raw in enumerate(value):
            item = raw if isinstance(raw, dict) else {}
            locale = str(getattr(item.get("locale"), "value", item.get("locale")) or "").strip().lower()
            if locale not in TRANSLATION_LOCALES:
                self.add("unknown_value", f"{field}[{i}].locale", what="translation language", got=locale)
                continue
            if locale in out:
                self.add("duplicate_translation", f"{field}[{i}].locale", got=locale)
                continue
            name = self.text(f"{field}[{i}].name", item.get("name"), required=False, max_len=MAX_NAME)
            description = self.text(
                f"{field}[{i}].description", item.get("description"), required=False, max_len=MAX_DESCRIPTION
            )
            out[locale] = {k: v for k, v in (("name", name), ("description", description)) if v}
        return {k: v for k, v in out.items() if v}

    def urls(self, field: str, value: Any) -> list[str] | None:
        if value is None:
            return None
        items = _split_list(value)
        if items is None or len(items) > MAX_IMAGES:
            self.add("too_many_urls", field, max=MAX_IMAGES)
            return None
        urls = [nfc(u) for u in items]
        for url in urls:
            if not _URL.match(url):
                self.add("not_a_url", field, got=url)
        return urls

    def email(self, field: str, value: Any) -> str | None:
        text = self.text(field, value, required=False, max_len=MAX_EMAIL)
        if text is not None and not _EMAIL.match(text):
            self.add("not_an_email", field, got=text)
            return None
        return text

    def phone(self, field: str, value: Any) -> str | None:
        text = self.text(field, value, required=False, max_len=30)
        if text is not None and (not _PHONE.match(text) or sum(c.isdigit() for c in text) < MIN_PHONE_DIGITS):
            self.add("not_a_phone", field, got=text)
            return None
        return text


@lru_cache(maxsize=1024)
def _province(text: str) -> ProvinceMatch | None:
    # An import names the same few provinces on every row; the registry never changes in a process.
    return load_provinces().resolve(text)


@lru_cache(maxsize=1024)  # an import's rows share a few certification days, each checked twice a row
def add_months(day: date, months: int) -> date:
    """`months` after `day`, on the same day of the month or, if that month is shorter, on its last day.
    OverflowError beyond the years `date` can hold."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if not MINYEAR <= year <= MAXYEAR:
        raise OverflowError(f"year {year} is out of range")
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def horizon() -> date:
    """The latest day an input may name."""
    return add_months(today(), HORIZON_YEARS * 12)


def latest_done_day() -> date:
    """The latest day something already done (a certification, a signature, a production, an issue) may carry:
    today where the client is, which in Vietnam (UTC+7) may already be tomorrow in UTC, the zone stored days are
    read in, whatever the server's own zone."""
    return today() + timedelta(days=1)


def default_valid_until(certified_at: date) -> date:
    return add_months(certified_at, CERTIFICATE_VALIDITY_MONTHS)


def check_certificate_dates(check: Checker, certified_at: date | None, valid_until: date | None) -> date | None:
    """Returns the effective valid-until date (36 months after certification unless given)."""
    if certified_at is None:
        return valid_until
    try:
        default = default_valid_until(certified_at)
        longest = add_months(certified_at, MAX_CERTIFICATE_YEARS * 12)
    except OverflowError:
        # Checker.day keeps certifiedAt far from here; a caller passing its own date must not get a traceback.
        check.add("too_late_to_certify", "certifiedAt", got=certified_at.isoformat())
        return None
    if valid_until is None:
        return default
    if valid_until <= certified_at:
        check.add("not_after", "validUntil", other="certifiedAt")
    elif valid_until > longest:
        check.add(
            "certificate_too_long",
            "validUntil",
            years=MAX_CERTIFICATE_YEARS,
            other="certifiedAt",
            max=longest.isoformat(),
            got=valid_until.isoformat(),
        )
    return valid_until


# --- parsers for enumerations: accept codes and the Vietnamese names people write ------------------

_GROUP_ALIASES: dict[str, ProductGroup] = {
    "thuc pham": ProductGroup.FOOD,
    "do uong": ProductGroup.BEVERAGE,
    "thao duoc": ProductGroup.HERBAL,
    "duoc lieu": ProductGroup.HERBAL,
    "thu cong my nghe": ProductGroup.HANDICRAFT,
    "thu cong": ProductGroup.HANDICRAFT,
    "hang thu cong": ProductGroup.HANDICRAFT,
    "vai va may mac": ProductGroup.HANDICRAFT,
    "luu niem noi that trang tri": ProductGroup.HANDICRAFT,
    "sinh vat canh": ProductGroup.ORNAMENTAL,
    "hoa cay canh": ProductGroup.ORNAMENTAL,
    "hoa cay canh va dong vat canh": ProductGroup.ORNAMENTAL,
    "dich vu du lich cong dong": ProductGroup.TOURISM_SERVICE,
    "du lich cong dong": ProductGroup.TOURISM_SERVICE,
    "dich vu du lich cong dong va diem ban": ProductGroup.TOURISM_SERVICE,
}

_PRODUCER_TYPE_ALIASES: dict[str, ProducerType] = {
    "doanh nghiep": ProducerType.ENTERPRISE,
    "cong ty": ProducerType.ENTERPRISE,
    "dn": ProducerType.ENTERPRISE,
    "htx": ProducerType.COOPERATIVE,
    "hop tac xa": ProducerType.COOPERATIVE,
    "tht": ProducerType.COOPERATIVE_GROUP,
    "to hop tac": ProducerType.COOPERATIVE_GROUP,
    "ho kinh doanh": ProducerType.HOUSEHOLD,
    "ho san xuat": ProducerType.HOUSEHOLD,
    "co so": ProducerType.HOUSEHOLD,
}

_CERT_ALIASES: dict[str, Certification] = {
    "huu co": Certification.ORGANIC,
    "organic": Certification.ORGANIC,
    "iso 22000": Certification.ISO22000,
    "iso22000": Certification.ISO22000,
    "iso 9001": Certification.ISO9001,
    "fssc 22000": Certification.FSSC22000,
}


_SEPARATORS = re.compile(r"[\s_\-,.:/]+")


@lru_cache(maxsize=4096)
def _key(value: str) -> str:
    # The same few labels and producer names come back on every row of an import.
    return _SEPARATORS.sub(" ", fold(value)).strip()


def _labelled(enum: str) -> dict[str, str]:
    """The API's Vietnamese and English labels of an enum's values (what an export writes), by key."""
    return {_key(text): value.lower() for value, texts in ENUM_LABELS[enum].items() for text in texts.values()}


_GROUP_LABELS = _labelled("ProductGroup")
_PRODUCER_TYPE_LABELS = _labelled("ProducerType")
_STATUS_LABELS = {**_labelled("ProductStatus"), "nhap": "draft", "cong khai": "published"}


_GROUPS = {g.value: g for g in ProductGroup}
_PRODUCER_TYPES = {k.value: k for k in ProducerType}
_STATUSES = {s.value: s for s in ProductStatus}
# Longest first: the most specific legal form a name starts with wins.
_PRODUCER_PREFIXES = sorted(_PRODUCER_TYPE_ALIASES.items(), key=lambda kv: -len(kv[0]))


def parse_group(value: Any) -> ProductGroup | None:
    key = _key(str(value))
    if (group := _GROUPS.get(key.replace(" ", "_"))) is not None:
        return group
    if key in _GROUP_LABELS:
        return ProductGroup(_GROUP_LABELS[key])
    return _GROUP_ALIASES.get(key)


def parse_producer_type(value: Any) -> ProducerType | None:
    key = _key(str(value))
    if (kind := _PRODUCER_TYPES.get(key.replace(" ", "_"))) is not None:
        return kind
    if key in _PRODUCER_TYPE_LABELS:
        return ProducerType(_PRODUCER_TYPE_LABELS[key])
    return _PRODUCER_TYPE_ALIASES.get(key)


def parse_status(value: Any) -> ProductStatus | None:
    """A product status as its code or its label in either language ("Đã đăng", "Bản nháp")."""
    key = _key(str(value))
    if (status := _STATUSES.get(key)) is not None:
        return status
    return ProductStatus(_STATUS_LABELS[key]) if key in _STATUS_LABELS else None


def infer_producer_type(name: str) -> ProducerType:
    """Vietnamese producer names start with their legal form ("HTX ...", "Công ty ...")."""
    key = _key(name)
    for prefix, kind in _PRODUCER_PREFIXES:
        if key == prefix or key.startswith(prefix + " "):
            return kind
    return ProducerType.HOUSEHOLD


def parse_certification(value: Any) -> Certification | None:
    key = _key(str(value))
    if key in _CERT_ALIASES:
        return _CERT_ALIASES[key]
    compact = key.replace(" ", "").upper()
    try:
        return Certification(compact)
    except ValueError:
        return None


def _shortened(text: str) -> str:
    """A client's text as an error's `got`, cut where no valid value could still be going on."""
    return text if len(text) <= MAX_SHORT else text[:MAX_SHORT] + "…"


def _shown(value: Any) -> object:
    """A value a client sent, as an error's `got`: text as it is, a number as it was written."""
    if isinstance(value, str | int | float):  # bool included
        return value
    return Verbatim(value)


def _split_list(value: Any) -> list[str] | None:
    """Lists come as JSON arrays, or as ';'/','-separated text in CSV."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;,|]", value) if part.strip()]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, dict)):
        return [str(v).strip() for v in value if str(v).strip()]
    return None
