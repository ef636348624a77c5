"""Client mistakes through HTTP, in dev and in production: each comes back with a code a client can branch on
(and, for bad input, the argument path at fault), writes nothing, and logs no traceback."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from bson import ObjectId
from graphql import GraphQLError

from api.app import create_app
from api.settings import Settings
from market.core.paging import SortSpec, sort_signature
from market.store import Store
from schema import Schema
from tests.conftest import Api, World

# Strawberry logs unexpected errors, with their traceback, on this logger (strawberry/utils/logging.py).
EXECUTION_LOGGER = "strawberry.execution"

PAYLOAD = "product { id } errors { field code message }"
CREATE_PRODUCT = f"mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{ {PAYLOAD} }} }}"
PAGE = "query($first: Int, $after: String, $filter: ProductFilter) { products(first: $first, after: $after, filter: $filter) { edges { cursor } } }"


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


def literal_create(world: World, **fields: str) -> str:
    """createProduct with its whole input written in the document; `fields` replace literals verbatim."""
    literals = {
        "producerId": json.dumps(world.producer_gid),
        "name": '"Kẹo dừa sáp lá dứa"',
        "group": "FOOD",
        "category": '"Kẹo"',
        "stars": "4",
        "priceVnd": "45000",
        "unit": '"hộp 400g"',
        **fields,
    }
    written = ", ".join(f"{name}: {value}" for name, value in literals.items())
    return f"mutation {{ createProduct(input: {{{written}}}) {{ {PAYLOAD} }} }}"


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


OID = '{"$oid": "65f1a2b3c4d5e6f708192a3b"}'
NEWEST: SortSpec = [("createdAt", -1), ("_id", -1)]
PRODUCTS_NEWEST = sort_signature("products", NEWEST)


def forged(signature: str, *values: str) -> str:
    """A cursor carrying a list's signature and sort values written as extended JSON."""
    return cursor(f'["{signature}", {", ".join(values)}]')


