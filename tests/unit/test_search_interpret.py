"""Reading buyers' queries for stars, certifications, pack sizes, occasions and products (search/interpret.py),
the glossary's tone-exact matching (search/glossary.py) and the attributes products get (search/attributes.py)."""

from __future__ import annotations

import pytest

from search.attributes import pack_sizes, product_tags
from search.glossary import load_glossary
from search.interpret import ChipKind, interpret
from search.synonyms import expand, stop_spans


def chips(query: str) -> list[tuple[str, str]]:
    return [(c.kind.value, c.value) for c in interpret(query).chips if c.filtered]


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("OCOP 5 sao nước mắm", "nước mắm", [("stars", "5")]),
        ("mật ong 4★", "mật ong", [("stars", "4")]),
        ("nuoc mam 5 lit", "nuoc mam", [("packaging", "5000ml")]),  # "5 sao" is stars, "5 lít" a size
        ("nước mắm chai 500 ml", "nước mắm chai", [("packaging", "500ml")]),
        ("gạo hữu cơ", "gạo", [("certification", "ORGANIC")]),
        ("VietGAP dragon fruit", "dragon fruit", [("certification", "VIETGAP")]),
        ("quà Tết", "", [("intent", "gift")]),
        ("đồ ăn vặt", "", [("intent", "snack")]),
        ("kẹo dừa cho hãng bay", "kẹo dừa", [("intent", "inflight")]),
        ("đặc sản miền Tây", "", [("intent", "region-mekong")]),
        ("hộp quà trà", "trà", [("packaging", "giftbox")]),
        ("đồ nhắm", "", [("intent", "bar-snack")]),  # not candy: what goes with a drink
    ],
)
def test_query_parts_become_filters(query: str, text: str, expected: list[tuple[str, str]]) -> None:
    reading = interpret(query)
    assert reading.text == text
    assert chips(query) == expected


def test_plain_queries_are_left_alone() -> None:
    for query in ("nước mắm phú quốc", "40 do dam", "st 25", "đồ hộp", "nuowcs mawms"):
        reading = interpret(query)
        assert reading.text == query and reading.filters == []


def test_a_province_ranks_and_does_not_filter() -> None:
    (chip,) = interpret("kẹo dừa bến tre").chips
    assert (chip.kind, chip.value, chip.filtered) == (ChipKind.PROVINCE, "86", False)


def test_english_terms_are_read_longest_first() -> None:
    glossary = load_glossary()
    assert [c.label for _, _, c in glossary.read_english(["dried", "mango"])] == ["xoài sấy"]
    assert interpret("honey").concept_tokens == ["ggmatong"]


def test_products_named_keep_their_tones() -> None:
    (named,) = interpret("nho").named
    assert [c.label for c in named.concepts] == ["nho"]  # a grape, not "nhỏ"
    (named,) = interpret("dua").named
    assert {c.label for c in named.concepts} >= {"dừa", "khóm"}  # accent-free: both readings
    assert interpret("dứa").named[0].concepts[0].label == "khóm"


def test_glossary_is_tone_exact_and_honours_stop_phrases() -> None:
    glossary = load_glossary()
    labels = [c.label for c in glossary.concepts_in(["Kẹo dừa lá dứa Bến Tre"])]
    assert "lá dứa" in labels and "khóm" not in labels and "tre" not in labels
    assert "khóm" in [c.label for c in glossary.concepts_in(["Dứa sấy dẻo Long An"])]
    assert "gạo thơm" in [c.label for c in glossary.concepts_in(["Gạo Nàng thơm Chợ Đào"])]


def test_pandan_is_not_pineapple_in_synonyms() -> None:
    assert "khóm" not in expand("Kẹo dừa sáp lá dứa Cầu Kè", "Kẹo")
    assert "khóm" in expand("Dứa sấy giòn Long An", "Trái cây sấy")


def test_pack_sizes_have_one_spelling() -> None:
    assert pack_sizes("can 5 lít") == ["5000ml"]
    assert pack_sizes("đòn 1,2kg", "Bánh tét") == ["1200g"]
    assert pack_sizes("hộp 2 chai 250ml") == ["250ml"]
    assert pack_sizes("kg") == []


