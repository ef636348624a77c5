"""Pack sizes (variants) as producers, buyers and offices meet them: added and edited through the product
mutations with typed errors, found by pack size in search with a packaging facet and a price range over
their prices, named by an inquiry, a quotation and the deal, imported as rows grouped by product and
exported one row per variant. And communes read as their province in a query."""

from __future__ import annotations

import csv
import secrets
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from market.catalog.exporter import HEADER, export_products
from market.catalog.importer import import_products
from market.catalog.policy import ImportScope
from market.catalog.repository import ProductFilter
from market.store import Store
from search.vocabulary import Vocabulary
from tests.conftest import Api, Catalogue, World

VARIANT_FIELDS = (
    "id packaging unit netQuantity { value measure } priceVnd priceTiers { minQuantity unitPriceVnd } moq gtin"
)
PRODUCT_FIELDS = f"id version priceVnd unit moq variants {{ {VARIANT_FIELDS} }}"
CREATE = f"""
mutation($input: CreateProductInput!) {{
  createProduct(input: $input) {{ product {{ {PRODUCT_FIELDS} }} errors {{ field code message }} }}
}}"""
UPDATE = f"""
mutation($id: ID!, $v: Int!, $input: UpdateProductInput!) {{
  updateProduct(id: $id, expectedVersion: $v, input: $input) {{ product {{ {PRODUCT_FIELDS} }} errors {{ field code }} }}
}}"""
PUBLISH = "mutation($id: ID!) { publishProduct(id: $id) { product { status } errors { field code } } }"
SEARCH = """
query($q: String!, $filter: ProductSearchFilter) {
  searchProducts(query: $q, filter: $filter, first: 20) {
    interpretedAs { kind value text filtered }
    edges { node { id name variants { id packaging netQuantity { value measure } priceVnd } } }
    facets { packaging { value count } }
    priceRange { min max }
  }
}"""
# Valid GS1 check digits (computed, as a label printer would).
GTIN_13 = "8934567890120"
GTIN_8 = "96385074"


def word() -> str:
    return "vq" + secrets.token_hex(3)


def variants_input() -> list[dict[str, Any]]:
    return [
        {"packaging": "chai", "netQuantity": {"value": 500, "measure": "ML"}, "priceVnd": 65000, "gtin": GTIN_13,
         "priceTiers": [{"minQuantity": 100, "unitPriceVnd": 60000}], "moq": 24},
        {"packaging": "can", "netQuantity": {"value": 5, "measure": "L"}, "priceVnd": 520000, "gtin": "9638 5074"},
        {"packaging": "hộp quà", "netQuantity": {"value": 1.5, "measure": "L"}, "priceVnd": 250000,
         "unit": "hộp quà 3 chai"},
    ]  # fmt: skip


def product_input(world: World, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "producerId": world.producer_gid, "name": name, "group": "FOOD", "category": "Nước mắm", "stars": 4,
        "priceVnd": 1000, "unit": "chai", "description": "Nước mắm cá cơm truyền thống.", **extra,
    }  # fmt: skip


async def create(api: Api, world: World, name: str, **extra: Any) -> dict[str, Any]:
    body = await api.data(CREATE, {"input": product_input(world, name, **extra)}, as_="producer")
    return body["createProduct"]


