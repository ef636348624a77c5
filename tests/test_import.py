"""Bulk import from JSON Lines and CSV: bad rows are reported, good rows land, re-imports update."""

from __future__ import annotations

import csv
import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

from api.settings import PROJECT_ROOT, Settings
from market.catalog.importer import MAX_JSON_DEPTH, import_products, infer_group
from market.catalog.records import ProductGroup
from market.store import Store


def row(tag: str, **overrides: Any) -> dict[str, Any]:
    base = {
        "externalId": f"{tag}-1",
        "name": "Nước mắm Phú Quốc 40 độ đạm",
        "description": "Nước mắm cá cơm truyền thống.",
        "category": "Nước mắm",
        "province": "kien giang",
        "producer": f"Công ty Nước mắm {tag}",
        "ocopStars": 4,
        "priceVnd": 125000,
        "unit": "chai 500ml",
    }
    return {**base, **overrides}


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8"
    )
    return path


async def test_bad_rows_are_reported_and_good_rows_imported(store: Store, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    path = write_jsonl(
        tmp_path / "rows.jsonl",
        [
            row(tag),
            row(tag, externalId=f"{tag}-2", province="Atlantis"),
            row(tag, externalId=f"{tag}-3", ocopStars=6),
            row(tag, externalId=f"{tag}-4", priceVnd=-1),
            row(tag, externalId=f"{tag}-5", name=""),
            '{"externalId": "broken",',
            row(tag, externalId=f"{tag}-6", status="draft", certifications="HACCP; VietGAP", moq="10"),
            row(tag, externalId=f"{tag}-1"),  # the same key twice in one file
        ],
    )
    report = await import_products(store, path)
    assert (report.created, report.updated, report.unchanged, report.failed) == (2, 0, 0, 6)
    by_line = {(e.line, e.field) for e in report.errors}
    assert {(2, "province"), (3, "stars"), (4, "priceVnd"), (5, "name"), (6, None), (8, "externalId")} <= by_line
    assert any("malformed JSON" in e.reason for e in report.errors if e.line == 6)
    producer = await store.db["producers"].find_one({"name": f"Công ty Nước mắm {tag}"})
    assert producer is not None and producer["type"] == "enterprise"
    assert producer["address"] == {"provinceCode": "91", "formerProvince": "Kiên Giang"}
    docs = await store.db["products"].find({"producerId": producer["_id"]}).sort("externalId").to_list(None)
    assert [d["status"] for d in docs] == ["published", "draft"]
    assert docs[1]["certifications"] == ["HACCP", "VIETGAP"] and docs[1]["moq"] == 10


async def test_reimport_updates_in_place(store: Store, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    first = write_jsonl(tmp_path / "a.jsonl", [row(tag), row(tag, externalId=f"{tag}-2")])
    assert (await import_products(store, first)).created == 2
    second = write_jsonl(tmp_path / "b.jsonl", [row(tag, priceVnd=130000), row(tag, externalId=f"{tag}-2")])
    report = await import_products(store, second)
    assert (report.created, report.updated, report.unchanged, report.failed) == (0, 1, 1, 0)
    producer = await store.db["producers"].find_one({"name": f"Công ty Nước mắm {tag}"})
    assert producer is not None
    docs = await store.db["products"].find({"producerId": producer["_id"]}).sort("externalId").to_list(None)
    assert [(d["priceVnd"], d["version"]) for d in docs] == [(130000, 2), (125000, 1)]
    assert await store.db["producers"].count_documents({"name": f"Công ty Nước mắm {tag}"}) == 1


async def test_csv_import(store: Store, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    path = tmp_path / "rows.csv"
    path.write_text(
        "externalId,name,description,category,province,producer,ocopStars,priceVnd,unit,certifications,certifiedAt,priceTiers\n"
        f'{tag}-1,Kẹo dừa sáp,Kẹo dừa,Kẹo,Trà Vinh,HTX Dừa {tag},4,45000,hộp 400g,HACCP;ISO 22000,2024-03-01,"[{{""minQuantity"": 50, ""unitPriceVnd"": 40000}}]"\n'
        f"{tag}-2,Kẹo dừa lá dứa,Kẹo dừa,Kẹo,Trà Vinh,HTX Dừa {tag},3,abc,hộp 400g,,,\n",
        encoding="utf-8",
    )
    report = await import_products(store, path)
    assert (report.created, report.failed) == (1, 1)
    assert report.errors[0].line == 3 and report.errors[0].field == "priceVnd"
    doc = await store.db["products"].find_one({"externalId": f"{tag}-1"})
    assert doc is not None
    assert doc["certifications"] == ["HACCP", "ISO22000"]
    assert doc["certificate"]["validUntil"].date().isoformat() == "2027-03-01"
    assert doc["priceTiers"] == [{"minQuantity": 50, "unitPriceVnd": 40000}]
    assert doc["provinceCode"] == "86" and doc["formerProvince"] == "Trà Vinh"


def test_group_is_inferred_from_the_category() -> None:
    assert infer_group("Cà phê", "Cà phê Robusta") is ProductGroup.BEVERAGE
    assert infer_group("Nước mắm", "Nước mắm Phú Quốc") is ProductGroup.FOOD
    assert infer_group("Đồ thủ công", "Ống hút tre") is ProductGroup.HANDICRAFT
    assert infer_group("Dược liệu", "Sâm Ngọc Linh") is ProductGroup.HERBAL


def test_cli_exit_status_and_summary(settings: Settings, store: Store, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    env = settings.child_environment()
    good = write_jsonl(tmp_path / "good.jsonl", [row(tag)])
    done = subprocess.run(
        [sys.executable, "-m", "cli", "import-products", str(good)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "created 1, updated 0, unchanged 0, failed 0" in done.stdout
    bad = write_jsonl(tmp_path / "bad.jsonl", [row(tag), row(tag, externalId="x", ocopStars=2)])
    done = subprocess.run(
        [sys.executable, "-m", "cli", "import-products", str(bad)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "line 2: stars: stars must be between 3 and 5, got 2" in done.stderr
    assert "created 0, updated 0, unchanged 1, failed 1" in done.stdout


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


TIERS = [{"minQuantity": 50, "unitPriceVnd": 120000}]


def deeply_nested_csv(path: Path, tag: str) -> Path:
    """Lines 3 and 4 nest their tiers too deep; lines 2 and 5 are good."""

    def line(n: int, tiers: str) -> list[str]:
        return [str(v) for v in row(tag, externalId=f"{tag}-{n}").values()] + [tiers]

    tiers = json.dumps(TIERS)
    rows = [line(1, tiers), line(2, nested(50_000)), line(3, nested(MAX_JSON_DEPTH + 1)), line(4, tiers)]
    return write_csv(path, [*row(tag), "priceTiers"], rows)


async def test_deeply_nested_json_refuses_its_row_only(store: Store, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    report = await import_products(store, deeply_nested_csv(tmp_path / "deep.csv", tag))
    assert (report.created, report.failed) == (2, 2)
    assert [(e.line, e.field, e.column) for e in report.errors] == [
        (3, "priceTiers", "priceTiers"),
        (4, "priceTiers", "priceTiers"),
    ]

    def jsonl(n: int, key: str, value: str) -> str:
        return json.dumps(row(tag, externalId=f"{tag}-j{n}")).removesuffix("}") + f', "{key}": {value}}}'

    variant = {"packaging": "chai", "netQuantity": "500 ml", "priceVnd": 65000, "priceTiers": TIERS}
    path = write_jsonl(
        tmp_path / "deep.jsonl",
        [
            row(tag, externalId=f"{tag}-j1", variants=[variant]),  # as deep as a row needs
            jsonl(2, "priceTiers", nested(50_000)),
            jsonl(3, "variants", nested(50_000)),
            jsonl(4, "priceVnd", nested(MAX_JSON_DEPTH + 1)),  # decodes, but nothing reads it that deep
            jsonl(5, "name", "{" + '"a": {' * 50_000 + "}" * 50_001),
        ],
    )
    report = await import_products(store, path)
    assert (report.created, report.failed) == (1, 4)
    assert [(e.line, e.field) for e in report.errors] == [(2, None), (3, None), (4, None), (5, None)]
    assert {e.reason for e in report.errors} == {
        f"unreadable JSON: arrays or objects nested more than {MAX_JSON_DEPTH} deep"
    }


def test_cli_reports_deeply_nested_json_as_a_row_error(settings: Settings, store: Store, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "import-products",
            str(deeply_nested_csv(tmp_path / "deep.csv", secrets.token_hex(3))),
        ],
        cwd=PROJECT_ROOT,
        env=settings.child_environment(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "line 3: priceTiers: priceTiers must be a list" in done.stderr
    assert "created 2, updated 0, unchanged 0, failed 2" in done.stdout


async def test_csv_amounts_keep_the_magnitude_the_file_meant(store: Store, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    header = ["externalId", "name", "description", "category", "province", "producer", "ocopStars", "priceVnd"]
    header += ["unit", "moq", "priceTiers"]

    def line(n: int, price: str, moq: str = "", tiers: str = "", stars: str = "4") -> list[str]:
        return [
            f"{tag}-{n}",
            f"Kẹo dừa {n}",
            "Kẹo dừa",
            "Kẹo",
            "Bến Tre",
            f"HTX Dừa {tag}",
            stars,
            price,
            "hộp",
            moq,
            tiers,
        ]

    tiers = json.dumps(
        [{"minQuantity": "1.000", "unitPriceVnd": "150.000"}, {"minQuantity": 100, "unitPriceVnd": 160000}]
    )
    path = write_csv(
        tmp_path / "prices.csv",
        header,
        [
            line(1, "165.000", moq="1.000", tiers=tiers),  # line 2
            line(2, "1.500.000", moq="  "),  # a blank optional number is absent, not malformed
            line(3, "165000"),
            line(4, "1 500 000"),
            line(5, "1\u00a0500\u00a0000"),
            line(6, "165,5"),  # line 7: the refused spellings start here
            line(7, "165.5"),
            line(8, "1.50.000"),
            line(9, "1,500,000"),
            line(10, "-5"),
            line(11, " "),
            line(12, "abc"),
            line(13, "165.000 USD"),  # a đồng marker is read (tests/test_import_formats.py), no other
            line(14, "165000", moq="1,000"),
            line(15, "165000", tiers='[{"minQuantity": 10, "unitPriceVnd": "150,5"}]'),
            line(16, "165000", tiers='[{"minQuantity": 10, "unitPriceVnd": 150.000}]'),
            line(17, "165000", stars="4.0"),
        ],
    )
    report = await import_products(store, path)
    assert (report.rows, report.created, report.failed) == (17, 5, 12)
    problems = {(e.line, e.field): e.reason for e in report.errors}
    assert list(problems) == [
        (7, "priceVnd"),
        (8, "priceVnd"),
        (9, "priceVnd"),
        (10, "priceVnd"),
        (11, "priceVnd"),
        (12, "priceVnd"),
        (13, "priceVnd"),
        (14, "priceVnd"),
        (15, "moq"),
        (16, "priceTiers[0].unitPriceVnd"),
        (17, "priceTiers[0].unitPriceVnd"),
        (18, "stars"),
    ]
    assert problems[(7, "priceVnd")].endswith("it has a decimal comma; only whole numbers are allowed")
    assert "groups of three" in problems[(8, "priceVnd")]
    assert "groups of three" in problems[(9, "priceVnd")]
    assert "a comma is ambiguous" in problems[(10, "priceVnd")]
    assert problems[(11, "priceVnd")] == "priceVnd must be a positive amount in VND, got -5"
    assert problems[(12, "priceVnd")] == "priceVnd is required"
    assert "only digits and thousands separators" in problems[(13, "priceVnd")]
    assert "only digits and thousands separators" in problems[(14, "priceVnd")]
    assert "a comma is ambiguous" in problems[(15, "moq")]
    assert "decimal comma" in problems[(16, "priceTiers[0].unitPriceVnd")]
    assert "the JSON number 150.000 reads as 150" in problems[(17, "priceTiers[0].unitPriceVnd")]
    assert "only plain digits" in problems[(18, "stars")]

    producer = await store.db["producers"].find_one({"name": f"HTX Dừa {tag}"})
    assert producer is not None
    docs = await store.db["products"].find({"producerId": producer["_id"]}).sort("externalId").to_list(None)
    assert [(d["externalId"], d["priceVnd"], d["moq"]) for d in docs] == [
        (f"{tag}-1", 165000, 1000),
        (f"{tag}-2", 1500000, 1),
        (f"{tag}-3", 165000, 1),
        (f"{tag}-4", 1500000, 1),
        (f"{tag}-5", 1500000, 1),
    ]
    assert docs[0]["priceTiers"] == [
        {"minQuantity": 100, "unitPriceVnd": 160000},
        {"minQuantity": 1000, "unitPriceVnd": 150000},
    ]


async def test_jsonl_numbers_and_number_text(store: Store, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    good = [row(tag, externalId=f"{tag}-{n}", priceVnd=price) for n, price in ((1, "165.000"), (2, "1.500.000"))]

    def literal(n: int, price: str) -> str:
        return json.dumps(row(tag, externalId=f"{tag}-{n}", priceVnd=0)).replace(
            '"priceVnd": 0', f'"priceVnd": {price}'
        )

    path = write_jsonl(
        tmp_path / "prices.jsonl",
        [
            *good,
            literal(3, "165000.0"),  # a JSON number keeps its value
            literal(4, "165.000"),  # line 4: refused from here on
            literal(5, "165.5"),
            row(tag, externalId=f"{tag}-6", priceVnd="165,5"),
            row(tag, externalId=f"{tag}-7", priceVnd=""),
            row(tag, externalId=f"{tag}-8", priceVnd=125000, moq="  "),  # blank optional: absent
        ],
    )
    report = await import_products(store, path)
    assert (report.created, report.failed) == (4, 4)
    assert [(e.line, e.field) for e in report.errors] == [
        (4, "priceVnd"),
        (5, "priceVnd"),
        (6, "priceVnd"),
        (7, "priceVnd"),
    ]
    assert "reads as 165, but as 165000" in report.errors[0].reason
    assert report.errors[1].reason == "priceVnd must be a whole number, got 165.5: it has a fraction"
    assert report.errors[3].reason == "priceVnd is required"
    producer = await store.db["producers"].find_one({"name": f"Công ty Nước mắm {tag}"})
    assert producer is not None
    docs = await store.db["products"].find({"producerId": producer["_id"]}).sort("externalId").to_list(None)
    assert [(d["externalId"], d["priceVnd"], d["moq"]) for d in docs] == [
        (f"{tag}-1", 165000, 1),
        (f"{tag}-2", 1500000, 1),
        (f"{tag}-3", 165000, 1),
        (f"{tag}-8", 125000, 1),
    ]
