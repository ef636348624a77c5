"""The columns of a product file, shared by import and export: the import key of each, the Vietnamese header
an export writes, and the other headers offices use for it.

A header is matched without accents, case, spaces or punctuation ("GIÁ (VNĐ)", "gia vnd" and "Giá(VND)" are
one header), against the Vietnamese names and the English keys alike. A header that matches nothing is an
error, not a column to skip: a misspelt "Ngày hết hạn" would otherwise import every certificate with the
default validity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from market.catalog.translations import translation_columns
from market.core.errors import DomainError, FieldError
from market.core.text import fold


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the import key (the English header), or "" for a column that is read and ignored
    header: str  # the Vietnamese header an export writes
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("externalId", "Mã sản phẩm", ("Mã SP", "Mã")),
    Column("name", "Tên sản phẩm", ("Tên SP", "Tên")),
    Column("description", "Mô tả", ("Mô tả sản phẩm",)),
    Column("group", "Nhóm sản phẩm", ("Nhóm", "Nhóm OCOP", "Bộ sản phẩm")),
    Column("category", "Loại sản phẩm", ("Ngành hàng", "Phân loại")),
    Column("province", "Tỉnh/Thành phố", ("Tỉnh", "Tỉnh/TP", "Tỉnh thành", "Tỉnh, thành phố")),
    Column("commune", "Xã/Phường", ("Xã", "Phường", "Xã, phường")),
    Column("producer", "Chủ thể", ("Tên chủ thể", "Chủ thể OCOP", "Chủ thể sản xuất")),
    Column("producerType", "Loại hình chủ thể", ("Loại hình",)),
    Column("ocopStars", "Số sao", ("Hạng sao", "Xếp hạng", "Sao", "stars")),
    Column("priceVnd", "Giá (VNĐ)", ("Giá bán", "Giá", "Đơn giá", "Giá (đồng)", "Giá bán (VNĐ)", "price")),
    Column("unit", "Đơn vị tính", ("ĐVT",)),
    Column("moq", "Số lượng tối thiểu", ("Đơn hàng tối thiểu", "SL tối thiểu")),
    Column("priceTiers", "Giá theo số lượng", ("Bậc giá",)),
    # A row with any of these is one variant (pack size) of its product; rows with the same "Mã sản phẩm" are
    # the product's variants, and their price, unit, minimum order and tiers are the variant's.
    Column("variantId", "Mã quy cách", ("Mã biến thể", "Mã phân loại")),
    Column("packaging", "Quy cách", ("Quy cách đóng gói", "Bao bì", "Kiểu đóng gói", "Đóng gói")),
    Column("netQuantity", "Dung tích/Khối lượng", ("Khối lượng tịnh", "Dung tích", "Khối lượng", "Thể tích")),
    Column("gtin", "Mã vạch", ("GTIN", "Barcode", "EAN", "Mã vạch GTIN")),
    Column("certifications", "Chứng nhận", ("Chứng nhận khác", "Tiêu chuẩn")),
    Column("certificateNo", "Số giấy chứng nhận", ("Số chứng nhận", "Số GCN")),
    Column("certifiedAt", "Ngày cấp", ("Ngày chứng nhận", "Ngày cấp giấy chứng nhận")),
    Column("validUntil", "Ngày hết hạn", ("Hiệu lực đến", "Có giá trị đến", "Hạn giấy chứng nhận")),
    Column("pendingFiveStar", "Tiềm năng 5 sao", ("Chờ xét 5 sao", "Đề xuất 5 sao")),
    Column("images", "Hình ảnh", ("Ảnh",)),
    Column("status", "Trạng thái", ()),
    # Row numbers, which every office sheet starts with.
    Column("", "STT", ("TT", "Số thứ tự", "No")),
)

EXPORTED: tuple[Column, ...] = tuple(c for c in COLUMNS if c.key)
DATE_KEYS = frozenset({"certifiedAt", "validUntil"})
TEXT_KEYS = frozenset(
    {
        "externalId", "name", "description", "category", "province", "commune", "producer", "unit",
        "certificateNo", "variantId", "packaging", "netQuantity", "gtin",
    }
)  # fmt: skip
# Error fields named after the value rather than the column.
_FIELD_COLUMN = {"stars": "ocopStars"}


def header_key(text: str) -> str:
    """A header as it is compared: no accents, case, spaces or punctuation."""
    return re.sub(r"[^0-9a-z]+", "", fold(text))


def _index() -> dict[str, Column]:
    index: dict[str, Column] = {}
    for column in COLUMNS:
        for name in (column.key, column.header, *column.aliases):
            if name:
                index[header_key(name)] = column
    return index


_INDEX = _index()


def known_headers() -> list[str]:
    return [c.header for c in EXPORTED]


@dataclass(frozen=True, slots=True)
class HeaderMap:
    keys: list[str | None]  # per file column: its import key, None when ignored
    header: list[str]  # the file's own headers

    def column_of(self, field: str | None) -> str | None:
        """The file's header for an error's field (`priceTiers[0].unitPriceVnd` → the tiers column)."""
        if field is None:
            return None
        root = re.split(r"[.\[]", field, maxsplit=1)[0]
        root = _FIELD_COLUMN.get(root, root)
        for key, header in zip(self.keys, self.header, strict=False):
            if key == root:
                return header
        return None


def match_headers(header: list[str], line: int) -> HeaderMap:
    """Each header's import key; DomainError naming every unknown or repeated header."""
    errors: list[FieldError] = []
    unknown: list[str] = []
    keys: list[str | None] = []
    seen: dict[str, str] = {}
    for text in header:
        if not text.strip():
            keys.append(None)  # an unnamed column: Excel keeps one when a cell beyond the table was touched
            continue
        column = _INDEX.get(header_key(text))
        if column is None and translation_columns({text: ""})[1]:
            keys.append(text)  # a product's English text, read by market/catalog/translations.py
            continue
        if column is None:
            unknown.append(text)
            keys.append(None)
            continue
        if column.key and column.key in seen:
            errors.append(
                FieldError.of(
                    "duplicate_column", "file", got=text, other=seen[column.key], line=line, target=column.header
                )
            )
        seen.setdefault(column.key, text)
        keys.append(column.key or None)
    if unknown:
        errors.insert(0, FieldError.of("unknown_column", "file", got=unknown, line=line, known=known_headers()))
    if errors:
        raise DomainError(errors)
    return HeaderMap(keys, list(header))