async def test_producers_add_edit_and_remove_variants(api: Api, world: World) -> None:
    created = await create(api, world, f"Nước mắm {word()}", variants=variants_input())
    assert created["errors"] == []
    product = created["product"]
    chai, can, gift = product["variants"]
    assert chai["netQuantity"] == {"value": 500.0, "measure": "ML"} and chai["gtin"] == GTIN_13
    assert (chai["unit"], can["unit"], gift["unit"]) == ("chai 500ml", "can 5l", "hộp quà 3 chai")
    assert can["gtin"] == GTIN_8 and gift["netQuantity"] == {"value": 1.5, "measure": "L"}
    # The product is sold by its first variant.
    assert (product["priceVnd"], product["unit"], product["moq"]) == (65000, "chai 500ml", 24)
    assert len({chai["id"], can["id"], gift["id"]}) == 3

    # Resent without ids, reordered and edited: each keeps its id by packaging and net quantity.
    edited = [{**variants_input()[1], "priceVnd": 500000}, {**variants_input()[0], "moq": 12}]
    body = await api.data(UPDATE, {"id": product["id"], "v": 1, "input": {"variants": edited}}, as_="producer")
    updated = body["updateProduct"]
    assert updated["errors"] == []
    assert [v["id"] for v in updated["product"]["variants"]] == [can["id"], chai["id"]]
    assert (updated["product"]["priceVnd"], updated["product"]["unit"]) == (500000, "can 5l")

    # By id, the packaging may change and the id stays.
    renamed = [{**variants_input()[1], "id": can["id"], "packaging": "can nhựa"}]
    body = await api.data(UPDATE, {"id": product["id"], "v": 2, "input": {"variants": renamed}}, as_="producer")
    assert [v["id"] for v in body["updateProduct"]["product"]["variants"]] == [can["id"]]

    # While it has variants, its price changes with them.
    body = await api.data(UPDATE, {"id": product["id"], "v": 3, "input": {"priceVnd": 1}}, as_="producer")
    assert body["updateProduct"]["errors"] == [{"field": "priceVnd", "code": "INVALID"}]

    # Removed: the product keeps the last first variant's price and unit, and behaves as one without variants.
    body = await api.data(UPDATE, {"id": product["id"], "v": 3, "input": {"variants": []}}, as_="producer")
    plain = body["updateProduct"]["product"]
    assert plain["variants"] == [] and (plain["priceVnd"], plain["unit"]) == (520000, "can nhựa 5l")
    body = await api.data(UPDATE, {"id": product["id"], "v": 4, "input": {"priceVnd": 51000}}, as_="producer")
    assert body["updateProduct"]["product"]["priceVnd"] == 51000


async def test_a_product_without_variants_is_as_before(api: Api, world: World) -> None:
    created = await create(api, world, f"Kẹo dừa {word()}", priceVnd=45000, unit="hộp 250g")
    assert created["errors"] == []
    assert created["product"]["variants"] == []
    assert (created["product"]["priceVnd"], created["product"]["unit"]) == (45000, "hộp 250g")


async def test_bad_variants_are_typed_errors_naming_each_field(api: Api, world: World) -> None:
    bad = [
        {"packaging": "chai", "netQuantity": {"value": 0, "measure": "ML"}, "priceVnd": 65000, "gtin": "8934567890121"},
        {"packaging": "", "priceVnd": 0, "gtin": "12345", "moq": 0},
        {"packaging": "Chai", "netQuantity": {"value": 0.5, "measure": "L"}, "priceVnd": 1000},
        {"id": "65f0c0ffee0000000000beef", "packaging": "can", "priceVnd": 1000},
        {"id": "not-an-id", "packaging": "hũ", "priceVnd": 1000},
    ]
    created = await create(api, world, f"Nước mắm {word()}", variants=bad)
    assert created["product"] is None
    assert {(e["field"], e["code"]) for e in created["errors"]} == {
        ("variants[0].netQuantity", "OUT_OF_RANGE"),
        ("variants[0].gtin", "INVALID"),
        ("variants[1].packaging", "REQUIRED"),
        ("variants[1].priceVnd", "OUT_OF_RANGE"),
        ("variants[1].gtin", "INVALID"),
        ("variants[1].moq", "OUT_OF_RANGE"),
        ("variants[3].id", "NOT_FOUND"),
        ("variants[4].id", "INVALID"),
    }
    check_digit = next(e for e in created["errors"] if e["field"] == "variants[0].gtin")
    assert "should be 0" in check_digit["message"]
    # Two variants of one packaging and net quantity (500 ml is 0.5 l), and two with one barcode.
    same = [
        {"packaging": "chai", "netQuantity": {"value": 500, "measure": "ML"}, "priceVnd": 65000, "gtin": GTIN_8},
        {"packaging": "Chai", "netQuantity": {"value": 0.5, "measure": "L"}, "priceVnd": 1000},
        {"packaging": "can", "priceVnd": 1000, "gtin": GTIN_8},
    ]
    created = await create(api, world, f"Nước mắm {word()}", variants=same)
    assert {(e["field"], e["code"]) for e in created["errors"]} == {
        ("variants[1].packaging", "DUPLICATE"),
        ("variants[2].gtin", "DUPLICATE"),
    }


async def published(api: Api, world: World, sync: Any, name: str, variants: list[dict[str, Any]]) -> dict[str, Any]:
    created = await create(api, world, name, variants=variants)
    assert created["errors"] == []
    body = await api.data(PUBLISH, {"id": created["product"]["id"]}, as_="producer")
    assert body["publishProduct"]["errors"] == []
    await sync()
    product: dict[str, Any] = created["product"]
    return product


