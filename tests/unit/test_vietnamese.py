"""The pure pieces of Vietnamese search: Telex spelling, keystroke conversion, synonyms, typo correction,
province detection and code joining."""

import pytest

from search.query import join_codes, mark_provinces, province_token, with_tones
from search.synonyms import expand, parse
from search.vietnamese import convert_keystrokes, from_keystrokes, is_syllable, telex, tone_spellings
from search.vocabulary import Vocabulary


@pytest.mark.parametrize(
    ("word", "spelled"),
    [
        ("dứa", "duwas"),
        ("dừa", "duwaf"),
        ("dưa", "duwa"),
        ("lợn", "lownj"),
        ("lon", "lon"),
        ("Đường", "dduwowngf"),
        ("dưỡng", "duwowngx"),
        ("ST25", "st25"),
        ("khóm", "khoms"),
    ],
)
def test_telex_keeps_tones_apart(word: str, spelled: str) -> None:
    assert telex(word) == spelled


def test_tone_tokens_follow_the_text() -> None:
    assert tone_spellings("Kẹo dừa ST25") == "vvkeoj vvduwaf"
    assert tone_spellings("Kẹo kẹo dua dừa") == "vvkeoj vvkeoj vvduwaf"  # a remembered word, again in place
    assert tone_spellings("keo dua 25") == ""
    assert with_tones("nước mam") == "nước mam vvnuwowcs"
    assert with_tones("nuoc mam") == "nuoc mam"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("muoois hatj", "muối hạt"),
        ("caf phee", "cà phê"),
        ("nuwowcs mawms", "nước mắm"),
        ("dduwowngf", "đường"),
        ("thit lowjn", "thit lợn"),
        ("nu7o71c ma81m", "nước mắm"),
        ("ca2 phe6", "cà phê"),
        ("muo61i ha5t", "muối hạt"),
        ("nguwowif", "người"),
        ("quar", "quả"),
    ],
)
def test_keystrokes_without_an_input_method_are_converted(typed: str, meant: str) -> None:
    assert convert_keystrokes(typed) == meant


@pytest.mark.parametrize("word", ["st25", "robusta", "arabica", "coffee", "banh", "keo", "ruou", "iso", "43"])
def test_ordinary_words_are_not_mangled(word: str) -> None:
    assert from_keystrokes(word) is None


def test_syllables() -> None:
    assert is_syllable("nghiêng") and is_syllable("quả") and is_syllable("giá")
    assert not is_syllable("st") and not is_syllable("coffee")


def test_synonyms_keep_tones_and_respect_leading_terms() -> None:
    groups = parse("khóm, ^thơm, dứa\nheo, lợn\n# comment")
    assert expand("Dứa sấy giòn", "Trái cây", groups) == ["khóm", "thơm"]
    assert expand("Kẹo dừa sáp", "Kẹo", groups) == []  # coconut is not pineapple
    assert expand("Thơm mật Tiền Giang", "Trái cây", groups) == ["khóm", "dứa"]
    assert expand("Gạo thơm ST25", "Gạo", groups) == []  # fragrant rice
    assert expand("Lạp xưởng heo", "Thịt", groups) == ["lợn"]


def test_typos_in_short_syllables() -> None:
    vocabulary = Vocabulary.from_texts(
        ["Nước mắm Phú Quốc"] * 20 + ["Rượu sim"] * 5 + ["Rượu sâm"] * 10 + ["Kẹo dừa"] * 10 + ["Cà phê"] * 5 + ["mực"]
    )
    assert vocabulary.correct("nuc") == "nuoc"
    assert vocabulary.correct("sjm") == "sim"  # j sits next to i on the keyboard
    assert vocabulary.correct("kep") == "keo"
    assert vocabulary.correct("fe") == "phe"
    assert vocabulary.correct("mam") is None  # a catalogue word
    assert vocabulary.correct("robusta") is None  # too long to be a short-syllable slip
    assert vocabulary.correct_text("gao st 25") is None


def test_codes_are_joined_but_words_are_not() -> None:
    assert join_codes("gao st 25") == "gao st25"
    assert join_codes("gạo ST-25") == "gạo ST25"
    assert join_codes("rượu sim 29 độ") == "rượu sim 29 độ"


@pytest.mark.parametrize(
    ("typed", "marked"),
    [
        ("muối tôm tây ninh", "muối tôm pvtayninh"),
        ("keo dua ben tre", "keo dua pvbentre"),
        ("Kẹo dừa VĨNH LONG", "Kẹo dừa pvvinhlong"),
        ("bà rịa vũng tàu hải sản", "pvbariavungtau hải sản"),
        ("nem chua huế", "nem chua huế"),  # one word: left to the province names
        ("gạo st25", "gạo st25"),
        ("long nhãn", "long nhãn"),
    ],
)
def test_provinces_named_in_a_query_become_one_word(typed: str, marked: str) -> None:
    assert mark_provinces(typed) == marked


def test_a_province_token_is_the_same_for_the_document_and_the_query() -> None:
    assert province_token("Bến Tre") == mark_provinces("ben tre") == mark_provinces("Bến Tre")
    assert province_token("Vĩnh Long") != province_token("Bến Tre")
