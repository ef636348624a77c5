"""The pure rules of variants: GTIN check digits, net quantities as people write them, the ids a resent list
keeps; and the place names of an address, mapped to their province."""

from __future__ import annotations

from decimal import Decimal

import pytest

from market.catalog.records import Measure, NetQuantity, Variant
from market.catalog.validation import Checker
from market.catalog.variants import (
    VariantChecker,
    default_unit,
    gtin_check_digit,
    is_gtin,
    parse_net_quantity,
    with_ids,
)
from search.places import PlaceIndex, place_names


@pytest.mark.parametrize(
    "gtin",
    ["96385074", "036000291452", "4006381333931", "8934567890120", "10012345678902", "00012345600012"],
)
def test_valid_gtins(gtin: str) -> None:
    assert is_gtin(gtin)


@pytest.mark.parametrize(
    "gtin",
    ["96385075", "4006381333932", "8934567890121", "1234567", "123456789", "400638133393a", "٤٠٠٦٣٨١٣٣٣٩٣١", ""],
)
def test_invalid_gtins(gtin: str) -> None:
    assert not is_gtin(gtin)


def test_the_check_digit_weighs_three_and_one_from_the_right() -> None:
    assert gtin_check_digit("400638133393") == 1
    assert gtin_check_digit("9638507") == 4
    assert gtin_check_digit("893456789012") == 0


def check_gtin(value: object) -> tuple[str | None, list[str]]:
    check = Checker()
    found = VariantChecker(check, "variants").gtin("variants[0].gtin", value)
    return found, [str(e.key) for e in check.errors]


def test_barcodes_as_printed_or_as_a_number_cell() -> None:
    assert check_gtin("893 4567 890120") == ("8934567890120", [])
    assert check_gtin("8934567-890120") == ("8934567890120", [])
    assert check_gtin(8934567890120.0) == ("8934567890120", [])
    assert check_gtin("8934567890121") == (None, ["gtin_check_digit"])
    assert check_gtin("89345") == (None, ["gtin_length"])
    assert check_gtin("GTIN") == (None, ["gtin_length"])
    assert check_gtin("") == (None, [])


@pytest.mark.parametrize(
    ("text", "value", "measure", "size"),
    [
        ("500ml", "500", Measure.ML, "500ml"),
        ("500 ML", "500", Measure.ML, "500ml"),
        ("5 lít", "5", Measure.L, "5000ml"),
        ("5 lit", "5", Measure.L, "5000ml"),
        ("0.5 L", "0.5", Measure.L, "500ml"),
        ("1,2kg", "1.2", Measure.KG, "1200g"),
        ("250 gr", "250", Measure.G, "250g"),
        ("100 gam", "100", Measure.G, "100g"),
        ("0,25 g", "0.25", Measure.G, None),  # below one base unit: no pack size to filter on
        ("1.25 l", "1.25", Measure.L, "1250ml"),
        ("0.500 kg", "0.5", Measure.KG, "500g"),  # after a 0 the dot can only be a decimal
        ("1,250 kg", "1.25", Measure.KG, "1250g"),  # the comma is the decimal mark, as an export writes it
        ("1234.500 g", "1234.5", Measure.G, None),  # four digits before the dot: not thousands
    ],
)
def test_net_quantities_as_written(text: str, value: str, measure: Measure, size: str | None) -> None:
    net = parse_net_quantity(text)
    assert net == NetQuantity(Decimal(value), measure)
    assert net.pack_size() == size


@pytest.mark.parametrize("text", ["500", "ml", "5 chai", "5 lít nước", "1.2.3 kg", "-5 l", ""])
def test_what_is_not_a_net_quantity(text: str) -> None:
    assert parse_net_quantity(text) is None


@pytest.mark.parametrize(
    ("text", "grouped", "decimal"),
    [("1.200 g", "1200 g", "1,2 g"), ("1.500 ML", "1500 ml", "1,5 ml"), ("12.000ml", "12000 ml", "12 ml")],
)
def test_a_dot_before_three_digits_is_no_net_quantity(text: str, grouped: str, decimal: str) -> None:
    assert parse_net_quantity(text) is None
    check = Checker()
    VariantChecker(check, "variants").net_quantity("variants[0].netQuantity", text)
    [error] = check.errors
    assert (error.key, error.field) == ("ambiguous_net_quantity", "variants[0].netQuantity")
    assert f"write {grouped}, or {decimal} with a decimal comma" in error.text("en")