async def test_search_finds_pack_sizes_counts_packaging_and_prices(api: Api, world: World, sync: Any) -> None:
    tag = word()
    product = await published(api, world, sync, f"Nước mắm {tag}", variants_input())

    # "can 5 lít": the size is the can variant's, not the product's own unit (chai 500ml).
    found = (await api.data(SEARCH, {"q": f"{tag} can 5 lít"}))["searchProducts"]
    assert {"kind": "PACKAGING", "value": "5000ml", "text": "5 lít", "filtered": True} in found["interpretedAs"]
    assert [e["node"]["id"] for e in found["edges"]] == [product["id"]]
    assert [v["packaging"] for v in found["edges"][0]["node"]["variants"]] == ["chai", "can", "hộp quà"]
    assert [e["node"]["id"] for e in (await api.data(SEARCH, {"q": f"{tag} 500ml"}))["searchProducts"]["edges"]] == [
        product["id"]
    ]
    gift = (await api.data(SEARCH, {"q": f"{tag} hộp quà"}))["searchProducts"]
    assert {"kind": "PACKAGING", "value": "giftbox", "text": "hộp quà", "filtered": True} in gift["interpretedAs"]
    assert [e["node"]["id"] for e in gift["edges"]] == [product["id"]]
    none = (await api.data(SEARCH, {"q": f"{tag} 330ml", "filter": {}}))["searchProducts"]
    assert all(c["filtered"] is False for c in none["interpretedAs"])  # nothing passed: the words as typed

    everything = (await api.data(SEARCH, {"q": tag}))["searchProducts"]
    assert {(f["value"], f["count"]) for f in everything["facets"]["packaging"]} == {
        ("chai", 1), ("can", 1), ("hộp quà", 1)
    }  # fmt: skip
    assert everything["priceRange"] == {"min": 65000, "max": 520000}
    by_can = (await api.data(SEARCH, {"q": tag, "filter": {"packaging": ["CAN"]}}))["searchProducts"]
    assert [e["node"]["id"] for e in by_can["edges"]] == [product["id"]]
    by_jar = (await api.data(SEARCH, {"q": tag, "filter": {"packaging": ["hũ"]}}))["searchProducts"]
    assert by_jar["edges"] == []
    # A variant's price passes the price filter although the product's own (the first variant's) does not.
    priced = await api.data(SEARCH, {"q": tag, "filter": {"priceMin": 200000, "priceMax": 300000}})
    assert [e["node"]["id"] for e in priced["searchProducts"]["edges"]] == [product["id"]]
    between = await api.data(SEARCH, {"q": tag, "filter": {"priceMin": 70000, "priceMax": 200000}})
    assert between["searchProducts"]["edges"] == []


TRADE_SUBMIT = """
mutation($input: SubmitInquiryInput!) {
  submitInquiry(input: $input) {
    inquiry { id variant { id packaging priceVnd } } errors { field code }
  }
}"""
TRADE_QUOTE = """
mutation($inquiry: ID!, $input: QuotationInput!) {
  submitQuotation(inquiryId: $inquiry, input: $input) {
    quotation { id variant { id packaging } current { number variant { id } } } errors { field code }
  }
}"""
TRADE_ACCEPT = """
mutation($id: ID!, $revision: Int!) {
  acceptQuotation(id: $id, revision: $revision) {
    deal { id variant { id packaging netQuantity { value measure } } product { id } } errors { field code }
  }
}"""
INQUIRY = "query($id: ID!) { inquiry(id: $id) { variant { id packaging } } }"


