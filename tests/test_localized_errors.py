"""Errors and labels in the client's language: Vietnamese when Accept-Language prefers `vi`, else English,
with the values each message names in `params`."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLEnumType

from market.core.messages import ENUM_LABELS
from schema import build_schema
from tests.conftest import Api, World

CREATE_PRODUCT = (
    "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } "
    "errors { field code message params } } }"
)
VIETNAMESE = "vi-VN,vi;q=0.9,en;q=0.8"


def product_input(world: World, **overrides: Any) -> dict[str, Any]:
    base = {
        "producerId": world.producer_gid,
        "name": "Kẹo dừa sáp lá dứa",
        "group": "FOOD",
        "category": "Kẹo",
        "stars": 4,
        "priceVnd": 45000,
        "unit": "hộp 400g",
    }
    return {**base, **overrides}


async def post(
    api: Api,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    language: str | None = None,
    anonymous: bool = False,
) -> Any:
    headers = {"Accept-Language": language} if language is not None else {}
    if not anonymous:
        headers["Authorization"] = f"Bearer {api.keys['producer']}"
    response = await api.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def test_a_mutation_error_in_vietnamese(api: Api, world: World) -> None:
    response = await post(api, CREATE_PRODUCT, {"input": product_input(world, stars=7)}, language=VIETNAMESE)
    assert response.headers["content-language"] == "vi"
    [error] = response.json()["data"]["createProduct"]["errors"]
    assert error == {
        "field": "stars",
        "code": "OUT_OF_RANGE",
        "message": "stars phải từ 3 đến 5, nhận được 7",
        "params": {"min": 3, "max": 5, "got": 7},
    }


@pytest.mark.parametrize("language", ["en-GB,en;q=0.9", None, "fr, vi;q=0.5"])
async def test_a_mutation_error_in_english_otherwise(api: Api, world: World, language: str | None) -> None:
    response = await post(api, CREATE_PRODUCT, {"input": product_input(world, stars=7)}, language=language)
    assert response.headers["content-language"] == "en"
    [error] = response.json()["data"]["createProduct"]["errors"]
    assert error["message"] == "stars must be between 3 and 5, got 7"
    assert error["params"] == {"min": 3, "max": 5, "got": 7}


async def test_several_errors_each_with_its_parameters(api: Api, world: World) -> None:
    bad = product_input(world, name="x" * 201, province="Atlantis", moq=0)
    response = await post(api, CREATE_PRODUCT, {"input": bad}, language="vi")
    errors = {e["field"]: e for e in response.json()["data"]["createProduct"]["errors"]}
    assert errors["name"]["code"] == "TOO_LONG" and errors["name"]["params"] == {"max": 200, "got": 201}
    assert errors["name"]["message"] == "name dài quá 200 ký tự"
    assert errors["province"]["params"] == {"got": "Atlantis"}
    assert errors["province"]["message"] == "không có tỉnh, thành phố nào là 'Atlantis'"
    assert errors["moq"]["params"]["got"] == 0


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (VIETNAMESE, "first không được lớn hơn 100, nhận được 500"),
        ("en", "first must be at most 100, got 500"),
        (None, "first must be at most 100, got 500"),
    ],
)
async def test_a_top_level_error_in_the_request_language(api: Api, language: str | None, message: str) -> None:
    response = await post(api, "{ products(first: 500) { edges { cursor } } }", language=language, anonymous=True)
    [error] = response.json()["errors"]
    assert error["message"] == f"first: {message}"
    extensions = error["extensions"]
    assert extensions["code"] == "OUT_OF_RANGE" and extensions["field"] == "first"
    assert extensions["params"] == {"max": 100, "got": 500}
    assert extensions["errors"] == [
        {"code": "OUT_OF_RANGE", "field": "first", "message": message, "params": {"max": 100, "got": 500}}
    ]


def schema_enums() -> dict[str, list[str]]:
    schema = build_schema()._schema
    return {
        name: list(kind.values)
        for name, kind in schema.type_map.items()
        if isinstance(kind, GraphQLEnumType) and not name.startswith("__")
    }


def test_the_catalogue_labels_every_enum_of_the_schema() -> None:
    enums = schema_enums()
    assert {name: list(values) for name, values in ENUM_LABELS.items()} == enums


LABELS = "query($locale: Locale) { enumLabels(locale: $locale) { enum values { value label vi en } } }"


async def test_enum_labels_in_both_languages(api: Api) -> None:
    response = await post(api, LABELS, anonymous=True, language=VIETNAMESE)
    labels = {e["enum"]: e["values"] for e in response.json()["data"]["enumLabels"]}
    assert {name: [v["value"] for v in values] for name, values in labels.items()} == schema_enums()
    for values in labels.values():
        for value in values:
            assert value["vi"] and value["en"] and value["label"] == value["vi"]
    food = next(v for v in labels["ProductGroup"] if v["value"] == "FOOD")
    assert (food["vi"], food["en"]) == ("Thực phẩm", "Food")
    english = await post(api, LABELS, {"locale": "EN"}, anonymous=True, language=VIETNAMESE)
    groups = next(e for e in english.json()["data"]["enumLabels"] if e["enum"] == "ProductGroup")
    assert groups["values"][0]["label"] == groups["values"][0]["en"]
