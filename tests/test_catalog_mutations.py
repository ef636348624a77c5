"""Every catalog mutation: success, and each error code it can return."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from tests.conftest import Api, World, gid
from tests.pinned_clock import pinned_clock

PRODUCT_FIELDS = (
    "id name status version stars priceVnd moq unit group category certifications externalId "
    "province { code name formerName } certificate { number certifiedAt validUntil } priceTiers { minQuantity unitPriceVnd }"
)

CREATE_PRODUCT = f"""
mutation($input: CreateProductInput!) {{
  createProduct(input: $input) {{ product {{ {PRODUCT_FIELDS} }} errors {{ field code message }} }}
}}"""
UPDATE_PRODUCT = f"""
mutation($id: ID!, $v: Int!, $input: UpdateProductInput!) {{
  updateProduct(id: $id, expectedVersion: $v, input: $input) {{ product {{ {PRODUCT_FIELDS} }} errors {{ field code message }} }}
}}"""
PUBLISH = "mutation($id: ID!, $v: Int) { publishProduct(id: $id, expectedVersion: $v) { product { status version } errors { field code message } } }"
ARCHIVE = "mutation($id: ID!, $v: Int) { archiveProduct(id: $id, expectedVersion: $v) { product { status version } errors { field code message } } }"
CREATE_PRODUCER = """
mutation($input: CreateProducerInput!) {
  createProducer(input: $input) {
    producer { id name type verified version address { commune province { code name formerName } } }
    errors { field code message }
  }
}"""
UPDATE_PRODUCER = """
mutation($id: ID!, $v: Int!, $input: UpdateProducerInput!) {
  updateProducer(id: $id, expectedVersion: $v, input: $input) {
    producer { id name verified version contact { phone email } }
    errors { field code message }
  }
}"""


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


async def create_product(api: Api, world: World, **overrides: Any) -> dict[str, Any]:
    data = await api.data(CREATE_PRODUCT, {"input": product_input(world, **overrides)}, as_="producer")
    assert data["createProduct"]["errors"] == []
    return data["createProduct"]["product"]


def codes(payload: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(e["field"], e["code"]) for e in payload["errors"]}


# --- products ----------------------------------------------------------------------------------------


async def test_create_product_as_draft_with_defaults(api: Api, world: World) -> None:
    product = await create_product(
        api,
        world,
        certifiedAt="2024-02-29",
        certificateNo="OCOP-TV-2024-001",
        priceTiers=[{"minQuantity": 100, "unitPriceVnd": 40000}, {"minQuantity": 10, "unitPriceVnd": 43000}],
        certifications=["HACCP", "VIETGAP"],
        name="  Kẹo dừa sáp\u0301  ",  # decomposed accent and stray spaces are normalised
    )
    assert product["status"] == "DRAFT"
    assert product["version"] == 1
    assert product["moq"] == 1
    assert product["province"] == {"code": "86", "name": "Vĩnh Long", "formerName": "Trà Vinh"}
    assert product["certificate"]["validUntil"] == "2027-02-28"  # 36 months, clamped to month end
    assert [t["minQuantity"] for t in product["priceTiers"]] == [10, 100]
    assert product["name"] == unicodedata.normalize("NFC", "Kẹo dừa sáp\u0301")


async def test_create_product_reports_every_invalid_field(api: Api, world: World) -> None:
    body = await api.data(
        CREATE_PRODUCT,
        {
            "input": product_input(
                world,
                name=" ",
                stars=6,
                priceVnd=0,
                province="Atlantis",
                certifiedAt="2024-05-01",
                validUntil="2024-01-01",
                images=["ftp://nope"],
                priceTiers=[{"minQuantity": 0, "unitPriceVnd": 1000}],
                moq=0,
            )
        },
        as_="producer",
    )
    payload = body["createProduct"]
    assert payload["product"] is None
    assert codes(payload) >= {
        ("name", "REQUIRED"),
        ("stars", "OUT_OF_RANGE"),
        ("priceVnd", "OUT_OF_RANGE"),
        ("province", "UNKNOWN_PROVINCE"),
        ("validUntil", "INVALID"),
        ("images", "INVALID"),
        ("priceTiers[0].minQuantity", "OUT_OF_RANGE"),
        ("moq", "OUT_OF_RANGE"),
    }


async def test_create_product_too_long_and_bad_ids(api: Api, world: World) -> None:
    body = await api.data(CREATE_PRODUCT, {"input": product_input(world, name="x" * 201)}, as_="producer")
    assert codes(body["createProduct"]) == {("name", "TOO_LONG")}
    body = await api.data(CREATE_PRODUCT, {"input": product_input(world, producerId="garbage")}, as_="producer")
    assert codes(body["createProduct"]) == {("producerId", "INVALID")}
    missing = gid("Producer", "0" * 24)
    body = await api.data(CREATE_PRODUCT, {"input": product_input(world, producerId=missing)}, as_="producer")
    assert codes(body["createProduct"]) == {("producerId", "NOT_FOUND")}


async def test_create_product_needs_membership(api: Api, world: World) -> None:
    for role in ("other_producer", "buyer", "coordinator"):
        body = await api.data(CREATE_PRODUCT, {"input": product_input(world)}, as_=role)
        assert codes(body["createProduct"]) == {(None, "FORBIDDEN")}, role
    body = await api.data(CREATE_PRODUCT, {"input": product_input(world)}, as_="admin")
    assert body["createProduct"]["errors"] == []


async def test_mutations_without_key_are_unauthenticated(api: Api, world: World) -> None:
    body = await api.gql(CREATE_PRODUCT, {"input": product_input(world)})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    response = await api.client.post(
        "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": "Bearer ocop_not-a-key"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_duplicate_external_id_is_refused(api: Api, world: World) -> None:
    await create_product(api, world, externalId="DUP-1")
    body = await api.data(CREATE_PRODUCT, {"input": product_input(world, externalId="DUP-1")}, as_="producer")
    assert codes(body["createProduct"]) == {("externalId", "DUPLICATE")}
    # The same externalId at another producer is fine.
    body = await api.data(
        CREATE_PRODUCT,
        {"input": product_input(world, externalId="DUP-1", producerId=world.other_producer_gid)},
        as_="other_producer",
    )
    assert body["createProduct"]["errors"] == []


async def test_update_product_with_version_check(api: Api, world: World) -> None:
    product = await create_product(api, world, certificateNo="C-1", externalId="UPD-1")
    body = await api.data(
        UPDATE_PRODUCT,
        {"id": product["id"], "v": 1, "input": {"priceVnd": 50000, "certificateNo": None, "name": "Kẹo dừa mới"}},
        as_="producer",
    )
    updated = body["updateProduct"]["product"]
    assert updated["version"] == 2 and updated["priceVnd"] == 50000 and updated["name"] == "Kẹo dừa mới"
    assert updated["certificate"]["number"] is None  # null clears an optional field
    assert updated["externalId"] == "UPD-1"  # an omitted field stays
    stale = await api.data(UPDATE_PRODUCT, {"id": product["id"], "v": 1, "input": {"stars": 5}}, as_="producer")
    assert codes(stale["updateProduct"]) == {("expectedVersion", "CONFLICT")}
    required = await api.data(UPDATE_PRODUCT, {"id": product["id"], "v": 2, "input": {"name": None}}, as_="producer")
    assert codes(required["updateProduct"]) == {("name", "REQUIRED")}
    forbidden = await api.data(
        UPDATE_PRODUCT, {"id": product["id"], "v": 2, "input": {"stars": 5}}, as_="other_producer"
    )
    assert codes(forbidden["updateProduct"]) == {("id", "NOT_FOUND")}  # a draft is invisible to rivals


@pytest.mark.parametrize("field", ["province", "name", "category", "unit"])
@pytest.mark.parametrize("blank", ["", "   "])
async def test_a_blank_required_text_is_refused_and_nothing_written(
    api: Api, world: World, field: str, blank: str
) -> None:
    """A required text sent blank in an update is REQUIRED on it, and the product is left as it was (its
    version too): not read as "keep it", which `null` says for the province."""
    product = await create_product(api, world, province="Vĩnh Long")
    body = await api.data(UPDATE_PRODUCT, {"id": product["id"], "v": 1, "input": {field: blank}}, as_="producer")
    assert codes(body["updateProduct"]) == {(field, "REQUIRED")} and body["updateProduct"]["product"] is None
    now = await api.data(f"query($id: ID!) {{ product(id: $id) {{ {PRODUCT_FIELDS} }} }}", {"id": product["id"]},
                         as_="producer")  # fmt: skip
    assert now["product"] == product
    kept = await api.data(UPDATE_PRODUCT, {"id": product["id"], "v": 1, "input": {"province": None}}, as_="producer")
    assert kept["updateProduct"]["product"]["province"] == product["province"]


async def test_publish_and_archive_lifecycle(api: Api, world: World) -> None:
    product = await create_product(api, world)
    published = await api.data(PUBLISH, {"id": product["id"], "v": 1}, as_="producer")
    assert published["publishProduct"]["product"] == {"status": "PUBLISHED", "version": 2}
    again = await api.data(PUBLISH, {"id": product["id"]}, as_="producer")
    assert codes(again["publishProduct"]) == {("id", "INVALID_STATE")}
    forbidden = await api.data(ARCHIVE, {"id": product["id"]}, as_="other_producer")
    assert codes(forbidden["archiveProduct"]) == {(None, "FORBIDDEN")}
    stale = await api.data(ARCHIVE, {"id": product["id"], "v": 1}, as_="producer")
    assert codes(stale["archiveProduct"]) == {("expectedVersion", "CONFLICT")}
    archived = await api.data(ARCHIVE, {"id": product["id"], "v": 2}, as_="producer")
    assert archived["archiveProduct"]["product"] == {"status": "ARCHIVED", "version": 3}
    edit = await api.data(UPDATE_PRODUCT, {"id": product["id"], "v": 3, "input": {"stars": 5}}, as_="producer")
    assert codes(edit["updateProduct"]) == {("id", "INVALID_STATE")}
    republished = await api.data(PUBLISH, {"id": product["id"], "v": 3}, as_="producer")
    assert republished["publishProduct"]["product"]["status"] == "PUBLISHED"


async def test_publishing_dates_the_product_by_the_domain_clock(api: Api, world: World) -> None:
    """publishedAt is read from the same clock as createdAt and updatedAt: a product published at 06:30 in
    Vietnam is dated at that instant in UTC, not by another reading of the system clock."""
    query = "query($id: ID!) { product(id: $id) { createdAt updatedAt publishedAt } }"
    with pinned_clock() as now:
        product = await create_product(api, world)
        published = await api.data(PUBLISH, {"id": product["id"], "v": 1}, as_="producer")
        assert published["publishProduct"]["errors"] == []
        dates = (await api.data(query, {"id": product["id"]}, as_="producer"))["product"]
    assert dates == dict.fromkeys(("createdAt", "updatedAt", "publishedAt"), now.isoformat())


async def test_unknown_product_is_not_found(api: Api, world: World) -> None:
    body = await api.data(PUBLISH, {"id": gid("Product", "0" * 24)}, as_="producer")
    assert codes(body["publishProduct"]) == {("id", "NOT_FOUND")}
    body = await api.data(PUBLISH, {"id": gid("Producer", world.producer_id)}, as_="producer")
    assert codes(body["publishProduct"]) == {("id", "INVALID")}


# --- producers ---------------------------------------------------------------------------------------


async def test_create_producer_by_coordinator_of_its_province(api: Api, world: World) -> None:
    variables = {
        "input": {
            "name": "HTX Bánh tét Trà Cuôn",
            "type": "COOPERATIVE",
            "province": "tra vinh",
            "commune": "Xã Kim Hòa",
        }
    }
    body = await api.data(CREATE_PRODUCER, variables, as_="coordinator")
    producer = body["createProducer"]["producer"]
    assert body["createProducer"]["errors"] == []
    assert producer["address"]["province"] == {"code": "86", "name": "Vĩnh Long", "formerName": "Trà Vinh"}
    assert producer["verified"] is False
    duplicate = await api.data(CREATE_PRODUCER, variables, as_="admin")
    assert codes(duplicate["createProducer"]) == {("name", "DUPLICATE")}
    elsewhere = await api.data(CREATE_PRODUCER, variables, as_="other_coordinator")
    assert codes(elsewhere["createProducer"]) == {(None, "FORBIDDEN")}
    member = await api.data(CREATE_PRODUCER, variables, as_="producer")
    assert codes(member["createProducer"]) == {(None, "FORBIDDEN")}
    bad = await api.data(
        CREATE_PRODUCER, {"input": {"name": "", "type": "HOUSEHOLD", "province": "Narnia"}}, as_="admin"
    )
    assert codes(bad["createProducer"]) == {("name", "REQUIRED"), ("province", "UNKNOWN_PROVINCE")}


async def test_update_producer_rules(api: Api, world: World) -> None:
    body = await api.data(
        CREATE_PRODUCER,
        {"input": {"name": "Hộ kinh doanh Mật ong", "type": "HOUSEHOLD", "province": "Bến Tre"}},
        as_="admin",
    )
    producer = body["createProducer"]["producer"]
    by_office = await api.data(
        UPDATE_PRODUCER,
        {"id": producer["id"], "v": 1, "input": {"verified": True, "phone": "0903 123 456"}},
        as_="coordinator",
    )
    assert by_office["updateProducer"]["producer"]["verified"] is True
    assert by_office["updateProducer"]["producer"]["version"] == 2
    bad = await api.data(
        UPDATE_PRODUCER, {"id": producer["id"], "v": 2, "input": {"email": "not-an-email"}}, as_="coordinator"
    )
    assert codes(bad["updateProducer"]) == {("email", "INVALID")}
    stale = await api.data(UPDATE_PRODUCER, {"id": producer["id"], "v": 1, "input": {"name": "X"}}, as_="coordinator")
    assert codes(stale["updateProducer"]) == {("expectedVersion", "CONFLICT")}
    rival = await api.data(
        UPDATE_PRODUCER, {"id": producer["id"], "v": 2, "input": {"name": "X"}}, as_="other_producer"
    )
    assert codes(rival["updateProducer"]) == {(None, "FORBIDDEN")}


@pytest.mark.parametrize("field", ["province", "name"])
@pytest.mark.parametrize("blank", ["", "   "])
async def test_a_producers_blank_required_text_is_refused(api: Api, world: World, field: str, blank: str) -> None:
    body = await api.data(
        CREATE_PRODUCER, {"input": {"name": f"Hộ kinh doanh Mắm {field}{len(blank)}", "type": "HOUSEHOLD",
                                    "province": "Bến Tre"}}, as_="admin",
    )  # fmt: skip
    producer = body["createProducer"]["producer"]
    refused = await api.data(UPDATE_PRODUCER, {"id": producer["id"], "v": 1, "input": {field: blank}}, as_="admin")
    assert codes(refused["updateProducer"]) == {(field, "REQUIRED")} and refused["updateProducer"]["producer"] is None
    now = await api.data("query($id: ID!) { producer(id: $id) { version } }", {"id": producer["id"]})
    assert now["producer"]["version"] == 1


async def test_member_cannot_verify_own_producer(api: Api, world: World) -> None:
    current = await api.data("query($id: ID!) { producer(id: $id) { version } }", {"id": world.other_producer_gid})
    version = current["producer"]["version"]
    body = await api.data(
        UPDATE_PRODUCER,
        {"id": world.other_producer_gid, "v": version, "input": {"verified": True}},
        as_="other_producer",
    )
    assert codes(body["updateProducer"]) == {("verified", "FORBIDDEN")}


@pytest.mark.parametrize("value", ["", "not base64!", gid("Product", "x")])
async def test_bad_producer_ids_are_typed_errors(api: Api, world: World, value: str) -> None:
    body = await api.data(UPDATE_PRODUCER, {"id": value, "v": 1, "input": {"name": "X"}}, as_="admin")
    assert codes(body["updateProducer"]) <= {("id", "INVALID"), ("id", "NOT_FOUND")}
    assert body["updateProducer"]["errors"]