async def test_an_inquiry_a_quotation_and_the_deal_name_a_variant(api: Api, world: World, sync: Any) -> None:
    product = await published(api, world, sync, f"Nước mắm {word()}", variants_input())
    chai, can, _ = product["variants"]
    ask = {"productId": product["id"], "quantity": 200, "unit": "can"}

    missing = await api.data(TRADE_SUBMIT, {"input": {**ask, "variantId": "65f0c0ffee0000000000beef"}}, as_="buyer")
    assert missing["submitInquiry"]["errors"] == [{"field": "variantId", "code": "NOT_FOUND"}]
    rfq = {"criteria": {"query": "nước mắm"}, "quantity": 200, "unit": "can", "variantId": can["id"]}
    alone = await api.data(TRADE_SUBMIT, {"input": rfq}, as_="buyer")
    assert alone["submitInquiry"]["errors"] == [{"field": "variantId", "code": "INVALID"}]

    body = await api.data(TRADE_SUBMIT, {"input": {**ask, "variantId": can["id"]}}, as_="buyer")
    inquiry = body["submitInquiry"]["inquiry"]
    assert body["submitInquiry"]["errors"] == [] and inquiry["variant"] == {
        "id": can["id"], "packaging": "can", "priceVnd": 520000
    }  # fmt: skip
    read = await api.data(INQUIRY, {"id": inquiry["id"]}, as_="producer")
    assert read["inquiry"]["variant"]["id"] == can["id"]

    terms = {"unitPriceVnd": 500000, "leadTimeDays": 7}
    wrong = await api.data(
        TRADE_QUOTE, {"inquiry": inquiry["id"], "input": {**terms, "variantId": "65f0c0ffee0000000000beef"}},
        as_="producer",
    )  # fmt: skip
    assert wrong["submitQuotation"]["errors"] == [{"field": "variantId", "code": "NOT_FOUND"}]
    # The producer offers the bottle instead of the can.
    body = await api.data(
        TRADE_QUOTE, {"inquiry": inquiry["id"], "input": {**terms, "variantId": chai["id"]}}, as_="producer"
    )
    quotation = body["submitQuotation"]["quotation"]
    assert body["submitQuotation"]["errors"] == []
    assert quotation["variant"] == {"id": chai["id"], "packaging": "chai"}
    assert quotation["current"]["variant"] == {"id": chai["id"]}

    body = await api.data(TRADE_ACCEPT, {"id": quotation["id"], "revision": 1}, as_="buyer")
    assert body["acceptQuotation"]["errors"] == []
    deal = body["acceptQuotation"]["deal"]
    assert deal["variant"] == {"id": chai["id"], "packaging": "chai", "netQuantity": {"value": 500.0, "measure": "ML"}}
    assert deal["product"]["id"] == product["id"]


IMPORT_HEADER = [
    "Mã sản phẩm", "Tên sản phẩm", "Mô tả", "Loại sản phẩm", "Tỉnh/Thành phố", "Chủ thể", "Số sao",
    "Quy cách", "Dung tích/Khối lượng", "Mã vạch", "Giá (VNĐ)", "Đơn vị tính", "Số lượng tối thiểu",
]  # fmt: skip


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(IMPORT_HEADER)
        writer.writerows([[row.get(h, "") for h in IMPORT_HEADER] for row in rows])
    return path


def first_row(code: str, name: str, producer: str, **variant: Any) -> dict[str, Any]:
    return {
        "Mã sản phẩm": code, "Tên sản phẩm": name, "Mô tả": "Nước mắm cá cơm.", "Loại sản phẩm": "Nước mắm",
        "Tỉnh/Thành phố": "Kiên Giang", "Chủ thể": producer, "Số sao": 4, **variant,
    }  # fmt: skip


def variant_row(code: str, packaging: str, net: str, price: str, **more: Any) -> dict[str, Any]:
    return {"Mã sản phẩm": code, "Quy cách": packaging, "Dung tích/Khối lượng": net, "Giá (VNĐ)": price, **more}


def product_rows(tag: str, code: str, producer: str) -> list[dict[str, Any]]:
    name = f"Nước mắm {tag}"
    chai = {"Quy cách": "chai", "Dung tích/Khối lượng": "500 ml", "Mã vạch": GTIN_13, "Giá (VNĐ)": "65.000"}
    return [
        first_row(code, name, producer, **chai, **{"Số lượng tối thiểu": 24}),
        variant_row(code, "can", "5 lít", "520.000", **{"Mã vạch": GTIN_8}),
        # A continuation row may repeat the product's cells.
        {**first_row(code, name, producer), **variant_row(code, "hộp quà", "1,5 l", "250.000")},
    ]


