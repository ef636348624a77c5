"""The product change feed (`productChanges`) and `products(filter: {updatedSince})`, through the API: every
write in commit order, per viewer, resumable from any cursor, bulk imports included."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from market.core.paging import MAX_PAGE
from tests.conftest import Api, World

FEED = """query($after: String, $first: Int) {
  productChanges(after: $after, first: $first) {
    edges { cursor node { kind productId version at product { id status version name } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
CREATE = """mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id version } errors { field code message } } }"""
UPDATE = """mutation($id: ID!, $v: Int!, $input: UpdateProductInput!) {
  updateProduct(id: $id, expectedVersion: $v, input: $input) {
    product { id version updatedAt } errors { field code message } } }"""
PUBLISH = """mutation($id: ID!, $v: Int) {
  publishProduct(id: $id, expectedVersion: $v) { product { version } errors { field code message } } }"""
ARCHIVE = """mutation($id: ID!, $v: Int) {
  archiveProduct(id: $id, expectedVersion: $v) { product { version } errors { field code message } } }"""
DELETE = """mutation($id: ID!, $v: Int!) {
  deleteProduct(id: $id, expectedVersion: $v) { deletedId errors { field code message } } }"""
IMPORT = """mutation($file: Upload!) {
  importProducts(file: $file) { created updated unchanged failed rowErrors { line field messageEn } errors { message } } }"""

ROLES = ("anonymous", "buyer", "producer", "other_producer", "coordinator", "other_coordinator", "admin")
# Who sees a draft of the world's producer (Vĩnh Long): its members, the Vĩnh Long office, admins.
OWNER_SIDE = {"producer", "coordinator", "admin"}


def as_role(role: str) -> str | None:
    return None if role == "anonymous" else role


async def ok(api: Api, query: str, variables: dict[str, Any], *, as_: str = "producer") -> dict[str, Any]:
    data = await api.data(query, variables, as_=as_)
    payload: dict[str, Any] = next(iter(data.values()))
    assert payload["errors"] == [], payload["errors"]
    return payload


async def new_product(api: Api, world: World, name: str) -> dict[str, Any]:
    input_ = {
        "producerId": world.producer_gid, "name": name, "group": "FOOD", "category": "Kẹo", "stars": 4,
        "priceVnd": 45000, "unit": "hộp 400g",
    }  # fmt: skip
    product: dict[str, Any] = (await ok(api, CREATE, {"input": input_}))["product"]
    return product


async def read(
    api: Api, role: str, after: str | None, first: int = MAX_PAGE
) -> tuple[list[dict[str, Any]], str | None]:
    """Every change from `after` on, following the cursors as a mirror does, and the cursor to resume from."""
    changes: list[dict[str, Any]] = []
    while True:
        data = await api.data(FEED, {"after": after, "first": first}, as_=as_role(role))
        page = data["productChanges"]
        changes += [{**e["node"], "cursor": e["cursor"]} for e in page["edges"]]
        after = page["pageInfo"]["endCursor"] or after
        if not page["pageInfo"]["hasNextPage"]:
            return changes, after


async def heads(api: Api, roles: tuple[str, ...] = ROLES) -> dict[str, str | None]:
    """Where each role's feed ends now: later writes are what follows these cursors."""
    return {role: (await read(api, role, None))[1] for role in roles}


def mine(changes: list[dict[str, Any]], ids: set[str]) -> list[tuple[str, str, int | None]]:
    return [(c["productId"], c["kind"], c["version"]) for c in changes if c["productId"] in ids]


async def test_a_product_life_in_commit_order_for_each_viewer(api: Api, world: World) -> None:
    start = await heads(api)
    name = f"Kẹo dừa feed {secrets.token_hex(3)}"
    kept = await new_product(api, world, name)
    k = kept["id"]
    await ok(api, UPDATE, {"id": k, "v": 1, "input": {"priceVnd": 47000}})
    await ok(api, PUBLISH, {"id": k, "v": 2})
    await ok(api, UPDATE, {"id": k, "v": 3, "input": {"priceVnd": 48000}})
    await ok(api, ARCHIVE, {"id": k, "v": 4})
    gone = await new_product(api, world, f"Kẹo dừa thử {secrets.token_hex(3)}")
    g = gone["id"]
    deleted = await ok(api, DELETE, {"id": g, "v": 1})
    assert deleted["deletedId"] == g

    whole = [
        (k, "CREATED", 1), (k, "UPDATED", 2), (k, "PUBLISHED", 3), (k, "UPDATED", 4), (k, "UNPUBLISHED", 5),
        (g, "CREATED", 1), (g, "DELETED", None),
    ]  # fmt: skip
    public = [(k, "PUBLISHED", 3), (k, "UPDATED", 4), (k, "UNPUBLISHED", 5)]
    for role in ROLES:
        changes, _ = await read(api, role, start[role])
        assert mine(changes, {k, g}) == (whole if role in OWNER_SIDE else public), role
        for change in changes:
            if change["productId"] not in {k, g}:
                continue
            if role in OWNER_SIDE and change["productId"] == k:
                # The product as it is now, archived, which its own side still sees.
                assert change["product"] == {"id": k, "status": "ARCHIVED", "version": 5, "name": name}
            else:
                # The public's tombstones and the changes before them name the product, never its contents:
                # it is archived now, so nothing of it shows; nothing of a deleted product shows to anyone.
                assert change["product"] is None, (role, change)
        cursors = [c["cursor"] for c in changes]
        assert len(set(cursors)) == len(cursors)


async def test_resuming_from_any_cursor_gives_exactly_the_rest(api: Api, world: World) -> None:
    (start,) = (await heads(api, ("producer",))).values()
    ids = set()
    for n in range(3):
        product = await new_product(api, world, f"Bánh pía feed {n} {secrets.token_hex(3)}")
        await ok(api, UPDATE, {"id": product["id"], "v": 1, "input": {"stars": 5}})
        ids.add(product["id"])
    everything, end = await read(api, "producer", start)
    assert len(mine(everything, ids)) == 6
    for cut in range(len(everything)):
        rest, resumed_end = await read(api, "producer", everything[cut]["cursor"], first=2)
        assert [c["cursor"] for c in rest] == [c["cursor"] for c in everything[cut + 1 :]]
        assert resumed_end == end
    # Caught up: an empty page that says so, and the same cursor to ask again with.
    data = await api.data(FEED, {"after": end}, as_="producer")
    assert data["productChanges"] == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


async def test_a_bulk_import_appears_and_a_re_import_only_what_it_changed(api: Api, world: World) -> None:
    start = await heads(api, ("anonymous", "producer"))
    tag = secrets.token_hex(3)
    rows = [
        {"externalId": f"{tag}-{n}", "name": f"Mật ong hoa nhãn {tag} {n}", "description": "Mật ong nguyên chất.", "category": "Mật ong",
         "province": "Vĩnh Long", "ocopStars": 4, "priceVnd": 150000 + n, "unit": "chai 500ml",
         "status": "draft" if n == 0 else "published"}
        for n in range(5)
    ]  # fmt: skip
    report = await upload(api, rows)
    assert (report["created"], report["failed"]) == (5, 0), report["rowErrors"]
    public, public_end = await read(api, "anonymous", start["anonymous"])
    own, own_end = await read(api, "producer", start["producer"])
    imported = [c for c in own if c["product"] and c["product"]["name"].startswith(f"Mật ong hoa nhãn {tag}")]
    assert [c["kind"] for c in imported] == ["CREATED"] * 5
    drafts = {c["productId"] for c in imported if c["product"]["status"] == "DRAFT"}
    assert len(drafts) == 1
    assert {c["productId"] for c in public} == {c["productId"] for c in imported} - drafts

    # Withdrawn to draft by a re-import, one price edited, the rest as they were: two changes, in file order.
    rows[1]["status"] = "draft"
    rows[2]["priceVnd"] = 99000
    report = await upload(api, rows)
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 2, 3), report
    own_later, _ = await read(api, "producer", own_end)
    assert [c["kind"] for c in own_later] == ["UNPUBLISHED", "UPDATED"]
    assert [c["product"]["name"] for c in own_later] == [f"Mật ong hoa nhãn {tag} 1", f"Mật ong hoa nhãn {tag} 2"]
    public_later, _ = await read(api, "anonymous", public_end)
    assert [(c["kind"], c["product"] is None) for c in public_later] == [("UNPUBLISHED", True), ("UPDATED", False)]


async def upload(api: Api, rows: list[dict[str, Any]]) -> dict[str, Any]:
    content = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    operations = {"query": IMPORT, "variables": {"file": None}}
    response = await api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("mat-ong.jsonl", content, "application/octet-stream")},
        headers={"Authorization": f"Bearer {api.keys['producer']}"},
    )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    result: dict[str, Any] = body["data"]["importProducts"]
    return result


async def test_a_reader_following_concurrent_writers_misses_nothing(api: Api, world: World) -> None:
    """Writers commit while a mirror follows the feed: whatever it read, page after page, is the whole feed in
    the end. A position handed out before an earlier-numbered commit became visible would lose that commit."""
    (start,) = (await heads(api, ("admin",))).values()
    products = [await new_product(api, world, f"Trà mãng cầu {n} {secrets.token_hex(2)}") for n in range(6)]
    writing = True

    async def write(product: dict[str, Any]) -> None:
        for version in range(1, 6):
            await ok(api, UPDATE, {"id": product["id"], "v": version, "input": {"priceVnd": 40000 + version}})

    async def follow() -> list[str]:
        seen: list[str] = []
        after = start
        while True:
            last_round = not writing
            changes, after = await read(api, "admin", after, first=3)
            seen += [c["cursor"] for c in changes]
            if last_round:
                return seen
            await asyncio.sleep(0)

    reader = asyncio.create_task(follow())
    await asyncio.gather(*(write(p) for p in products))
    writing = False
    followed = await reader
    whole, _ = await read(api, "admin", start)
    assert followed == [c["cursor"] for c in whole]
    ids = {p["id"] for p in products}
    assert len(mine(whole, ids)) == 6 + 6 * 5
    for product_id in ids:
        assert [v for i, _, v in mine(whole, ids) if i == product_id] == [1, 2, 3, 4, 5, 6]


async def test_updated_since_pulls_what_changed_from_an_instant(api: Api, world: World) -> None:
    product = await new_product(api, world, f"Bánh tráng feed {secrets.token_hex(3)}")
    await ok(api, PUBLISH, {"id": product["id"], "v": 1})
    changed = (await ok(api, UPDATE, {"id": product["id"], "v": 2, "input": {"stars": 5}}))["product"]
    at = datetime.fromisoformat(changed["updatedAt"])
    query = """query($since: DateTime!, $producer: ID!) {
      products(first: 100, filter: {updatedSince: $since, producer: $producer}) { edges { node { id } } } }"""

    async def pulled(since: datetime) -> set[str]:
        data = await api.data(query, {"since": since.isoformat(), "producer": world.producer_gid})
        return {e["node"]["id"] for e in data["products"]["edges"]}

    assert product["id"] in await pulled(at)
    assert product["id"] in await pulled(at - timedelta(days=1))
    assert product["id"] not in await pulled(at + timedelta(milliseconds=1))
    body = await api.gql(query, {"since": "yesterday", "producer": world.producer_gid})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "since" in error["message"], error


async def test_bad_cursors_and_oversized_pages_are_typed_errors(api: Api, world: World) -> None:
    products = await api.data("{ products(first: 1) { pageInfo { endCursor } } }")
    foreign = products["products"]["pageInfo"]["endCursor"]
    for cursor in ("nonsense", foreign, "W10=", "x" * 600):
        body = await api.gql(FEED, {"after": cursor})
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "INVALID" and error["extensions"]["field"] == "after", body
    body = await api.gql(FEED, {"first": MAX_PAGE + 1})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "OUT_OF_RANGE" and error["extensions"]["field"] == "first"


async def test_only_never_published_products_without_records_can_be_deleted(api: Api, world: World) -> None:
    product = await new_product(api, world, f"Kẹo chuối feed {secrets.token_hex(3)}")
    await ok(api, PUBLISH, {"id": product["id"], "v": 1})
    await ok(api, ARCHIVE, {"id": product["id"], "v": 2})
    refused = (await api.data(DELETE, {"id": product["id"], "v": 3}, as_="producer"))["deleteProduct"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("id", "INVALID_STATE")]
    draft = await new_product(api, world, f"Kẹo chuối nháp {secrets.token_hex(3)}")
    stale = (await api.data(DELETE, {"id": draft["id"], "v": 7}, as_="producer"))["deleteProduct"]
    assert [e["code"] for e in stale["errors"]] == ["CONFLICT"]
    foreign = (await api.data(DELETE, {"id": draft["id"], "v": 1}, as_="other_producer"))["deleteProduct"]
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]
    anonymous = await api.gql(DELETE, {"id": draft["id"], "v": 1})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await api.data(DELETE, {"id": draft["id"], "v": 1}, as_="producer"))["deleteProduct"]["errors"] == []
    assert (await api.data("query($id: ID!) { product(id: $id) { id } }", {"id": draft["id"]}, as_="producer")) == {
        "product": None
    }
