"""A product's variants (pack sizes): reading net quantities and barcodes as people write them, and checking
a list of variants as a product input gives it. Pure functions: no I/O.

A variant keeps its id while it is edited. An entry that names no id takes the id of the product's variant of
the same packaging and net quantity, if there is one, so that an edited file or a resent list keeps the ids
that inquiries, quotations and deals name.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from bson import ObjectId

from market.catalog.records import Measure, NetQuantity, Variant
from market.catalog.validation import MAX_MOQ, Checker
from market.core.text import fold, nfc

MAX_VARIANTS = 20
MAX_PACKAGING = 50
MAX_UNIT = 50
GTIN_LENGTHS = (8, 12, 13, 14)
# A net quantity above this (in its own measure) is a typing slip, not a pack: 10 tonnes, 10,000 litres.
MAX_NET_VALUE = Decimal(10_000_000)
NET_DECIMALS = 3

_MEASURES: dict[str, Measure] = {
    "ml": Measure.ML,
    "l": Measure.L,
    "lit": Measure.L,
    "litre": Measure.L,
    "liter": Measure.L,
    "g": Measure.G,
    "gr": Measure.G,
    "gram": Measure.G,
    "gam": Measure.G,
    "kg": Measure.KG,
}
_NET = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]+)")
# A dot before exactly three digits groups thousands in Vietnamese, as the same file's prices are written
# (1.200 g is 1200 g), and marks decimals in English (1.2 g): the two readings are a thousand times apart, so
# neither is taken. After a leading 0 (0.500 kg) the dot can only be a decimal; the comma is always one, as in
# "1,2 kg", the way a label prints it and an export writes it.
_DOT_BEFORE_THREE = re.compile(r"[1-9]\d{0,2}\.\d{3}")


def _amount_and_measure(text: str) -> tuple[str, Measure] | None:
    match = _NET.fullmatch(fold(text).strip())
    if match is None or match[2] not in _MEASURES:
        return None
    return match[1], _MEASURES[match[2]]


def parse_net_quantity(text: str) -> NetQuantity | None:
    """ "500ml", "500 ml", "5 lít", "1,2kg", "0.5 L", "250 gr" -> a NetQuantity; None for anything else, and
    for a dot before exactly three digits ("1.200 g"), which `ambiguous_net_quantity` explains."""
    parts = _amount_and_measure(text)
    if parts is None or _DOT_BEFORE_THREE.fullmatch(parts[0]):
        return None
    amount, measure = parts
    try:
        value = Decimal(amount.replace(",", "."))
    except InvalidOperation:
        return None
    return NetQuantity(value, measure)


def ambiguous_net_quantity(text: str) -> tuple[NetQuantity, NetQuantity] | None:
    """The two readings of a net quantity with a dot before exactly three digits, thousands then decimal
    ("1.200 g" -> 1200 g, 1,2 g); None for any other text."""
    parts = _amount_and_measure(text)
    if parts is None or not _DOT_BEFORE_THREE.fullmatch(parts[0]):
        return None
    amount, measure = parts
    return NetQuantity(Decimal(amount.replace(".", "")), measure), NetQuantity(Decimal(amount), measure)


def gtin_check_digit(body: str) -> int:
    """The GS1 check digit of `body` (a GTIN without its last digit): weights 3 and 1 from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_gtin(digits: str) -> bool:
    """A GTIN-8, -12 (UPC-A), -13 (EAN-13) or -14 with a correct check digit."""
    return (
        digits.isascii()
        and digits.isdigit()
        and len(digits) in GTIN_LENGTHS
        and gtin_check_digit(digits[:-1]) == int(digits[-1])
    )


def clean_gtin(text: str) -> str:
    """A barcode as printed under the bars ("893 4567 890128", "8934567-890128"): its digits."""
    return re.sub(r"[\s\-.]", "", text)


def variant_key(packaging: str, net: NetQuantity | None) -> tuple[str, str | None]:
    """What tells two variants apart: their packaging (accents and case aside) and pack size."""
    return fold(packaging), (net.pack_size() or net.shown()) if net else None


def default_unit(packaging: str, net: NetQuantity | None) -> str:
    """ "hộp quà" and 250 g sell as "hộp quà 250g"."""
    if net is None:
        return packaging
    return f"{packaging} {net.shown().replace(' ', '')}"