async def test_import_groups_variant_rows_and_export_writes_one_row_each(store: Store, tmp_path: Path) -> None:
    tag = word()
    producer = f"Công ty Nước mắm {tag}"
    plain_row = first_row(
        f"{tag}-2", f"Nước mắm nhĩ {tag}", producer, **{"Giá (VNĐ)": "120.000", "Đơn vị tính": "chai"}
    )
    rows = [*product_rows(tag, f"{tag}-1", producer), plain_row]
    report = await import_products(store, write_csv(tmp_path / "variants.csv", rows))
    assert (report.rows, report.created, report.failed) == (4, 2, 0), report.errors
    doc = await store.db["products"].find_one({"externalId": f"{tag}-1"})
    assert doc is not None
    variants = doc["variants"]
    assert [(v["packaging"], v["netQuantity"], v["priceVnd"], v.get("gtin")) for v in variants] == [
        ("chai", {"value": 500, "measure": "ml"}, 65000, GTIN_13),
        ("can", {"value": 5, "measure": "l"}, 520000, GTIN_8),
        ("hộp quà", {"value": 1.5, "measure": "l"}, 250000, None),
    ]
    assert (doc["priceVnd"], doc["unit"], doc["moq"]) == (65000, "chai 500ml", 24)
    plain = await store.db["products"].find_one({"externalId": f"{tag}-2"})
    assert plain is not None and "variants" not in plain and plain["priceVnd"] == 120000

    # The same file again changes nothing: the variants keep their ids by packaging and net quantity.
    again = await import_products(store, write_csv(tmp_path / "again.csv", rows))
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 2, 0), again.errors
    assert (await store.db["products"].find_one({"_id": doc["_id"]}))["variants"] == variants  # type: ignore[index]

    # Exported one row per variant, with its code; imported back as it is, nothing changes.
    scope = ImportScope(producer_id=doc["producerId"])
    exported = tmp_path / "export.xlsx"
    summary = await export_products(store, exported, "xlsx", scope, ProductFilter())
    assert summary.products == 2
    sheet = CalamineWorkbook.from_path(str(exported)).get_sheet_by_index(0).to_python()
    columns = [HEADER.index(h) for h in ("Mã quy cách", "Quy cách", "Dung tích/Khối lượng", "Giá (VNĐ)")]
    assert [[r[c] for c in columns] for r in sheet[1:4]] == [
        [variants[0]["id"], "chai", "500 ml", 65000],
        [variants[1]["id"], "can", "5 l", 520000],
        [variants[2]["id"], "hộp quà", "1,5 l", 250000],
    ]
    assert sheet[4][columns[1]] == "" and len(sheet) == 5
    back = await import_products(store, exported, scope=scope)
    assert (back.rows, back.created, back.updated, back.unchanged, back.failed) == (4, 0, 0, 2, 0), back.errors
    as_csv = tmp_path / "export.csv"
    await export_products(store, as_csv, "csv", scope, ProductFilter())
    back = await import_products(store, as_csv, scope=scope)
    assert (back.created, back.updated, back.unchanged, back.failed) == (0, 0, 2, 0), back.errors


async def test_net_quantities_read_at_the_magnitude_written(store: Store, tmp_path: Path) -> None:
    tag = word()
    producer = f"Công ty Nước mắm {tag}"

    def product(n: int, *nets: str) -> list[dict[str, Any]]:
        code = f"{tag}-{n}"
        rows = [variant_row(code, "túi", net, "45.000") for net in nets]
        return [{**first_row(code, f"Nước mắm {tag} {n}", producer), **rows[0]}, *rows[1:]]

    rows = [
        *product(1, "500 ml", "0.5 kg", "1.25 l", "2,5 kg", "0.500 g"),  # lines 2-6
        *product(2, "1.200 g"),  # line 7: the product's own row
        *product(3, "500 ml", "1.500 ml"),  # lines 8-9: a later variant row
    ]
    report = await import_products(store, write_csv(tmp_path / "nets.csv", rows))
    assert (report.created, report.failed) == (1, 3), report.errors
    refused = {e.line: e for e in report.errors}
    for line, grouped in ((7, "1200 g"), (9, "1500 ml")):
        assert (refused[line].field, refused[line].column) == ("netQuantity", "Dung tích/Khối lượng")
        assert f"write {grouped}" in refused[line].reason and f"hãy viết {grouped}" in refused[line].reason_vi
    assert refused[8].field is None  # its product's other row was refused
    doc = await store.db["products"].find_one({"externalId": f"{tag}-1"})
    assert doc is not None
    assert [v["netQuantity"] for v in doc["variants"]] == [
        {"value": 500, "measure": "ml"},
        {"value": 0.5, "measure": "kg"},
        {"value": 1.25, "measure": "l"},
        {"value": 2.5, "measure": "kg"},
        {"value": 0.5, "measure": "g"},
    ]
    assert await store.db["products"].count_documents({"externalId": {"$in": [f"{tag}-2", f"{tag}-3"]}}) == 0