def test_product_tags_come_from_the_data() -> None:
    gift = product_tags(
        name="Hộp quà nước mắm Phú Quốc", category="Nước mắm", unit="hộp 2 chai 250ml", description="",
        group="food", province_names=["An Giang", "Kiên Giang"],
    )  # fmt: skip
    assert {"gift", "giftbox", "region-mekong"} <= set(gift)
    snack = product_tags(
        name="Xoài sấy dẻo", category="Trái cây sấy", unit="túi 200g", description="", group="food",
        province_names=["Đồng Tháp"],
    )  # fmt: skip
    assert "snack" in snack and "gift" not in snack
    mini = product_tags(
        name="Nước mắm chai mini", category="Nước mắm", unit="chai 60ml", description="", group="food",
        province_names=["Hà Nội"],
    )  # fmt: skip
    assert {"inflight", "region-north"} <= set(mini)


def test_a_tag_phrase_matches_whole_words_only() -> None:
    def tags(name: str, description: str = "") -> list[str]:
        return product_tags(
            name=name, category="Khác", unit="hộp", description=description, group="food", province_names=[]
        )

    assert "gift" in tags("Trà sen", "Làm quà biếu dịp Tết")
    assert "gift" in tags("Quà biếu trà sen")  # at the very start of the text
    assert "gift" not in tags("Trà sen", "hộp quàx")  # "qua" is not "quax"
    assert "souvenir" in tags("Móc khóa", "quà lưu-niệm")  # punctuation separates words
    assert "souvenir" not in tags("Móc khóa", "lưu niệmm")


def test_stop_phrases_are_found_wherever_they_start() -> None:
    stops = frozenset({("lá", "dứa"), ("dứa",), ("lá", "dứa", "non")})
    assert sorted(stop_spans(["bánh", "lá", "dứa", "non", "lá", "dứa"], stops)) == [
        (1, 3), (1, 4), (2, 3), (4, 6), (5, 6),
    ]  # fmt: skip
    assert stop_spans(["lá"], stops) == []


def test_a_narrower_concept_is_a_kind_of_the_broader_one() -> None:
    glossary = load_glossary()
    assert [c.label for c in glossary.concepts_in(["Mật ong rừng U Minh Hạ"])] == ["mật ong rừng", "mật ong"]
    assert "bánh" not in [c.label for c in glossary.concepts_in(["Bánh tráng nem mỏng"])]  # "~": no cake
    assert "táo" not in [c.label for c in glossary.concepts_in(["Rượu táo mèo Bắc Hà"])]  # nor an apple


def test_concepts_of_many_texts_are_each_named_once_in_the_order_found() -> None:
    texts = ["Mật ong rừng U Minh Hạ", "Mật ong bạc hà", "Nước mắm Phú Quốc", "Mật ong rừng Tràm"] * 50
    labels = [c.label for c in load_glossary().concepts_in(texts)]
    assert labels[:3] == ["mật ong rừng", "mật ong", "nước mắm"] and len(labels) == len(set(labels))


def test_the_product_a_vietnamese_query_is_about_ranks_without_filtering() -> None:
    assert interpret("nước mắm hàm ninh").head_tokens == ["ggnuocmam"]
    assert interpret("nước mắm").head_tokens == []  # the words alone already say it
    assert interpret("nuoc mam ham ninh").head_tokens == []  # typed without accents: not read exactly
    assert interpret("honey ea kar").head_tokens == []  # English tokens already rank


def test_a_dipping_sauce_is_not_fish_sauce() -> None:
    labels = [c.label for c in load_glossary().concepts_in(["Nước mắm pha tỏi ớt Hàm Ninh"])]
    assert "nước chấm" in labels and "nước mắm" not in labels


def test_bar_snacks_are_what_goes_with_a_drink() -> None:
    def tags(name: str, category: str) -> list[str]:
        return product_tags(
            name=name, category=category, unit="túi 500g", description="", group="food", province_names=[]
        )

    assert "bar-snack" in tags("Thịt trâu gác bếp Sơn La", "Thịt gác bếp")
    assert "bar-snack" in tags("Lạc rang húng lìu", "Lạc")
    assert "bar-snack" not in tags("Lạc nhân Nghi Lộc", "Lạc")  # raw kernels
    assert "bar-snack" not in tags("Kẹo dừa sáp Cầu Kè", "Kẹo")