@pytest.fixture(scope="module")
async def production(settings: Settings, store: Store) -> AsyncIterator[Api]:
    app = create_app(settings.model_copy(update={"env": "production"}), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield Api(client, app=app)
    await app.state.services.meili.close()


@pytest.fixture(params=["dev", "production"])
def target(request: pytest.FixtureRequest, api: Api, production: Api, world: World) -> Api:
    # Both share the session's keys, issued by `world`.
    production.keys = api.keys
    return api if request.param == "dev" else production


async def products_of(store: Store, world: World) -> int:
    return await store.db["products"].count_documents({"producerId": ObjectId(world.producer_id)})


async def ask(
    target: Api,
    caplog: pytest.LogCaptureFixture,
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The first error of a request that must fail as a whole, and must not be logged as a bug."""
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger=EXECUTION_LOGGER):
        body = await target.gql(query, variables, as_="producer")
    assert body.get("data") is None, body
    assert body["errors"], body
    logged = [r for r in caplog.records if r.name == EXECUTION_LOGGER and r.levelno >= logging.ERROR]
    assert not logged, [r.getMessage() for r in logged]
    if target.app.state.schema.production:
        # Suggestions name parts of the schema, which production keeps to itself (introspection is off there).
        assert not any("Did you mean" in e["message"] for e in body["errors"]), body["errors"]
    first: dict[str, Any] = body["errors"][0]
    return first


# --- bad input: BAD_USER_INPUT and the argument path -----------------------------------------------------


INPUT_CASES: list[Any] = [
    pytest.param(
        lambda w: (literal_create(w, priceVnd="-5"), None),
        "input.priceVnd",
        id="negative price, literal",
    ),
    pytest.param(
        lambda w: (CREATE_PRODUCT, {"input": product_input(w, priceVnd=-5)}),
        "input.priceVnd",
        id="negative price, variable",
    ),
    pytest.param(
        lambda w: (literal_create(w, priceTiers="[{minQuantity: 10, unitPriceVnd: 1.5}]"), None),
        "input.priceTiers[0].unitPriceVnd",
        id="fractional tier price, literal",
    ),
    pytest.param(
        lambda w: (
            CREATE_PRODUCT,
            {"input": product_input(w, priceTiers=[{"minQuantity": 10, "unitPriceVnd": 1.5}])},
        ),
        "input.priceTiers[0].unitPriceVnd",
        id="fractional tier price, variable",
    ),
    pytest.param(
        lambda w: (CREATE_PRODUCT, {"input": product_input(w, priceVnd=2**53)}),
        "input.priceVnd",
        id="price beyond 2^53 - 1, variable",
    ),
    pytest.param(
        lambda w: (CREATE_PRODUCT, {"input": product_input(w, certifiedAt="01/03/2025")}),
        "input.certifiedAt",
        id="date not ISO, variable",
    ),
    pytest.param(
        lambda w: (literal_create(w, certifiedAt='"01/03/2025"'), None),
        "input.certifiedAt",
        id="date not ISO, literal",
    ),
    pytest.param(
        lambda w: (CREATE_PRODUCT, {"input": {k: v for k, v in product_input(w).items() if k != "name"}}),
        "input.name",
        id="missing required input field, variable",
    ),
    pytest.param(
        lambda w: ('{ products(filter: {updatedSince: "0001-01-01T00:00:00+14:00"}) { edges { cursor } } }', None),
        "filter.updatedSince",
        id="instant before year 1 in UTC, literal",
    ),
    pytest.param(
        lambda w: (PAGE, {"filter": {"updatedSince": "9999-12-31T23:59:59-12:00"}}),
        "filter.updatedSince",
        id="instant after year 9999 in UTC, variable",
    ),
    pytest.param(
        lambda w: ("{ products(first: 99999999999) { edges { cursor } } }", None),
        "first",
        id="first beyond Int, literal",
    ),
    pytest.param(
        lambda w: ("{ products(filter: {groups: [NOPE, FOOD]}) { edges { cursor } } }", None),
        "filter.groups[0]",
        id="unknown enum in a list, literal",
    ),
    pytest.param(
        lambda w: (
            "query($g: ProductGroup!) { products(filter: {groups: [$g]}) { edges { cursor } } }",
            {"g": "NOPE"},
        ),
        "filter.groups[0]",
        id="unknown enum, variable inside an object",
    ),
    pytest.param(
        lambda w: (PAGE, {"filter": {"groups": ["NOPE"]}}),
        "filter.groups[0]",
        id="unknown enum in a list, variable",
    ),
    pytest.param(
        lambda w: ("{ products(filter: {groups: [FOD]}) { edges { cursor } } }", None),
        "filter.groups[0]",
        id="misspelt enum, literal",
    ),
    pytest.param(
        lambda w: ("{ products(filter: {grops: [FOOD]}) { edges { cursor } } }", None),
        "filter.grops",
        id="unknown input field, literal",
    ),
    pytest.param(
        lambda w: ("{ inquiry { id } }", None),
        "id",
        id="missing required argument",
    ),
    pytest.param(
        lambda w: ("query($f: Int) { products(first: $f) { edges { cursor } } }", {"f": "abc"}),
        "first",
        id="variable of the wrong type",
    ),
    pytest.param(
        lambda w: ("query($f: Int!) { products(first: $f) { edges { cursor } } }", {}),
        "first",
        id="required variable not given",
    ),
    pytest.param(
        lambda w: ("query($f: Int!) { products(first: $f) { edges { cursor } } }", {"f": None}),
        "first",
        id="required variable null",
    ),
]


@pytest.mark.parametrize(("request_of", "field"), INPUT_CASES)
async def test_bad_input_names_the_argument_path(
    target: Api, store: Store, world: World, caplog: pytest.LogCaptureFixture, request_of: Any, field: str
) -> None:
    query, variables = request_of(world)
    before = await products_of(store, world)
    error = await ask(target, caplog, query, variables)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["field"] == field, error
    assert await products_of(store, world) == before


async def test_a_valid_create_is_written(api: Api, store: Store, world: World) -> None:
    # The counterpart of the cases above: the same request with good values does write, so "nothing
    # written" there is the refusal's doing.
    before = await products_of(store, world)
    data = await api.data(CREATE_PRODUCT, {"input": product_input(world, certifiedAt="2025-03-01")}, as_="producer")
    assert data["createProduct"]["errors"] == []
    assert await products_of(store, world) == before + 1


# --- days out of range: a payload error naming the field ------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "found"),
    [
        pytest.param({"certifiedAt": "9999-12-31"}, {("certifiedAt", "OUT_OF_RANGE")}, id="certified in 9999"),
        pytest.param({"certifiedAt": "2017-12-31"}, {("certifiedAt", "OUT_OF_RANGE")}, id="certified before OCOP"),
        pytest.param(
            {"certifiedAt": str(date.today() + timedelta(days=2))},
            {("certifiedAt", "OUT_OF_RANGE")},
            id="certified in the future",
        ),
        pytest.param({"validUntil": "9999-12-31"}, {("validUntil", "OUT_OF_RANGE")}, id="valid until 9999"),
        pytest.param(
            {"certifiedAt": "2024-05-01", "validUntil": "2034-05-02"},
            {("validUntil", "OUT_OF_RANGE")},
            id="valid over ten years",
        ),
        pytest.param(
            {"certifiedAt": "9999-12-31", "validUntil": "9999-12-31"},
            {("certifiedAt", "OUT_OF_RANGE"), ("validUntil", "OUT_OF_RANGE")},
            id="both in 9999",
        ),
    ],
)
async def test_certificate_days_out_of_range_name_their_field(
    target: Api,
    store: Store,
    world: World,
    caplog: pytest.LogCaptureFixture,
    fields: dict[str, str],
    found: set[tuple[str, str]],
) -> None:
    # certifiedAt 9999-12-31 once reached the 36-month default and failed there, with no code.
    before = await products_of(store, world)
    with caplog.at_level(logging.ERROR, logger=EXECUTION_LOGGER):
        body = await target.gql(CREATE_PRODUCT, {"input": product_input(world, **fields)}, as_="producer")
    assert "errors" not in body, body
    payload = body["data"]["createProduct"]
    assert payload["product"] is None
    assert {(e["field"], e["code"]) for e in payload["errors"]} == found
    assert not [r for r in caplog.records if r.name == EXECUTION_LOGGER and r.levelno >= logging.ERROR]
    assert await products_of(store, world) == before


# --- bad cursors: resolvers refuse them with INVALID on `after` or `before` -------------------------------


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


CURSOR_CASES: list[Any] = [
    pytest.param(cursor('[{"$date": 1}, {"$oid": "zz"}]'), id="bad ObjectId"),
    pytest.param(cursor(_deep(5000)), id="nested 5000 deep"),
    # Deep enough to be no sort key, yet short enough to reach the decoder.
    pytest.param(cursor(_deep(180)), id="nested within the length limit"),
    pytest.param(cursor('[{"$ne": null}, {"$oid": "65f1a2b3c4d5e6f708192a3b"}]'), id="operator as a value"),
    pytest.param(cursor('[{"$where": "sleep(1000)"}, 1]'), id="code as a value"),
    pytest.param(cursor(json.dumps(["x" * 600, {"$oid": "65f1a2b3c4d5e6f708192a3b"}])), id="longer than 512"),
    pytest.param(cursor("[1]"), id="too few values"),
    pytest.param(cursor("{}"), id="not a list"),
    pytest.param("ÿÿÿÿ", id="not base64"),
    pytest.param(base64.urlsafe_b64encode(b"[\xff\xfe]").decode(), id="not UTF-8"),
    # Shaped like the products' own cursors (the list's signature, then createdAt and _id), with one value
    # no sort key holds.
    pytest.param(forged(PRODUCTS_NEWEST, "99999999999999999999999", OID), id="int beyond 64 bits"),
    pytest.param(forged(PRODUCTS_NEWEST, '{"$code": "sleep(1000)"}', OID), id="bson Code, a str subclass"),
    pytest.param(forged(PRODUCTS_NEWEST, "1e999", OID), id="infinite float"),
    pytest.param(forged(PRODUCTS_NEWEST, "NaN", OID), id="NaN"),
    pytest.param(forged(PRODUCTS_NEWEST, '"\\ud800"', OID), id="lone surrogate"),
    pytest.param(cursor(f'[{{"$date": 1}}, {OID}]'), id="handed out before cursors named their list"),
    pytest.param(forged(sort_signature("producers", NEWEST), '{"$date": 1}', OID), id="another list"),
    pytest.param(
        forged(sort_signature("products", [("createdAt", 1), ("_id", 1)]), '{"$date": 1}', OID), id="another order"
    ),
]


@pytest.mark.parametrize("after", CURSOR_CASES)
async def test_bad_cursors_are_refused(target: Api, world: World, caplog: pytest.LogCaptureFixture, after: str) -> None:
    error = await ask(target, caplog, PAGE, {"first": 2, "after": after})
    assert error["extensions"]["code"] == "INVALID", error
    assert error["extensions"]["field"] == "after", error


@pytest.mark.parametrize("before", CURSOR_CASES)
async def test_bad_cursors_are_refused_in_before(
    target: Api, world: World, caplog: pytest.LogCaptureFixture, before: str
) -> None:
    query = "query($before: String) { products(last: 2, before: $before) { edges { cursor } } }"
    error = await ask(target, caplog, query, {"before": before})
    assert error["extensions"]["code"] == "INVALID", error
    assert error["extensions"]["field"] == "before", error


DATE = '{"$date": "2025-03-01T00:00:00Z"}'


@pytest.mark.parametrize(
    ("query", "signature", "rest"),
    [
        pytest.param(
            "query($after: String) { products(sort: STARS_DESC, after: $after) { edges { cursor } } }",
            sort_signature("products", [("stars", -1), ("createdAt", -1), ("_id", -1)]),
            [DATE, OID],
            id="products by stars",
        ),
        pytest.param(
            "query($after: String) { inquiries(after: $after) { edges { cursor } } }",
            sort_signature("inquiries", NEWEST),
            [OID],
            id="inquiries",
        ),
        pytest.param(
            "query($after: String) { deals(after: $after) { edges { cursor } } }",
            sort_signature("deals", NEWEST),
            [OID],
            id="deals",
        ),
        pytest.param(
            "query($after: String) { tradeEvents(after: $after) { edges { cursor } } }",
            sort_signature("trade_events", [("startsOn", -1), ("_id", -1)]),
            [OID],
            id="trade events",
        ),
        pytest.param(
            "query($after: String) { producers(after: $after) { edges { cursor } } }",
            sort_signature("producers", [("nameKey", 1), ("_id", 1)]),
            [OID],
            id="producers",
        ),
    ],
)
async def test_integers_beyond_64_bits_are_refused_in_every_list(
    target: Api, world: World, caplog: pytest.LogCaptureFixture, query: str, signature: str, rest: list[str]
) -> None:
    # Before values were checked, BSON refused the query itself: an untyped error and a logged traceback.
    error = await ask(target, caplog, query, {"after": forged(signature, "99999999999999999999999", *rest)})
    assert error["extensions"]["code"] == "INVALID", error
    assert error["extensions"]["field"] == "after", error
    # The same cursor with a 64-bit integer is read: the refusal was the value's, not the signature's.
    await target.data(query, {"after": forged(signature, str(2**63 - 1), *rest)}, as_="producer")


async def test_a_cursor_is_accepted_only_by_the_list_and_order_that_handed_it_out(
    target: Api, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # Producers and products by date both sort on two keys: same width, different lists.
    listed = await target.data("{ producers(first: 1) { edges { cursor } } }", as_="producer")
    producers = listed["producers"]["edges"][0]["cursor"]
    created = await target.data(CREATE_PRODUCT, {"input": product_input(world)}, as_="producer")
    assert created["createProduct"]["errors"] == []
    query = "query($sort: ProductSort!, $after: String) { products(sort: $sort, first: 1, after: $after) { edges { cursor } } }"
    by_name = (await target.data(query, {"sort": "NAME"}, as_="producer"))["products"]["edges"][0]["cursor"]
    by_price = (await target.data(query, {"sort": "PRICE_ASC"}, as_="producer"))["products"]["edges"][0]["cursor"]
    for sort, after in (("NEWEST", producers), ("PRICE_ASC", by_name), ("NAME", by_price)):
        error = await ask(target, caplog, query, {"sort": sort, "after": after})
        assert (error["extensions"]["code"], error["extensions"]["field"]) == ("INVALID", "after"), (sort, error)
    # Each is still good where it came from.
    await target.data(query, {"sort": "NAME", "after": by_name}, as_="producer")
    await target.data(
        "query($a: String) { producers(after: $a) { edges { cursor } } }", {"a": producers}, as_="producer"
    )


@pytest.mark.parametrize(
    "after", ["o:99999999999999999999", "o:-1", "o:1e3", "o:١٢", "x:1", "o:"], ids=lambda a: repr(a)
)
async def test_bad_search_cursors_are_refused(
    target: Api, world: World, caplog: pytest.LogCaptureFixture, after: str
) -> None:
    query = 'query($after: String) { searchProducts(query: "dừa", after: $after) { edges { cursor } } }'
    error = await ask(target, caplog, query, {"after": after})
    assert error["extensions"]["code"] == "INVALID", error
    assert error["extensions"]["field"] == "after", error
    query = 'query($before: String) { searchProducts(query: "dừa", last: 2, before: $before) { edges { cursor } } }'
    error = await ask(target, caplog, query, {"before": after})
    assert error["extensions"]["code"] == "INVALID", error
    assert error["extensions"]["field"] == "before", error


# --- malformed documents ------------------------------------------------------------------------------------


async def test_syntax_errors_are_parse_failures(target: Api, caplog: pytest.LogCaptureFixture) -> None:
    error = await ask(target, caplog, "{ products(first: 1 { edges { cursor } } }")
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED", error
    assert "field" not in error["extensions"]


async def test_unknown_fields_are_validation_failures(target: Api, caplog: pytest.LogCaptureFixture) -> None:
    error = await ask(target, caplog, "{ productz { edges { cursor } } }")
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error
    assert "productz" in error["message"]
    # Suggestions name fields of the schema, which production keeps to itself (introspection is off there).
    production = target.app.state.schema.production
    assert ("Did you mean" in error["message"]) is (not production), error["message"]


async def test_unknown_arguments_keep_suggestions_out_of_production(
    target: Api, caplog: pytest.LogCaptureFixture
) -> None:
    error = await ask(target, caplog, "{ products(frist: 1) { edges { cursor } } }")
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error
    production = target.app.state.schema.production
    assert ("Did you mean" in error["message"]) is (not production), error["message"]


def test_unexpected_errors_are_still_logged(caplog: pytest.LogCaptureFixture, api: Api) -> None:
    # The no-traceback checks above watch the logger Strawberry reports bugs on; a bug must still reach it.
    schema: Schema = api.app.state.schema
    bug = GraphQLError("boom", path=["products"], original_error=RuntimeError("boom"))
    with caplog.at_level(logging.ERROR, logger=EXECUTION_LOGGER):
        schema.process_errors([bug])
    assert [r.name for r in caplog.records if r.levelno >= logging.ERROR] == [EXECUTION_LOGGER]