class VariantChecker:
    """Checks one product's list of variants into `Variant`s, adding every problem to `check` under
    `variants[i].field`. `existing` are the product's variants now, whose ids entries without one take.
    `any_id` is for an import, which does not know the product yet: an entry may name an id the product does
    not have (another database's export), and entries without one keep an empty id for `with_ids` to fill
    once the product is read."""

    def __init__(self, check: Checker, field: str, existing: Iterable[Variant] = (), *, any_id: bool = False) -> None:
        self.check = check
        self.field = field
        self.existing = list(existing)
        self.any_id = any_id

    def variants(self, value: Any) -> list[Variant] | None:
        if value is None:
            return []
        if not isinstance(value, list):
            self.check.add("not_a_list", self.field)
            return None
        if len(value) > MAX_VARIANTS:
            self.check.add("too_many_variants", self.field, max=MAX_VARIANTS, got=len(value))
            return None
        before = len(self.check.errors)
        read = [self.one(i, raw if isinstance(raw, Mapping) else {}) for i, raw in enumerate(value)]
        if len(self.check.errors) > before:
            return None
        variants = [v for v in read if v is not None]
        self._no_repeats(variants)
        if len(self.check.errors) > before:
            return None
        return variants if self.any_id else with_ids(variants, self.existing)

    def one(self, i: int, item: Mapping[str, Any]) -> Variant | None:
        """One entry, its id as given ("" when none; `_with_ids` assigns it)."""
        check, at = self.check, f"{self.field}[{i}]"
        given = item.get("id")
        variant_id = nfc(str(given)) if given not in (None, "") else ""
        if variant_id and not (ObjectId.is_valid(variant_id) and len(variant_id) == 24):
            check.add("not_a_variant_id", f"{at}.id", got=variant_id)
        elif variant_id and not self.any_id and all(v.id != variant_id for v in self.existing):
            check.add("not_found", f"{at}.id", what="variant")
        packaging = check.text(f"{at}.packaging", item.get("packaging"), required=True, max_len=MAX_PACKAGING)
        net = self.net_quantity(f"{at}.netQuantity", item.get("netQuantity"))
        unit = check.text(f"{at}.unit", item.get("unit"), required=False, max_len=MAX_UNIT)
        price = check.price(f"{at}.priceVnd", item.get("priceVnd"), required=True)
        moq = check.integer(f"{at}.moq", item.get("moq"), required=False, minimum=1, maximum=MAX_MOQ, grouped=True)
        tiers = check.price_tiers(f"{at}.priceTiers", item.get("priceTiers"))
        gtin = self.gtin(f"{at}.gtin", item.get("gtin"))
        if packaging is None or price is None:
            return None
        return Variant(
            id=variant_id,
            packaging=packaging,
            unit=unit or default_unit(packaging, net),
            price_vnd=price,
            moq=moq or 1,
            net_quantity=net,
            price_tiers=tuple(tiers or ()),
            gtin=gtin,
        )

    def net_quantity(self, field: str, value: Any) -> NetQuantity | None:
        """`{value, measure}` (the API) or text such as "500 ml" (a file)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, Mapping):
            net = _from_parts(value.get("value"), value.get("measure"))
        else:
            net = parse_net_quantity(str(value))
            if net is None and (readings := ambiguous_net_quantity(str(value))) is not None:
                grouped, decimal = (reading.shown() for reading in readings)
                self.check.add("ambiguous_net_quantity", field, got=str(value), grouped=grouped, decimal=decimal)
                return None
        if net is None:
            self.check.add("not_a_net_quantity", field, got=_as_text(value))
            return None
        if not Decimal(0) < net.value <= MAX_NET_VALUE or _decimals(net.value) > NET_DECIMALS:
            self.check.add(
                "net_quantity_range", field, max=int(MAX_NET_VALUE), decimals=NET_DECIMALS, got=net.written()
            )
            return None
        return net

    def gtin(self, field: str, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        # A workbook keeps a barcode typed into a number cell as a number.
        number = isinstance(value, int | float) and not isinstance(value, bool)
        digits = clean_gtin(str(int(value)) if number else str(value))
        if not (digits.isascii() and digits.isdigit()) or len(digits) not in GTIN_LENGTHS:
            self.check.add("gtin_length", field, lengths=list(GTIN_LENGTHS), got=_as_text(value))
            return None
        if not is_gtin(digits):
            self.check.add("gtin_check_digit", field, got=digits, expected=gtin_check_digit(digits[:-1]))
            return None
        return digits

    def _no_repeats(self, variants: list[Variant]) -> None:
        ids: dict[str, int] = {}
        keys: dict[tuple[str, str | None], int] = {}
        gtins: dict[str, int] = {}
        for i, v in enumerate(variants):
            at = f"{self.field}[{i}]"
            if v.id and ids.setdefault(v.id, i) != i:
                self.check.add("duplicate_variant_value", f"{at}.id", first=f"{self.field}[{ids[v.id]}]")
            key = variant_key(v.packaging, v.net_quantity)
            if keys.setdefault(key, i) != i:
                self.check.add("duplicate_variant", f"{at}.packaging", first=f"{self.field}[{keys[key]}]")
            if v.gtin and gtins.setdefault(v.gtin, i) != i:
                self.check.add("duplicate_variant_value", f"{at}.gtin", first=f"{self.field}[{gtins[v.gtin]}]")


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _from_parts(value: Any, measure: Any) -> NetQuantity | None:
    unit = getattr(measure, "value", measure)
    if not isinstance(unit, str) or fold(unit) not in _MEASURES or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return NetQuantity(number, _MEASURES[fold(unit)]) if number.is_finite() else None


def _as_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"{value.get('value')} {getattr(value.get('measure'), 'value', value.get('measure'))}"
    return str(value)


def headline(variants: list[Variant]) -> dict[str, Any]:
    """The product fields a product with variants takes from its first one."""
    first = variants[0]
    return {
        "priceVnd": first.price_vnd,
        "unit": first.unit,
        "moq": first.moq,
        "priceTiers": [{"minQuantity": t.min_quantity, "unitPriceVnd": t.unit_price_vnd} for t in first.price_tiers],
    }


def with_ids(variants: list[Variant], existing: Iterable[Variant]) -> list[Variant]:
    """Each variant without an id takes that of the existing variant of the same packaging and net quantity
    (not named by another entry), or a new one."""
    taken = {v.id for v in variants if v.id}
    by_key = {variant_key(v.packaging, v.net_quantity): v.id for v in existing if v.id not in taken}
    out = []
    for v in variants:
        if not v.id:
            found = by_key.pop(variant_key(v.packaging, v.net_quantity), None)
            v = dataclasses.replace(v, id=found or str(ObjectId()))
        out.append(v)
    return out
