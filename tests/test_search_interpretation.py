"""What a buyer's query is read as, through `searchProducts` on the judged fixture, and products' English
text through the product mutations and search."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, Catalogue, World

SEARCH = """
query($q: String!, $interpret: Boolean) {
  searchProducts(query: $q, first: 10, interpret: $interpret) {
    estimatedTotalCount noExactMatch missingProduct didYouMean
    interpretedAs { kind value text filtered }
    edges { node { name stars certifications unit } }
  }
}"""


async def search(cat: Catalogue, q: str, **variables: Any) -> dict[str, Any]:
    await cat.api.app.state.services.search.vocabulary_ready()
    data = await cat.api.data(SEARCH, {"q": q, **variables})
    return data["searchProducts"]


def names(result: dict[str, Any]) -> list[str]:
    return [e["node"]["name"] for e in result["edges"]]


async def test_stars_are_a_filter_and_a_chip(catalogue: Catalogue) -> None:
    result = await search(catalogue, "OCOP 5 sao nước mắm")
    assert result["interpretedAs"] == [{"kind": "STARS", "value": "5", "text": "OCOP 5 sao", "filtered": True}]
    assert result["edges"] and all(e["node"]["stars"] == 5 for e in result["edges"])
    assert names(result)[0].startswith(("Nước mắm", "Hộp quà nước mắm"))
    plain = await search(catalogue, "OCOP 5 sao nước mắm", interpret=False)
    assert plain["interpretedAs"] == [] and any(e["node"]["stars"] != 5 for e in plain["edges"])


async def test_certification_words_in_either_language_filter_on_the_facet(catalogue: Catalogue) -> None:
    for query in ("gạo hữu cơ", "organic rice"):
        result = await search(catalogue, query)
        assert [c["value"] for c in result["interpretedAs"]] == ["ORGANIC"], query
        assert result["edges"] and all("ORGANIC" in e["node"]["certifications"] for e in result["edges"])
        assert names(result)[0] == "Gạo ST25 lúa tôm hữu cơ"


async def test_pack_sizes_are_not_stars(catalogue: Catalogue) -> None:
    result = await search(catalogue, "nước mắm can 5 lít")
    assert result["interpretedAs"][0]["value"] == "5000ml"
    assert result["edges"] and all("5 lít" in e["node"]["unit"] for e in result["edges"])


async def test_occasions_become_attributes(catalogue: Catalogue) -> None:
    gifts = await search(catalogue, "quà Tết")
    assert gifts["interpretedAs"][0]["value"] == "gift" and gifts["edges"]
    snacks = await search(catalogue, "đồ ăn vặt")
    assert snacks["interpretedAs"][0]["value"] == "snack" and snacks["edges"]
    airline = await search(catalogue, "kẹo dừa cho hãng bay")
    assert names(airline)[0] == "Kẹo dừa Bến Tre gói nhỏ cho hàng không"


async def test_an_absent_product_gets_an_honest_empty_answer(catalogue: Catalogue) -> None:
    for query, missing in (("nho", "nho"), ("grape juice", "grape"), ("táo", "táo")):
        result = await search(catalogue, query)
        assert result["edges"] == [] and result["noExactMatch"] is True, query
        assert result["missingProduct"] == missing
    present = await search(catalogue, "kẹo dừa")
    assert present["noExactMatch"] is False and present["edges"]


async def test_english_finds_the_meaning_before_a_literal_word(catalogue: Catalogue) -> None:
    honey = await search(catalogue, "honey")
    assert names(honey)[0].startswith("Mật ong")  # not "Cà phê Robusta Honey"
    assert names(await search(catalogue, "dried shrimp"))[0].startswith("Tôm khô")
    assert names(await search(catalogue, "fish sauce"))[0].startswith(("Nước mắm", "Hộp quà nước mắm"))
    assert "lá dứa" not in " ".join(names(await search(catalogue, "khóm")))  # pandan is not pineapple


TRANSLATE = """
mutation($id: ID!, $v: Int!, $t: [ProductTranslationInput!]) {
  updateProduct(id: $id, expectedVersion: $v, input: {translations: $t}) {
    product { version translations { locale name description } }
    errors { field code }
  }
}"""
CREATE = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id version translations { locale name } } errors { field code } }
}"""


async def test_producers_write_english_text(api: Api, world: World, sync: Any) -> None:
    data = await api.data(
        CREATE,
        {
            "input": {
                "producerId": world.producer_gid, "name": "Kẹo dừa sáp lá dứa đặc biệt", "group": "FOOD",
                "category": "Kẹo", "stars": 4, "priceVnd": 60000, "unit": "hộp 250g",
                "translations": [{"locale": "EN", "name": "Special pandan wax-coconut candy"}],
            }
        },
        as_="producer",
    )  # fmt: skip
    product = data["createProduct"]["product"]
    assert product["translations"] == [{"locale": "EN", "name": "Special pandan wax-coconut candy"}]
    bad = await api.data(
        TRANSLATE,
        {"id": product["id"], "v": product["version"], "t": [{"locale": "VI", "name": "x"}, {"locale": "EN"}]},
        as_="producer",
    )
    assert bad["updateProduct"]["errors"] == [{"field": "translations[0].locale", "code": "INVALID"}]
    twice = await api.data(
        TRANSLATE, {"id": product["id"], "v": product["version"], "t": [{"locale": "EN"}, {"locale": "EN"}]},
        as_="producer",
    )  # fmt: skip
    assert twice["updateProduct"]["errors"] == [{"field": "translations[1].locale", "code": "INVALID"}]
    done = await api.data(
        TRANSLATE,
        {"id": product["id"], "v": product["version"], "t": [{"locale": "EN", "description": "Chewy candy."}]},
        as_="producer",
    )
    assert done["updateProduct"]["product"]["translations"] == [
        {"locale": "EN", "name": None, "description": "Chewy candy."}
    ]
