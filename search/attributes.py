"""What a product is good for, derived from its own data: every rule in one place.

The sync worker stores these as filterable attributes of the search document (`tags`, `packSizes`); buyers'
occasion and intent words (search/data/intents.txt) and pack sizes in a query become filters on them.

- `gift`: packed or described as a gift (hộp quà, quà tặng, quà biếu, hộp gỗ, sơn mài, hũ sành, …);
- `giftbox`: sold in a gift box or set;
- `souvenir`: a handicraft, or made as a souvenir (quà lưu niệm);
- `snack`: confectionery, cakes, dried fruit, jams, nuts and jerky, or described as eaten as a snack;
- `bar-snack` (đồ nhắm): what goes with a drink: smoked meat, fermented pork, roasted nuts, dried squid and
  crisp-dried seafood, or described as such;
- `inflight`: portions an airline or a hotel minibar serves: said so, wrapped one by one, or at most 60 ml
  or 30 g;
- `region-*`: the part of the country its province (the certificate's, old or new) lies in.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from market.core.text import fold

GIFT_BOX_WORDS = ("hop qua", "bo qua", "hop go", "gio qua", "set qua")
GIFT_WORDS = (*GIFT_BOX_WORDS, "qua tang", "qua bieu", "qua tet", "bieu tang", "lam qua", "son mai", "hu sanh")
SOUVENIR_WORDS = ("luu niem",)
SNACK_CATEGORIES = frozenset(
    ["keo", "banh", "trai cay say", "mut", "dau phong", "lac", "o mai", "thit gac bep", "hat sen", "dua sap"]
)
SNACK_WORDS = ("an vat", "an choi", "nham nhi", "say gion", "say deo")
BAR_SNACK_CATEGORIES = frozenset(["thit gac bep", "nem"])
BAR_SNACK_NUT_CATEGORIES = frozenset(["dau phong", "lac"])  # roasted or coated, not raw kernels (nhân)
BAR_SNACK_NAMES = ("muc mot nang", "kho muc", "ghe say")
BAR_SNACK_WORDS = ("mon nham", "do nham", "moi nhau", "do nhau", "lai rai")
INFLIGHT_WORDS = ("hang khong", "hang bay", "chuyen bay", "may bay", "goi rieng")
INFLIGHT_MAX_ML = 60
INFLIGHT_MAX_G = 30

# Regions by province name (folded), the pre-2025 names included: a certificate names the old province.
REGIONS: dict[str, tuple[str, ...]] = {
    "region-mekong": (
        "an giang", "kien giang", "ca mau", "bac lieu", "can tho", "hau giang", "soc trang", "dong thap",
        "tien giang", "vinh long", "ben tre", "tra vinh", "long an",
    ),
    "region-southeast": (
        "thanh pho ho chi minh", "dong nai", "binh duong", "binh phuoc", "ba ria vung tau", "tay ninh",
    ),
    "region-highlands": ("dak lak", "dak nong", "gia lai", "kon tum", "lam dong"),
    "region-central": (
        "thanh hoa", "nghe an", "ha tinh", "quang binh", "quang tri", "thua thien hue", "hue", "da nang",
        "quang nam", "quang ngai", "binh dinh", "phu yen", "khanh hoa", "ninh thuan", "binh thuan",
    ),
    "region-northwest": ("son la", "dien bien", "lai chau", "hoa binh", "lao cai", "yen bai"),
    "region-north": (
        "ha noi", "hung yen", "bac giang", "bac ninh", "thai nguyen", "ha giang", "tuyen quang", "lao cai",
        "son la", "quang ninh", "hai phong", "ninh binh", "phu tho", "cao bang", "lang son", "dien bien",
        "lai chau", "yen bai", "hoa binh", "thai binh", "nam dinh", "ha nam", "hai duong", "vinh phuc", "bac kan",
    ),
}  # fmt: skip
_REGION_OF: dict[str, list[str]] = {}
for _region, _names in REGIONS.items():
    for _name in _names:
        _REGION_OF.setdefault(_name, []).append(_region)

_SIZE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(ml|lít|lit|litre|liter|l|kg|g|gr|gram)\b", re.IGNORECASE)
_TO_BASE = {"ml": ("ml", 1), "l": ("ml", 1000), "kg": ("g", 1000), "g": ("g", 1)}
_UNIT_ALIASES = {"lít": "l", "lit": "l", "litre": "l", "liter": "l", "gr": "g", "gram": "g"}


def _key(text: str) -> str:
    return " " + re.sub(r"[^0-9a-z]+", " ", fold(text)).strip() + " "


@lru_cache(maxsize=64)
def _any_of(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(" (?:" + "|".join(re.escape(p) for p in phrases) + ") ")


def _has(text_key: str, phrases: tuple[str, ...]) -> bool:
    """Whether one of the phrases is among the words of a `_key`, in one scan of the text."""
    return _any_of(phrases).search(text_key) is not None


def pack_size(amount: str, unit: str) -> str | None:
    """ "5", "lít" -> "5000ml"; "1,2", "kg" -> "1200g": one spelling per quantity, for filters."""
    unit = unit.casefold()
    base, factor = _TO_BASE[_UNIT_ALIASES.get(unit, unit)]
    value = Decimal(amount.replace(",", ".")) * factor
    if value <= 0 or value != value.to_integral_value():
        return None
    return f"{int(value)}{base}"


def pack_sizes(*texts: str) -> list[str]:
    """The pack sizes written in a product's unit and name ("chai 500ml", "can 5 lít", "đòn 1,2kg")."""
    out: list[str] = []
    for text in texts:
        for amount, unit in _SIZE.findall(text):
            size = pack_size(amount, unit)
            if size and size not in out:
                out.append(size)
    return out


def _small_portion(sizes: list[str]) -> bool:
    for size in sizes:
        amount, base = int(size[:-2] if size.endswith("ml") else size[:-1]), size[-2:] == "ml"
        if (base and amount <= INFLIGHT_MAX_ML) or (not base and amount <= INFLIGHT_MAX_G):
            return True
    return False


def regions(province_names: list[str]) -> list[str]:
    out: list[str] = []
    for name in province_names:
        for region in _REGION_OF.get(fold(name).replace("-", " ").replace("–", " "), ()):
            if region not in out:
                out.append(region)
    return out


def product_tags(
    *, name: str, category: str, unit: str, description: str, group: str, province_names: list[str]
) -> list[str]:
    packed = _key(f"{name} {unit}")
    described = _key(description)
    category_key = _key(category).strip()
    tags: list[str] = []
    if _has(packed, GIFT_BOX_WORDS):
        tags.append("giftbox")
    if _has(packed, GIFT_WORDS) or _has(described, GIFT_WORDS):
        tags.append("gift")
    if group == "handicraft" or _has(packed, SOUVENIR_WORDS) or _has(described, SOUVENIR_WORDS):
        tags.append("souvenir")
    if category_key in SNACK_CATEGORIES or _has(packed, SNACK_WORDS) or _has(described, SNACK_WORDS):
        tags.append("snack")
    if (
        category_key in BAR_SNACK_CATEGORIES
        or (category_key in BAR_SNACK_NUT_CATEGORIES and not _has(packed, ("nhan",)))
        or _has(packed, BAR_SNACK_NAMES)
        or _has(described, BAR_SNACK_WORDS)
    ):
        tags.append("bar-snack")
    if _has(packed, INFLIGHT_WORDS) or _has(described, INFLIGHT_WORDS) or _small_portion(pack_sizes(unit, name)):
        tags.append("inflight")
    tags.extend(regions(province_names))
    return tags
