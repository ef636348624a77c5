"""Pure rules of files in and out: header matching, values an export writes reading back the same, đồng
amounts with a currency marker, and the report's sentence."""

from __future__ import annotations

import pytest

from market.catalog.columns import COLUMNS, EXPORTED, header_key, match_headers
from market.catalog.records import CERTIFICATION_LABELS, ProducerType, ProductGroup, ProductStatus
from market.catalog.validation import parse_certification, parse_group, parse_producer_type, parse_status
from market.core.errors import DomainError
from market.core.messages import ENUM_LABELS
from market.core.numbers import without_currency
from market.core.provinces import load_provinces
from market.trade.report import summary_sentence
from market.trade.yearly import build_series, compound_growth


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Mã sản phẩm", "externalId"),
        ("MÃ SẢN PHẨM", "externalId"),
        ("ma san pham", "externalId"),
        ("externalId", "externalId"),
        ("Giá (VNĐ)", "priceVnd"),
        ("Giá(VND)", "priceVnd"),
        ("Giá bán", "priceVnd"),
        ("Số sao", "ocopStars"),
        ("Hạng sao", "ocopStars"),
        ("Tỉnh/Thành phố", "province"),
        ("Tinh - Thanh pho", "province"),
        ("Ngành hàng", "category"),
        ("Loại sản phẩm", "category"),
        ("Ngày cấp", "certifiedAt"),
        ("Ngày hết hạn", "validUntil"),
        ("Đơn vị tính", "unit"),
        ("Loại hình chủ thể", "producerType"),
        ("Xã/Phường", "commune"),
        ("Số giấy chứng nhận", "certificateNo"),
        ("STT", None),
        ("", None),
    ],
)
def test_headers_match_without_accents_case_or_punctuation(header: str, key: str | None) -> None:
    assert match_headers([header], 1).keys == [key]


def test_every_header_and_alias_names_one_column() -> None:
    seen: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.key, column.header, *column.aliases):
            if name:
                assert seen.setdefault(header_key(name), column.key) == column.key, name


def test_unknown_and_repeated_headers_are_errors() -> None:
    with pytest.raises(DomainError) as caught:
        match_headers(["Tên sản phẩm", "Màu sắc", "Giá", "Giá bán", "Ghi chú"], 3)
    assert [(e.key, e.params["got"]) for e in caught.value.errors] == [
        ("unknown_column", ["Màu sắc", "Ghi chú"]),
        ("duplicate_column", "Giá bán"),
    ]
    assert all(e.field == "file" and e.params["line"] == 3 for e in caught.value.errors)


def test_english_text_columns_are_left_to_the_translations() -> None:
    assert match_headers(["Tên tiếng Anh", "nameEn"], 1).keys == ["Tên tiếng Anh", "nameEn"]


def test_column_of_an_error_field() -> None:
    columns = match_headers(["Hạng sao", "Giá theo số lượng"], 1)
    assert columns.column_of("stars") == "Hạng sao"
    assert columns.column_of("priceTiers[1].unitPriceVnd") == "Giá theo số lượng"
    assert columns.column_of("name") is None and columns.column_of(None) is None


def test_what_an_export_writes_reads_back() -> None:
    for group in ProductGroup:
        assert parse_group(ENUM_LABELS["ProductGroup"][group.name]["vi"]) is group
    for kind in ProducerType:
        assert parse_producer_type(ENUM_LABELS["ProducerType"][kind.name]["vi"]) is kind
    for status in ProductStatus:
        assert parse_status(ENUM_LABELS["ProductStatus"][status.name]["vi"]) is status
        assert parse_status(status.value.upper()) is status
    for cert, label in CERTIFICATION_LABELS.items():
        assert parse_certification(label) is cert
    assert {c.header for c in EXPORTED} >= {"Mã sản phẩm", "Giá (VNĐ)", "Ngày cấp", "Ngày hết hạn", "Số sao"}


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("45.000 ₫", "45.000"),
        ("45,000 đ", "45.000"),
        ("1,250,000 VNĐ", "1.250.000"),
        ("VND 45000", "45000"),
        ("45 000 đồng", "45 000"),
        ("165,5 đ", "165,5"),  # a decimal comma stays, and is refused
        ("1,500", "1,500"),  # without a marker the comma stays ambiguous
        ("45000", "45000"),
    ],
)
def test_a_dong_marker_settles_the_comma(text: str, read: str) -> None:
    assert without_currency(text) == read


def test_compound_growth() -> None:
    assert compound_growth(100, 169, 2) == pytest.approx(0.3)
    assert compound_growth(0, 10, 2) is None and compound_growth(5, 10, 0) is None


def _series(year_rows: list[tuple[int, int, int, str | None]], producers: list[tuple[int, str]]) -> object:
    """(year, stars, count, former) product rows and (year, type) producer rows, as the aggregations give them."""
    products = [{"_id": {"year": y, "stars": s, "former": f}, "count": n} for y, s, n, f in year_rows]
    by_type = [{"_id": {"year": y, "type": t}, "count": 1} for y, t in producers]
    return build_series(load_provinces().get("86"), 2023, 2025, products, by_type)


def test_sentence_in_the_seeds_wording() -> None:
    series = _series(
        [(2023, 3, 40, "Bến Tre"), (2024, 3, 43, "Trà Vinh"), (2024, 4, 15, "Bến Tre"), (2025, 5, 6, None)],
        [(2023, "cooperative")] * 30 + [(2024, "enterprise")] * 30 + [(2025, "household")] * 7,
    )
    assert summary_sentence(series) == (  # type: ignore[arg-type]
        "Tính đến cuối năm 2025, toàn tỉnh Vĩnh Long có 104 sản phẩm đạt OCOP (06 sản phẩm đạt 05 sao; "
        "15 sản phẩm đạt 04 sao và 83 sản phẩm đạt 03 sao) thuộc 67 chủ thể, trong đó Vĩnh Long 6 sản phẩm, "
        "Bến Tre 55 sản phẩm và Trà Vinh 43 sản phẩm. Riêng năm 2025 có 6 sản phẩm được công nhận mới. "
        "Giai đoạn 2023–2025, số sản phẩm OCOP có tốc độ tăng trưởng bình quân 61,2%/năm."
    )


def test_sentence_leaves_out_empty_star_levels_and_says_when_there_is_nothing() -> None:
    only_three = _series([(2025, 3, 2, "Trà Vinh")], [(2025, "household")])
    assert "(02 sản phẩm đạt 03 sao) thuộc 1 chủ thể." in summary_sentence(only_three)  # type: ignore[arg-type]
    assert "tăng trưởng" not in summary_sentence(only_three)  # type: ignore[arg-type]
    assert summary_sentence(_series([], [])).endswith("toàn tỉnh Vĩnh Long chưa có sản phẩm đạt OCOP.")  # type: ignore[arg-type]
    city = build_series(load_provinces().get("01"), 2025, 2025, [], [])
    assert "toàn thành phố Hà Nội" in summary_sentence(city)
