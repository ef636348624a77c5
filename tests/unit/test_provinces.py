import json
import unicodedata
from importlib import resources
from typing import Any

import pytest

from market.core.provinces import Province, ProvinceMatch, ProvinceRegistry, load_provinces, province_key
from market.core.text import fold


def _document() -> dict[str, Any]:
    text = resources.files("market.core.data").joinpath("provinces.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _name(code: str) -> str:
    province = load_provinces().get(code)
    assert province is not None
    return province.name


def test_document_header() -> None:
    data = _document()
    assert data["source"].startswith("vietnamadminunits ")
    assert data["source"].endswith("(MIT)")
    assert data["effective"] == "2025-07-01"


def test_counts() -> None:
    registry = load_provinces()
    assert len(registry.all()) == 34
    assert len(registry.former()) == 63
    assert len({name for name, _ in registry.former()}) == 63
    assert sum(len(p.former_names) for p in registry.all()) == 63


def test_kinds() -> None:
    cities = {p.name for p in load_provinces().all() if p.kind == "city"}
    assert cities == {"Hà Nội", "Hải Phòng", "Huế", "Đà Nẵng", "Thành phố Hồ Chí Minh", "Cần Thơ"}
    assert all(p.kind in ("province", "city") for p in load_provinces().all())


def test_codes_are_two_digit_strings_and_unique() -> None:
    data = _document()
    current = [p["code"] for p in data["provinces"]]
    former = [f["code"] for f in data["former"]]
    for code in current + former:
        assert isinstance(code, str)
        assert len(code) == 2
        assert code.isdigit()
    assert len(set(current)) == 34
    assert len(set(former)) == 63


def test_every_former_maps_to_an_existing_current_province() -> None:
    registry = load_provinces()
    current_codes = {p.code for p in registry.all()}
    for entry in _document()["former"]:
        assert entry["currentCode"] in current_codes
    for name, province in registry.former():
        assert registry.get(province.code) == province
        assert name in province.former_names


def test_former_names_agree_with_former_list() -> None:
    registry = load_provinces()
    for province in registry.all():
        listed = tuple(name for name, current in registry.former() if current.code == province.code)
        assert sorted(listed) == sorted(province.former_names)
        assert registry.former_names_of(province.code) == province.former_names
        assert province.former_names


def test_former_names_list_the_province_itself_first() -> None:
    assert load_provinces().former_names_of("86") == ("Vĩnh Long", "Bến Tre", "Trà Vinh")
    assert load_provinces().former_names_of("46") == ("Thừa Thiên Huế",)


def test_names_are_nfc() -> None:
    registry = load_provinces()
    names = [p.name for p in registry.all()] + [name for name, _ in registry.former()]
    for name in names:
        assert unicodedata.is_normalized("NFC", name)
        assert name == name.strip()


def test_all_is_sorted_by_folded_name() -> None:
    provinces = load_provinces().all()
    assert [fold(p.name) for p in provinces] == sorted(fold(p.name) for p in provinces)
    assert provinces[0].name == "An Giang"


def test_all_returns_a_copy() -> None:
    registry = load_provinces()
    registry.all().clear()
    assert len(registry.all()) == 34


def test_load_provinces_is_cached() -> None:
    assert load_provinces() is load_provinces()


MERGERS = [
    ("Kiên Giang", "An Giang"),
    ("Trà Vinh", "Vĩnh Long"),
    ("Bến Tre", "Vĩnh Long"),
    ("Bạc Liêu", "Cà Mau"),
    ("Hậu Giang", "Cần Thơ"),
    ("Sóc Trăng", "Cần Thơ"),
    ("Tiền Giang", "Đồng Tháp"),
    ("Long An", "Tây Ninh"),
    ("Bình Thuận", "Lâm Đồng"),
    ("Hà Giang", "Tuyên Quang"),
    ("Quảng Nam", "Đà Nẵng"),
    ("Thừa Thiên Huế", "Huế"),
    ("Bình Dương", "Thành phố Hồ Chí Minh"),
    ("Bà Rịa - Vũng Tàu", "Thành phố Hồ Chí Minh"),
    ("Đắk Nông", "Lâm Đồng"),
    ("Yên Bái", "Lào Cai"),
    ("Bắc Kạn", "Thái Nguyên"),
    ("Hải Dương", "Hải Phòng"),
    ("Kon Tum", "Quảng Ngãi"),
    ("Phú Yên", "Đắk Lắk"),
]


@pytest.mark.parametrize(("former_name", "current_name"), MERGERS)
def test_mergers(former_name: str, current_name: str) -> None:
    registry = load_provinces()
    match = registry.resolve(former_name)
    assert match is not None
    assert match.province.name == current_name
    assert match.former_name == former_name
    assert (former_name, match.province) in registry.former()
    assert former_name in match.province.former_names


@pytest.mark.parametrize(
    "text",
    [
        "ben tre",
        "Bến Tre",
        "BẾN TRE",
        "bẾn TrE",
        "tỉnh Bến Tre",
        "Tỉnh Bến Tre",
        "TINH BEN TRE",
        "  Bến Tre.  ",
        "t. Bến Tre",
        "(Bến Tre)",
        "bentre",
        unicodedata.normalize("NFD", "Bến Tre"),
    ],
)
def test_resolve_former_name_is_accent_case_and_prefix_insensitive(text: str) -> None:
    vinh_long = load_provinces().get("86")
    assert vinh_long is not None
    assert load_provinces().resolve(text) == ProvinceMatch(vinh_long, "Bến Tre")


@pytest.mark.parametrize("text", ["vinh long", "Vĩnh Long", "VĨNH LONG", "tỉnh Vĩnh Long", "vinhlong", "86"])
def test_resolve_current_name_has_no_former_name(text: str) -> None:
    match = load_provinces().resolve(text)
    assert match is not None
    assert match.province.name == "Vĩnh Long"
    assert match.former_name is None


@pytest.mark.parametrize(
    "text",
    [
        "Thành phố Hồ Chí Minh",
        "thanh pho ho chi minh",
        "Hồ Chí Minh",
        "TP HCM",
        "TP.HCM",
        "tp. hcm",
        "TPHCM",
        "hcm",
        "HCMC",
        "Sài Gòn",
        "sai gon",
        "Saigon",
        "Ho Chi Minh City",
        "TP. Hồ Chí Minh",
    ],
)
def test_ho_chi_minh_city_aliases(text: str) -> None:
    match = load_provinces().resolve(text)
    assert match is not None
    assert match.province.code == "79"
    assert match.former_name is None


@pytest.mark.parametrize(
    ("text", "code", "former_name"),
    [
        ("Hà Nội", "01", None),
        ("ha noi", "01", None),
        ("Hanoi", "01", None),
        ("HN", "01", None),
        ("Thủ đô Hà Nội", "01", None),
        ("TP Hà Nội", "01", None),
        ("Huế", "46", None),
        ("hue", "46", None),
        ("Thành phố Huế", "46", None),
        ("Thừa Thiên Huế", "46", "Thừa Thiên Huế"),
        ("thua thien hue", "46", "Thừa Thiên Huế"),
        ("Thừa Thiên - Huế", "46", "Thừa Thiên Huế"),
        ("tỉnh Thừa Thiên Huế", "46", "Thừa Thiên Huế"),
        ("Đà Nẵng", "48", None),
        ("Danang", "48", None),
        ("tp. Đà Nẵng", "48", None),
        ("Vũng Tàu", "79", "Bà Rịa - Vũng Tàu"),
        ("BRVT", "79", "Bà Rịa - Vũng Tàu"),
        ("Bà Rịa–Vũng Tàu", "79", "Bà Rịa - Vũng Tàu"),
        ("Đắk Lắk", "66", None),
        ("Dak Lak", "66", None),
        ("Daklak", "66", None),
        ("Khánh Hoà", "56", None),
        ("Thanh Hoá", "38", None),
        ("Bắc Cạn", "19", "Bắc Kạn"),
        ("Kontum", "51", "Kon Tum"),
        ("Cần Thơ", "92", None),
        ("thành phố cần thơ", "92", None),
    ],
)
def test_resolve_aliases(text: str, code: str, former_name: str | None) -> None:
    match = load_provinces().resolve(text)
    assert match is not None
    assert match.province.code == code
    assert match.former_name == former_name


def test_get_by_code() -> None:
    registry = load_provinces()
    vinh_long = registry.get("86")
    assert vinh_long is not None
    assert vinh_long == Province("86", "Vĩnh Long", "province", ("Vĩnh Long", "Bến Tre", "Trà Vinh"))
    assert _name("01") == "Hà Nội"
    assert _name("91") == "An Giang"
    assert _name("92") == "Cần Thơ"
    assert _name("46") == "Huế"
    assert registry.get("83") is None  # Bến Tre's old code is not a current one
    assert registry.get("99") is None
    assert registry.get("") is None


@pytest.mark.parametrize(
    ("text", "code", "former_name"),
    [
        ("01", "01", None),
        ("1", "01", None),
        (" 79 ", "79", None),
        ("86", "86", None),
        ("83", "86", "Bến Tre"),  # old code of Bến Tre
        ("89", "91", None),  # old code of An Giang
        ("91", "91", None),  # Kiên Giang's old code is An Giang's new one
        ("10", "15", None),  # old code of Lào Cai
        ("46", "46", None),
    ],
)
def test_resolve_codes(text: str, code: str, former_name: str | None) -> None:
    match = load_provinces().resolve(text)
    assert match is not None
    assert match.province.code == code
    assert match.former_name == former_name


def test_reused_old_codes_stay_with_the_same_province() -> None:
    registry = load_provinces()
    for entry in _document()["former"]:
        current = registry.get(entry["code"])
        if current is not None:
            assert current.code == entry["currentCode"]


@pytest.mark.parametrize(
    "text", ["", "   ", "...", "Atlantis", "tỉnh", "thành phố", "tp.", "99", "00", "123", "Bến", "Tre", "Hà"]
)
def test_resolve_unknown_is_none(text: str) -> None:
    assert load_provinces().resolve(text) is None


def test_former_names_of_unknown_code_is_empty() -> None:
    assert load_provinces().former_names_of("99") == ()


def test_province_key() -> None:
    assert province_key("Bà Rịa - Vũng Tàu") == "ba ria vung tau"
    assert province_key("  TP.HCM ") == "tp hcm"
    assert province_key("Đắk Lắk") == "dak lak"


def _tiny(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "provinces": [
            {"code": "01", "name": "Alpha", "kind": "province", "formerNames": ["Alpha"], "aliases": []},
            {"code": "02", "name": "Beta", "kind": "city", "formerNames": ["Beta", "Gamma"], "aliases": []},
        ],
        "former": [
            {"code": "01", "name": "Alpha", "currentCode": "01"},
            {"code": "03", "name": "Beta", "currentCode": "02"},
            {"code": "04", "name": "Gamma", "currentCode": "02"},
        ],
    }
    data.update(overrides)
    return data


def test_registry_from_small_document() -> None:
    registry = ProvinceRegistry.from_dict(_tiny())
    match = registry.resolve("gamma")
    assert match is not None
    assert match.province.code == "02"
    assert match.former_name == "Gamma"


def test_colliding_keys_are_rejected() -> None:
    data = _tiny()
    data["provinces"][0]["aliases"] = ["Bê-ta"]  # folds to "Beta", the other province's name
    with pytest.raises(ValueError, match="ambiguous"):
        ProvinceRegistry.from_dict(data)


def test_colliding_keys_without_spaces_are_rejected() -> None:
    data = _tiny()
    data["provinces"][0]["aliases"] = ["Gam Ma"]  # "gamma" once spaces are dropped
    with pytest.raises(ValueError, match="ambiguous"):
        ProvinceRegistry.from_dict(data)


def test_former_province_mapped_to_unknown_code_is_rejected() -> None:
    data = _tiny()
    data["former"][2]["currentCode"] = "09"
    with pytest.raises(ValueError, match="unknown code"):
        ProvinceRegistry.from_dict(data)
