"""Search answers that are safe to show: highlights are escaped HTML whatever a producer wrote, and filter
values a client sends reach Meilisearch as values, never as syntax, on product search and the RFQ board."""

from __future__ import annotations

import base64
import html
import logging
import random
import re
import string
from typing import Any

import pytest
from bson import ObjectId
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.core.provinces import load_provinces
from market.store import Store
from schema import build_schema
from schema.context import Context
from schema.loaders import Loaders
from search.client import MeiliClient
from search.service import ProductSearch
from tests.conftest import Api, Catalogue, World

CREATE = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id name description version } errors { field code message } }
}"""
PUBLISH = "mutation($id: ID!) { publishProduct(id: $id) { product { status } errors { field code message } } }"
SEARCH = """
query($q: String!, $drafts: Boolean, $filter: ProductSearchFilter) {
  searchProducts(query: $q, includeDrafts: $drafts, filter: $filter, first: 20) {
    edges { node { id name description } highlights { field snippet } }
  }
}"""
BOARD = """
query($q: String!, $filter: RfqBoardFilter) {
  openRequests(query: $q, filter: $filter, first: 20) { totalCount edges { node { id } } }
}"""

# Values that broke out of a filter's string literal, or would have with a less careful quoting.
HOSTILE = ["\\", '"', '\\"', '\\\\"', "' OR 1=1", '" OR 1=1 OR x = "', "86\n", "86\\", "a\\nb", "\\u0022"]
# Words Meilisearch's refusals are made of, and none of ours.
MEILI_WORDS = ("Meilisearch", "Expression", "delimiter", "expecting", "invalid_search", "`")


def word() -> str:
    """A made-up word no other product of the session contains."""
    return "zq" + "".join(random.choices(string.ascii_lowercase, k=8))


def plain(snippet: str) -> str:
    return html.unescape(re.sub(r"</?mark>", "", snippet))


def check_snippet(snippet: str, original: str) -> None:
    outside_marks = re.sub(r"</?mark>", "", snippet)
    assert "<" not in outside_marks and ">" not in outside_marks, snippet
    assert snippet.count("<mark>") == snippet.count("</mark>") > 0, snippet
    text = plain(snippet)
    if text != original:  # a description cropped around the match
        assert text.strip("…") in original, (snippet, original)


def highlights_of(result: dict[str, Any], product_id: str) -> dict[str, str]:
    [edge] = [e for e in result["edges"] if e["node"]["id"] == product_id]
    return {h["field"]: h["snippet"] for h in edge["highlights"]}


def check_typed(body: dict[str, Any], *values: str) -> None:
    """No errors, or typed ones that repeat neither Meilisearch nor the filter."""
    for error in body.get("errors") or []:
        assert error.get("extensions", {}).get("code"), error
        assert not any(w in error["message"] for w in MEILI_WORDS), error
        assert not any(len(v) > 2 and v in error["message"] for v in values), error


@pytest.fixture
def no_refusals(caplog: pytest.LogCaptureFixture) -> Any:
    """Fails the test if Meilisearch refused any request the API sent."""
    caplog.set_level(logging.WARNING, logger="ocop.search")
    yield
    assert [r.getMessage() for r in caplog.records if r.name == "ocop.search"] == []


async def test_highlights_are_escaped_html_around_our_marks(
    api: Api, world: World, sync: Any, store: Store, meili: MeiliClient, index_uid: str, no_refusals: None
) -> None:
    tag = word()
    name = f"Probe {tag} <img src=x onerror=alert(1)> & <script>alert(1)</script>"
    filler = " ".join(["đặc sản miền Tây"] * 12)
    description = f"{filler} — {tag} <script>alert(2)</script> & \"quoted\" 'single' <b>bold</b> {filler}"
    fields = {"producerId": world.producer_gid, "name": name, "description": description, "group": "FOOD"}
    fields |= {"category": "Kẹo", "stars": 4, "priceVnd": 45000, "unit": "hộp"}
    body = await api.data(CREATE, {"input": fields}, as_="producer")
    created = body["createProduct"]
    assert created["errors"] == []
    product = created["product"]
    assert (product["name"], product["description"]) == (name, description)
    await sync()

    queries = [tag, f"{tag} onerror", f"{tag} script alert", f"{tag} quoted bold"]
    for q in queries:
        draft = (await api.data(SEARCH, {"q": q, "drafts": True}, as_="producer"))["searchProducts"]
        found = highlights_of(draft, product["id"])
        assert set(found) == {"name", "description"}, (q, found)
        check_snippet(found["name"], name)
        check_snippet(found["description"], description)
        assert plain(found["name"]) == name
        assert "&lt;script&gt;" in found["description"] and "&amp;" in found["description"]

    published = await api.data(PUBLISH, {"id": product["id"]}, as_="producer")
    assert published["publishProduct"]["errors"] == []
    await sync()
    public = (await api.data(SEARCH, {"q": f"{tag} onerror"}))["searchProducts"]
    found = highlights_of(public, product["id"])
    assert found["name"].startswith(f"Probe <mark>{tag}</mark> &lt;img src=x <mark>onerror</mark>=alert(1)&gt;")
    check_snippet(found["description"], description)
    [node] = [e["node"] for e in public["edges"] if e["node"]["id"] == product["id"]]
    assert (node["name"], node["description"]) == (name, description)  # the product itself is not escaped

    # The short execution path gives the same snippets as Strawberry's own.
    search = ProductSearch(meili, index_uid, store)
    context = Context(store=store, search=search, viewer=None, loaders=Loaders.create(store))
    ours, theirs = build_schema(), build_schema()
    theirs.execution_context_class = StrawberryGraphQLCoreExecutionContext
    a = await ours.execute(SEARCH, variable_values={"q": f"{tag} onerror"}, context_value=context)
    b = await theirs.execute(SEARCH, variable_values={"q": f"{tag} onerror"}, context_value=context)
    assert not a.errors and not b.errors and a.data == b.data
    assert a.data is not None and highlights_of(a.data["searchProducts"], product["id"]) == found


async def test_a_text_holding_the_highlight_characters_cannot_forge_marks(
    api: Api, world: World, sync: Any, store: Store, no_refusals: None
) -> None:
    tag = word()
    name = f"Pua {tag} \ue000<b>x</b>\ue001 \ue001 \ue000"
    doc = {"producerId": ObjectId(world.producer_id), "name": name, "description": f"Mô tả {tag} <i>"}
    doc |= {"group": "food", "category": "Kẹo", "stars": 4, "provinceCode": "86", "priceVnd": 50000}
    product = await store.products.insert({**doc, "unit": "hộp", "moq": 1, "status": "published"})
    await sync()
    result = (await api.data(SEARCH, {"q": tag}))["searchProducts"]
    product_gid = base64.b64encode(f"Product:{product.id}".encode()).decode()
    found = highlights_of(result, product_gid)
    assert found == {"description": f"Mô tả <mark>{tag}</mark> &lt;i&gt;"}  # the name's own could not be told apart
    [node] = [e["node"] for e in result["edges"] if e["node"]["id"] == product_gid]
    assert node["name"] == name


@pytest.mark.parametrize("value", HOSTILE)
async def test_product_search_filter_values_are_values(api: Api, sync: Any, value: str, no_refusals: None) -> None:
    await sync()  # the index and its settings exist, whichever test ran before
    # A province the registry does not know never reaches the index: it is refused, naming its place. One it
    # reads as a province ("86\n") reaches the index as that province's code.
    body = await api.gql(SEARCH, {"q": "kẹo", "filter": {"provinces": ["86", value]}})
    if load_provinces().resolve(value) is not None:
        assert "errors" not in body, body
    else:
        assert body["data"] is None, body
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
            ("UNKNOWN_PROVINCE", "filter.provinces[1]")
        ]
        assert not any(w in body["errors"][0]["message"] for w in MEILI_WORDS), body
    body = await api.gql(SEARCH, {"q": value, "filter": {"provinces": ["86"]}})
    assert "errors" not in body, body
    producer = base64.b64encode(f"Producer:{value}".encode()).decode()
    body = await api.gql(SEARCH, {"q": "", "filter": {"producer": producer, "provinces": ["86"]}})
    check_typed(body, value)


async def _board_keys(cat: Catalogue) -> dict[str, str]:
    store = cat.fixture.store
    producer = await store.db["producers"].find_one({})
    assert producer is not None
    keys = {}
    for role, org in ((Role.PRODUCER, str(producer["_id"])), (Role.ADMIN, None)):
        account = await create_account(store, name=f"Board {role.value}", role=role, org_id=org)
        key = f"board-{role.value}-{word()}"
        cat.api.keys[key] = await issue_api_key(store, account.id, key)
        keys[role.value] = key
    return keys


async def test_rfq_board_filter_values_are_values(catalogue: Catalogue, no_refusals: None) -> None:
    await catalogue.sync_board()
    keys = await _board_keys(catalogue)
    for as_ in keys.values():
        control = await catalogue.api.gql(BOARD, {"q": "", "filter": {"provinces": ["86"]}}, as_=as_)
        assert "errors" not in control, control
        for value in HOSTILE:
            for q in ("", "kẹo dừa", value):
                body = await catalogue.api.gql(BOARD, {"q": q, "filter": {"provinces": ["86"]}}, as_=as_)
                assert "errors" not in body, (as_, value, q, body)
            # A province the registry does not know never reaches the index: it is refused, naming its place.
            for flt in ({"provinces": [value]}, {"provinces": ["86", value], "groups": ["FOOD"]}):
                body = await catalogue.api.gql(BOARD, {"q": "", "filter": flt}, as_=as_)
                if load_provinces().resolve(value) is not None:
                    assert "errors" not in body, (as_, value, body)
                    continue
                place = f"filter.provinces[{len(flt['provinces']) - 1}]"
                assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
                    ("UNKNOWN_PROVINCE", place)
                ], (as_, value, body)


async def test_a_refused_board_search_is_a_typed_error(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever we get wrong in a filter, a client never sees Meilisearch's message, and we see a warning."""
    import schema.trade.operations as operations

    await catalogue.sync_board()
    keys = await _board_keys(catalogue)
    monkeypatch.setattr(operations, "board_narrowing", lambda *lists: ['provinces IN ["86\\"]'])
    caplog.set_level(logging.WARNING, logger="ocop.search")
    body = await catalogue.api.gql(BOARD, {"q": "", "filter": {"provinces": ["86"]}}, as_=keys["producer"])
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID" and error["extensions"]["field"] == "filter"
    check_typed(body, '"86\\"')
    [warning] = [r for r in caplog.records if r.name == "ocop.search"]
    assert warning.levelno == logging.WARNING and "invalid_search_filter" in warning.getMessage()
