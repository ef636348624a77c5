"""Bulk import from JSON Lines and CSV: bad rows are reported, good rows land, re-imports update."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

from api.settings import PROJECT_ROOT, Settings
from market.catalog.importer import import_products, infer_group
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
