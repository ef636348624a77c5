"""Counting the catalogue's words batch by batch gives the vocabulary counting them all at once gives."""

from __future__ import annotations

from collections import Counter

from market.core.text import fold
from search.vietnamese import words
from search.vocabulary import Vocabulary, VocabularyBuilder

TEXTS = [
    "Nước mắm Phú Quốc 43 độ đạm Nước mắm",
    "Rượu sim Phú Quốc Rượu",
    "Kẹo dừa sáp Trà Vinh Kẹo",
    "Cà phê Robusta ST25",
    "Gạo ST-25 Gạo",
    "\u0301a",  # starts with a lone combining mark: it must not compose with the previous text's last letter
    "Đường thốt nốt",
    "",
]


def one_at_a_time(texts: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(fold(w) for w in words(text))
    return counts


def test_batches_count_what_each_text_alone_counts() -> None:
    expected = one_at_a_time(TEXTS)
    for step in (1, 2, 3, len(TEXTS)):
        builder = VocabularyBuilder()
        for start in range(0, len(TEXTS), step):
            builder.add(TEXTS[start : start + step])
        assert builder.build().counts == expected, step
    assert Vocabulary.from_texts(TEXTS).counts == expected
    assert expected["nuoc"] == 2 and expected["duong"] == 1 and expected["st25"] == 1


def test_a_built_vocabulary_corrects_and_the_builder_starts_over() -> None:
    builder = VocabularyBuilder()
    builder.add(["Nước mắm Phú Quốc"] * 20)
    builder.add([])
    vocabulary = builder.build()
    assert vocabulary.correct("nuc") == "nuoc"
    assert builder.build().counts == Counter()  # a vocabulary never changes once built
    assert vocabulary.counts["nuoc"] == 20
