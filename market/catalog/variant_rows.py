"""Variant rows of an imported file: the rows that share a product's "Mã sản phẩm" and give a packaging, a net
quantity, a barcode or a variant code are one product with several variants (pack sizes).

The product's own fields come from its first row; later rows may repeat them or leave them blank, but may
not contradict them. Each row's price, unit, minimum order and tiers are its variant's. A product is written
with all its variant rows or not at all: when one of them is refused, so are the others, each saying which
row was at fault. Rows of one product must be within one batch of the import, which holds whenever they
follow each other in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from market.catalog.records import Variant
from market.catalog.validation import Checker
from market.catalog.variants import VariantChecker, variant_key
from market.core.errors import FieldError
from market.core.text import fold, nfc

VARIANT_COLUMNS = ("variantId", "packaging", "netQuantity", "gtin")
PER_VARIANT = frozenset({*VARIANT_COLUMNS, "priceVnd", "unit", "moq", "priceTiers"})
# Keys read as the product's on every row, and not compared between its rows.
_NOT_COMPARED = frozenset({"externalId", "producer", "status"})
# A variant's field in a product input, as the file's column key.
_COLUMN_OF = {"id": "variantId"}


def is_variant_row(row: dict[str, Any]) -> bool:
    return any(row.get(key) not in (None, "") for key in VARIANT_COLUMNS)


def variant_item(row: dict[str, Any]) -> dict[str, Any]:
    """The row's variant, as `VariantChecker` reads an entry."""
    return {
        "id": row.get("variantId"),
        "packaging": row.get("packaging"),
        "netQuantity": row.get("netQuantity"),
        "gtin": row.get("gtin"),
        "priceVnd": row.get("priceVnd"),
        "unit": row.get("unit"),
        "moq": row.get("moq"),
        "priceTiers": row.get("priceTiers"),
    }


def as_row_error(error: FieldError) -> FieldError:
    """`variants[0].gtin` -> `gtin`: a row's variant is reported against the row's own column."""
    if error.field is None or not error.field.startswith("variants[0]."):
        return error
    name = error.field.removeprefix("variants[0].")
    return error.moved(_COLUMN_OF.get(name, name))


def group_key(row: dict[str, Any]) -> str | None:
    value = row.get("externalId")
    return nfc(str(value)) if value not in (None, "") else None


@dataclass(slots=True)
class Group:
    """A product whose first row was read, and the variant rows read after it."""

    key: str
    first_line: int
    first: dict[str, Any]  # the first row, as read
    product: dict[str, Any]  # its checked fields, with "variants"
    lines: list[tuple[int, list[str]]] = field(default_factory=list)  # every row's line and cells
    refused_at: int | None = None  # the line of a variant row that was refused

    def takes(self, row: dict[str, Any]) -> bool:
        """Whether `row` is one more variant row of this product (the same code, and the same producer when
        it names one)."""
        producer = row.get("producer")
        return (
            is_variant_row(row)
            and group_key(row) == self.key
            and (producer in (None, "") or fold(str(producer)) == fold(str(self.first.get("producer", ""))))
        )

    def add(self, line: int, row: dict[str, Any]) -> list[FieldError]:
        """Check the row and add its variant; every reason it cannot be added."""
        errors = [
            FieldError.of("variant_row_differs", key, first=self.first_line)
            for key, value in row.items()
            if key not in PER_VARIANT and key not in _NOT_COMPARED and value != self.first.get(key)
        ]
        check = Checker()
        variant = VariantChecker(check, "variants", any_id=True).one(0, variant_item(row))
        errors += [as_row_error(e) for e in check.errors]
        if variant is not None and not errors:
            errors = self._repeats(variant)
        if not errors and variant is not None:
            self.product["variants"].append(variant.to_doc())
        return errors

    def _repeats(self, variant: Variant) -> list[FieldError]:
        key = variant_key(variant.packaging, variant.net_quantity)
        for i, other in enumerate(Variant.from_doc(d) for d in self.product["variants"]):
            first = f"variants[{i}]"
            if variant.id and variant.id == other.id:
                return [FieldError.of("duplicate_variant_value", "variantId", first=first)]
            if key == variant_key(other.packaging, other.net_quantity):
                return [FieldError.of("duplicate_variant", "packaging", first=first)]
            if variant.gtin and variant.gtin == other.gtin:
                return [FieldError.of("duplicate_variant_value", "gtin", first=first)]
        return []


def _same_producer(row: dict[str, Any], producer: str) -> bool:
    named = row.get("producer")
    return named in (None, "") or fold(str(named)) == producer


class Groups:
    """The products with variant rows in an import: those still taking rows, and those done with (written,
    or refused at their first row), which a later row of theirs can no longer join."""

    def __init__(self) -> None:
        self._pending: dict[str, list[Group]] = {}
        self._done: dict[str, list[tuple[str, FieldError]]] = {}  # by code: (producer, what a late row gets)

    def pending(self, row: dict[str, Any]) -> Group | None:
        return next((g for g in self._pending.get(group_key(row) or "", ()) if g.takes(row)), None)

    def start(self, row: dict[str, Any], line: int, values: list[str], product: dict[str, Any]) -> Group:
        key = group_key(row) or ""
        group = Group(key, line, dict(row), product, [(line, values)])
        self._pending.setdefault(key, []).append(group)
        return group

    def written(self, groups: list[Group]) -> None:
        for group in groups:
            self._pending[group.key].remove(group)
            producer = fold(str(group.first.get("producer", "")))
            late = FieldError.of("variant_rows_apart", "externalId", got=group.key, first=group.first_line)
            self._done.setdefault(group.key, []).append((producer, late))

    def refused(self, row: dict[str, Any], line: int) -> None:
        key = group_key(row)
        if key is not None:
            refused = FieldError.of("variant_group_refused", None, line=line)
            self._done.setdefault(key, []).append((fold(str(row.get("producer") or "")), refused))

    def past(self, row: dict[str, Any]) -> FieldError | None:
        """Why a variant row of a product done with cannot be imported; None for another product's row."""
        for producer, error in self._done.get(group_key(row) or "", ()):
            if not producer or _same_producer(row, producer):
                return error
        return None