def test_net_quantities_print_as_a_label_does_and_read_back() -> None:
    for net in (NetQuantity(Decimal("1.5"), Measure.L), NetQuantity(Decimal(500), Measure.ML)):
        assert parse_net_quantity(net.shown()) == net
    assert NetQuantity(Decimal("1.5"), Measure.L).shown() == "1,5 l"
    assert default_unit("hộp quà", NetQuantity(Decimal(250), Measure.G)) == "hộp quà 250g"
    assert NetQuantity.from_doc(NetQuantity(Decimal("1.2"), Measure.KG).to_doc()).value == Decimal("1.2")


def check_net(value: object) -> list[str]:
    check = Checker()
    VariantChecker(check, "variants").net_quantity("variants[0].netQuantity", value)
    return [str(e.key) for e in check.errors]


def test_net_quantity_bounds() -> None:
    assert check_net({"value": 0.5, "measure": "L"}) == []
    assert check_net({"value": 0, "measure": "ML"}) == ["net_quantity_range"]
    assert check_net({"value": 1.2345, "measure": "KG"}) == ["net_quantity_range"]
    assert check_net({"value": 10**8, "measure": "G"}) == ["net_quantity_range"]
    assert check_net({"value": 5, "measure": "PIECE"}) == ["not_a_net_quantity"]
    assert check_net({"value": float("nan"), "measure": "L"}) == ["not_a_net_quantity"]
    assert check_net("5 chai") == ["not_a_net_quantity"]


@pytest.mark.parametrize("value", [{"value": 0.1234567, "measure": "L"}, "0,1234567 l", "0.1234567 lít"])
def test_an_error_writes_a_net_quantity_with_the_decimal_mark_of_its_language(value: object) -> None:
    check = Checker()
    VariantChecker(check, "variants").net_quantity("variants[0].netQuantity", value)
    [error] = check.errors
    assert error.key == "net_quantity_range" and error.message == error.text("en")
    assert error.text("en").endswith("with at most 3 decimals, got 0.1234567 l")
    assert error.text("vi").endswith("tối đa 3 chữ số thập phân, nhận được 0,1234567 l")
    assert error.params["got"] == "0.1234567 l"  # as JSON writes numbers, for a UI that words its own message


def test_a_resent_list_keeps_ids_by_packaging_and_size() -> None:
    half = NetQuantity(Decimal("0.5"), Measure.L)
    existing = [
        Variant("a" * 24, "chai", "chai 500ml", 1, net_quantity=NetQuantity(Decimal(500), Measure.ML)),
        Variant("b" * 24, "can", "can 5l", 2, net_quantity=NetQuantity(Decimal(5), Measure.L)),
    ]
    sent = [Variant("", "Chai", "chai", 3, net_quantity=half), Variant("", "hũ", "hũ", 4)]
    kept = with_ids(sent, existing)
    assert kept[0].id == "a" * 24 and kept[1].id not in ("", "a" * 24, "b" * 24)
    # An id named by another entry is not given twice.
    named = with_ids([Variant("a" * 24, "can", "can", 1), Variant("", "chai", "c", 1, net_quantity=half)], existing)
    assert named[1].id != "a" * 24


def test_place_names_of_an_address() -> None:
    assert place_names("Xã Hòa Tân, huyện Cầu Kè") == ["Hòa Tân", "Cầu Kè"]
    assert place_names("Phường Dương Đông, thành phố Phú Quốc") == ["Dương Đông", "Phú Quốc"]
    assert place_names("Thị trấn Mỏ Cày, huyện Mỏ Cày Nam") == ["Mỏ Cày", "Mỏ Cày Nam"]
    assert place_names("Xã Tân Lập 1, huyện Tân Phước") == ["Tân Lập 1", "Tân Phước"]
    assert place_names("Xã Vĩnh, huyện X") == []  # one syllable says too little


def test_places_map_to_one_province_or_none() -> None:
    places = PlaceIndex(
        [
            ("Xã Hòa Tân, huyện Cầu Kè", "86"),
            ("Xã Đa Lộc, huyện Châu Thành", "86"),
            ("Xã Phú Tâm, huyện Châu Thành", "92"),
            ("Xã Tân Cương, thành phố Thái Nguyên", "19"),
        ]
    )
    assert places.find("kẹo dừa Hòa Tân") == ("86", "Hòa Tân")
    assert places.find("kẹo dừa Hoà Tân") == ("86", "Hoà Tân")  # the other tone placement
    assert places.find("keo dua hoa tan") == ("86", "hoa tan")
    assert places.find("kẹo dừa Hóa Tân") is None  # another tone is another place
    assert places.find("Châu Thành") is None  # districts of two provinces
    assert places.find("chè Tân Cương") == ("19", "Tân Cương")
    assert places.find("nước mắm") is None
    assert PlaceIndex().find("Hòa Tân") is None