async def test_a_bad_variant_row_refuses_its_product(store: Store, tmp_path: Path) -> None:
    tag = word()
    producer = f"Công ty Nước mắm {tag}"
    code = [f"{tag}-{n}" for n in range(6)]
    litre = {"Quy cách": "chai", "Dung tích/Khối lượng": "1 l", "Giá (VNĐ)": "90.000"}
    rows = product_rows(tag, code[1], producer)  # lines 2-4
    rows[1]["Mã vạch"] = "8934567890121"  # line 3: a wrong check digit
    rows += [
        first_row(code[2], f"Nước mắm {tag} 2", producer, **{**litre, "Dung tích/Khối lượng": "500"}),  # 5
        variant_row(code[2], "can", "5 l", "500.000"),  # 6: its first row was refused
        first_row(code[3], f"Nước mắm {tag} 3", producer, **litre),  # 7
        variant_row(code[3], "Chai", "1000 ml", "1"),  # 8: the same pack as line 7
        first_row(code[4], f"Nước mắm {tag} 4", producer, **litre),  # 9
        {**variant_row(code[4], "can", "5 l", "2"), "Tên sản phẩm": "Một tên khác"},  # 10: not its first row's
        first_row(code[5], f"Nước mắm {tag} 5", producer, **litre),  # 11
        variant_row(code[5], "can", "5 l", "500.000"),  # 12
    ]
    report = await import_products(store, write_csv(tmp_path / "bad.csv", rows))
    found = {(e.line, e.field, e.column, e.code) for e in report.errors}
    assert found == {
        (3, "gtin", "Mã vạch", "INVALID"),
        (2, None, None, "INVALID"),
        (4, None, None, "INVALID"),
        (5, "netQuantity", "Dung tích/Khối lượng", "INVALID"),
        (6, None, None, "INVALID"),
        (8, "packaging", "Quy cách", "DUPLICATE"),
        (7, None, None, "INVALID"),
        (10, "name", "Tên sản phẩm", "INVALID"),
        (9, None, None, "INVALID"),
    }, report.errors
    assert (report.created, report.failed) == (1, 9)
    assert await store.db["products"].count_documents({"externalId": {"$in": code[1:5]}}) == 0
    five = await store.db["products"].find_one({"externalId": code[5]})
    assert five is not None and [v["packaging"] for v in five["variants"]] == ["chai", "can"]
    refused = next(e for e in report.errors if e.line == 2)
    assert "line 3" in refused.reason and "dòng 3" in refused.reason_vi


async def test_a_commune_reads_as_its_province(catalogue: Catalogue) -> None:
    await catalogue.api.app.state.services.search.vocabulary_ready()
    query = "query($q: String!) { searchProducts(query: $q, first: 5) { interpretedAs { kind value text filtered } edges { node { name province { code } producer { address { commune } } } } } }"
    for typed in ("kẹo dừa Hòa Tân", "keo dua hoa tan"):
        result = (await catalogue.api.data(query, {"q": typed}))["searchProducts"]
        chip = {"kind": "PROVINCE", "value": "86", "text": typed.split(" ", 2)[2], "filtered": False}
        assert chip in result["interpretedAs"], (typed, result["interpretedAs"])
        first = result["edges"][0]["node"]
        assert first["name"].startswith("Kẹo dừa") and "Hòa Tân" in first["producer"]["address"]["commune"]
    # A place of another tone is not this one, and a district of several provinces names none.
    for other in ("kẹo dừa Hóa Tân", "Châu Thành"):
        result = (await catalogue.api.data(query, {"q": other}))["searchProducts"]
        assert not [c for c in result["interpretedAs"] if c["kind"] == "PROVINCE"], other


async def test_a_kind_published_after_the_vocabulary_was_counted_is_not_taken_for_absent(
    api: Api, world: World, sync: Any
) -> None:
    """The catalogue's vocabulary is counted now and then; a product of a kind it has not seen yet (here the
    first sold in a can; packaging is not among the counted kinds at all) must still be found rather than
    answered "not carried"."""
    tag = word()
    product = await published(api, world, sync, f"Nước mắm {tag}", variants_input())
    search = api.app.state.services.search
    counted = await search.vocabulary_ready()
    assert counted is not None
    # As counted before the first can was published, whenever the count ran: no such kind then.
    search._vocabulary = Vocabulary(counted.counts, counted.concepts - {"can"}, counted.places)
    found = (await api.data(SEARCH, {"q": f"{tag} can 5 lít"}))["searchProducts"]
    assert [e["node"]["id"] for e in found["edges"]] == [product["id"]]
    absent = (await api.data(SEARCH, {"q": "nho"}))["searchProducts"]  # grapes are still absent
    assert absent["edges"] == []
