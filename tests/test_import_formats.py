"""Import as offices have their files, export, and the round trip between them: workbooks written the way
Excel writes them, Vietnamese-locale CSV in Windows-1258 with semicolons, "Unicode Text", Vietnamese headers,
unknown columns, refused rows with the error report, a zip bomb, and the upload through GraphQL."""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets
import unicodedata
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from market.catalog.exporter import HEADER, export_products
from market.catalog.import_report import error_report
from market.catalog.importer import import_products
from market.catalog.policy import EVERYTHING, ImportScope
from market.catalog.repository import ProductFilter
from market.core.errors import DomainError
from market.core.table_files import open_table
from market.store import Store
from tests.conftest import Api, World

VI_HEADER = [
    "STT",
    "Mã sản phẩm",
    "Tên sản phẩm",
    "Mô tả",
    "Ngành hàng",
    "Tỉnh/Thành phố",
    "Xã/Phường",
    "Chủ thể",
    "Loại hình chủ thể",
    "Hạng sao",
    "Giá (VNĐ)",
    "Đơn vị tính",
    "Số giấy chứng nhận",
    "Ngày cấp",
]


def vi_row(tag: str, n: int, *, price: Any = "45.000", stars: Any = 4, certified: Any = "01/03/2024") -> list[Any]:
    return [
        n,
        f"{tag}-{n}",
        f"Kẹo dừa sáp {n}",
        "Kẹo dừa sáp Cầu Kè, đóng hộp giấy.",
        "Bánh kẹo",
        "Trà Vinh",
        "Xã Hòa Tân",
        f"HTX Dừa sáp {tag}",
        "Hợp tác xã",
        stars,
        price,
        "hộp 400g",
        f"OCOP-TV-{n}",
        certified,
    ]


async def products_of(store: Store, tag: str) -> list[dict[str, Any]]:
    producer = await store.db["producers"].find_one({"name": f"HTX Dừa sáp {tag}"})
    assert producer is not None
    return await store.db["products"].find({"producerId": producer["_id"]}).sort("externalId").to_list(None)


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    """As Excel saves it: numbers as numbers, dates as date cells."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Danh sách")
    dates = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, header)
    for r, cells in enumerate(rows, start=1):
        for c, value in enumerate(cells):
            if isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), dates)
            elif value is not None:
                sheet.write(r, c, value)
    workbook.close()
    return path


TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """Text as Windows saves it in Windows-1258: a letter with its vowel mark precomposed (â, ơ, ư…), then its
    tone as a combining mark, since the code page has no precomposed toned letters."""
    out = []
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES)) + tones)
    return "".join(out).encode("cp1258")


def encoded(text: str, encoding: str) -> bytes:
    return cp1258(text) if encoding == "cp1258" else text.encode(encoding)


def write_text(path: Path, header: list[str], rows: list[list[Any]], *, delimiter: str, encoding: str) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(encoded(out.getvalue(), encoding))
    return path


async def test_workbook_with_vietnamese_headers(store: Store, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    rows = [
        vi_row(tag, 1, price=45000, certified=date(2024, 3, 1)),
        vi_row(tag, 2, price="45.000 đ", certified="15/06/2024"),
        vi_row(tag, 3, price="45,000 đ", stars=5.0, certified="2024-06-15"),
    ]
    path = write_xlsx(tmp_path / "ocop.xlsx", VI_HEADER, rows)
    report = await import_products(store, path)
    assert (report.kind, report.rows, report.created, report.failed) == ("xlsx", 3, 3, 0), report.errors
    docs = await products_of(store, tag)
    assert [d["priceVnd"] for d in docs] == [45000, 45000, 45000]
    assert [d["stars"] for d in docs] == [4, 4, 5]
    assert [d["certificate"]["certifiedAt"].date() for d in docs] == [date(2024, 3, 1), date(2024, 6, 15)] * 1 + [
        date(2024, 6, 15)
    ]
    assert docs[0]["provinceCode"] == "86" and docs[0]["formerProvince"] == "Trà Vinh"
    producer = await store.db["producers"].find_one({"name": f"HTX Dừa sáp {tag}"})
    assert producer is not None and producer["type"] == "cooperative"
    assert producer["address"]["commune"] == "Xã Hòa Tân"


async def test_workbook_streamed_with_inline_strings_gaps_and_decimals(store: Store, tmp_path: Path) -> None:
    """As a row-by-row writer saves it (inline strings, as the export does): blank rows and empty cells left
    out, dates with a time, numbers with decimals; errors name the sheet's own row numbers."""
    tag = secrets.token_hex(3)
    path = tmp_path / "stream.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    moment = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    sheet.write_row(2, 0, VI_HEADER)  # a title would sit above the header in an office's sheet
    commune = VI_HEADER.index("Xã/Phường")
    first = vi_row(tag, 1, price=45000.0, stars=4.0, certified=datetime(2024, 3, 1, 9, 15))
    for r, row in enumerate([first, vi_row(tag, 2, price=45000.5)], start=3):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, moment)
            elif c != commune:
                sheet.write(r, c, value)
    sheet.write_row(6, 0, vi_row(tag, 3, certified=None)[:-1])  # after a blank row, no certificate date
    workbook.close()
    with zipfile.ZipFile(path) as archive:
        assert b'<c r="B4" t="inlineStr">' in archive.read("xl/worksheets/sheet1.xml")
        assert "xl/sharedStrings.xml" not in archive.namelist()

    report = await import_products(store, path)
    assert (report.kind, report.rows, report.created) == ("xlsx", 3, 2)
    assert [(e.line, e.column) for e in report.errors] == [(5, "Giá (VNĐ)")]
    docs = await products_of(store, tag)
    assert [d["externalId"] for d in docs] == [f"{tag}-1", f"{tag}-3"]
    assert docs[0]["priceVnd"] == 45000 and docs[0]["stars"] == 4
    assert docs[0]["certificate"]["certifiedAt"].date() == date(2024, 3, 1)
    assert "certifiedAt" not in docs[1].get("certificate", {})
    with open_table(path) as table:
        assert table.header_line == 3
        rows = dict(table.rows)
    assert sorted(rows) == [4, 5, 7]
    assert rows[4][commune] is None and len(rows[4]) == len(rows[7]) == len(VI_HEADER)


@pytest.mark.parametrize(
    ("delimiter", "encoding", "kind"),
    [
        pytest.param(";", "cp1258", "delimited ; cp1258", id="excel-vietnamese-csv"),
        pytest.param("\t", "utf-16", "delimited \t utf-16", id="excel-unicode-text"),
        pytest.param(",", "utf-8-sig", "delimited , utf-8-sig", id="utf-8-with-bom"),
        pytest.param(";", "utf-8", "delimited ; utf-8", id="utf-8-semicolons"),
    ],
)
async def test_delimited_text_in_every_encoding(
    store: Store, tmp_path: Path, delimiter: str, encoding: str, kind: str
) -> None:
    tag = secrets.token_hex(3)
    rows = [vi_row(tag, 1), vi_row(tag, 2, price="1.250.000", certified="1/2/2025")]
    path = write_text(tmp_path / "ocop.csv", VI_HEADER, rows, delimiter=delimiter, encoding=encoding)
    if encoding == "cp1258":
        assert b"K" + "e\u0323".encode("cp1258") + b"o" in path.read_bytes()  # a combining tone, not NFC
    report = await import_products(store, path)
    assert " ".join(x for x in (report.kind, report.delimiter, report.encoding) if x) == kind
    assert (report.created, report.failed) == (2, 0), report.errors
    docs = await products_of(store, tag)
    assert [d["name"] for d in docs] == ["Kẹo dừa sáp 1", "Kẹo dừa sáp 2"]  # NFC, as typed
    assert [d["priceVnd"] for d in docs] == [45000, 1250000]
    assert docs[1]["certificate"]["certifiedAt"].date() == date(2025, 2, 1)
    assert docs[0]["description"] == "Kẹo dừa sáp Cầu Kè, đóng hộp giấy."


def test_windows_1258_text_is_normalised(tmp_path: Path) -> None:
    # "ẹ" in Windows-1258 is "e" followed by a combining dot below.
    path = tmp_path / "a.csv"
    path.write_bytes(cp1258("Tên sản phẩm;Giá\r\nKẹo dừa;45.000\r\n"))
    assert cp1258("Kẹo") == b"K" + "e\u0323".encode("cp1258") + b"o"
    with open_table(path) as table:
        assert table.encoding == "cp1258" and table.delimiter == ";"
        assert table.header == ["Tên sản phẩm", "Giá"]
        assert [cells for _, cells in table.rows] == [["Kẹo dừa", "45.000"]]


async def test_unknown_and_repeated_headers_refuse_the_file(store: Store, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    header = [*VI_HEADER[:-1], "Ngày hết hạng"]  # a misspelt "Ngày hết hạn"
    path = write_xlsx(tmp_path / "typo.xlsx", header, [vi_row(tag, 1)])
    with pytest.raises(DomainError) as caught:
        await import_products(store, path)
    [error] = caught.value.errors
    assert (error.field, error.code.value) == ("file", "INVALID")
    assert error.message.startswith("unknown columns (line 1): Ngày hết hạng; rename or remove them.")
    assert "Ngày hết hạn" in error.message  # the known columns are listed
    assert error.text("vi").startswith("không rõ các cột (dòng 1): Ngày hết hạng;")
    assert await store.db["producers"].count_documents({"name": f"HTX Dừa sáp {tag}"}) == 0

    path = write_text(
        tmp_path / "twice.csv", [*VI_HEADER, "Giá bán"], [[*vi_row(tag, 1), "1"]], delimiter=";", encoding="utf-8"
    )
    with pytest.raises(DomainError) as caught:
        await import_products(store, path)
    assert "columns 'Giá bán' and 'Giá (VNĐ)' (line 1) both give Giá (VNĐ)" in caught.value.errors[0].message


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
async def test_bad_rows_go_to_the_report(store: Store, tmp_path: Path, suffix: str) -> None:
    tag = secrets.token_hex(3)
    rows = [
        vi_row(tag, 1),
        vi_row(tag, 2, price="1,500"),  # ambiguous without a đồng marker
        vi_row(tag, 3, stars=7, certified="31/02/2024"),
        vi_row(tag, 4),
        vi_row(tag, 1),  # the same Mã sản phẩm again
    ]
    path = write_text(tmp_path / "in.csv", VI_HEADER, rows, delimiter=";", encoding="utf-8")
    report_path = tmp_path / f"loi.{suffix}"
    with error_report(report_path) as sink:
        report = await import_products(store, path, errors_to=sink)
    assert (report.created, report.failed) == (2, 3)
    assert [(e.line, e.column, e.code) for e in report.errors] == [
        (3, "Giá (VNĐ)", "INVALID"),
        (4, "Ngày cấp", "INVALID"),
        (4, "Hạng sao", "OUT_OF_RANGE"),
        (6, "Mã sản phẩm", "DUPLICATE"),
    ]
    if suffix == "csv":
        with report_path.open(encoding="utf-8-sig", newline="") as stream:
            lines = list(csv.reader(stream))
    else:
        workbook = CalamineWorkbook.from_path(str(report_path))
        lines = [
            [str(int(c)) if isinstance(c, float) else str(c) for c in r]
            for r in workbook.get_sheet_by_index(0).to_python()
        ]
    assert lines[0] == ["Dòng (row)", "Cột (column)", "Lý do", "Reason", *VI_HEADER]
    assert [line[:2] for line in lines[1:]] == [["3", "Giá (VNĐ)"], ["4", "Ngày cấp; Hạng sao"], ["6", "Mã sản phẩm"]]
    assert "dấu phẩy không rõ nghĩa" in lines[1][2] and "a comma is ambiguous" in lines[1][3]
    assert (
        lines[2][2].splitlines()[0]
        == "certifiedAt phải là ngày theo dạng dd/mm/yyyy hoặc YYYY-MM-DD, nhận được '31/02/2024'"
    )
    assert lines[2][3].splitlines()[1] == "stars must be between 3 and 5, got 7"
    assert lines[1][4:] == [str(c) for c in vi_row(tag, 2, price="1,500")]  # the row as the file had it


def zip_bomb(path: Path, *, lie: bool) -> Path:
    """A workbook-looking archive whose sheet unpacks to 600 MiB of zeros (or declares 10 KiB and lies)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        if not lie:
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
                block = b"\0" * (1024 * 1024)
                for _ in range(600):
                    member.write(block)
            return path
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (10 * 1024 * 1024))
    # Rewrite the declared sizes of the sheet to 10 KiB: readers that trust them would unpack 10 MiB.
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    for offset in (info.header_offset + 22, data.rfind(b"PK\x01\x02") + 24):
        data[offset : offset + 4] = (10 * 1024).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("lie", [False, True], ids=["declared", "lying-sizes"])
async def test_zip_bomb_is_refused_unread(store: Store, tmp_path: Path, lie: bool) -> None:
    path = zip_bomb(tmp_path / "bomb.xlsx", lie=lie)
    assert path.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(DomainError) as caught:
        await import_products(store, path)
    [error] = caught.value.errors
    assert error.field == "file"
    assert error.key == ("file_not_a_workbook" if lie else "file_too_large_unpacked")


async def test_binary_and_empty_files_are_refused(store: Store, tmp_path: Path) -> None:
    binary = tmp_path / "x.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DomainError) as caught:
        await import_products(store, binary)
    assert caught.value.errors[0].key == "file_unknown_encoding"
    empty = tmp_path / "y.csv"
    empty.write_bytes(b"\r\n \r\n")
    with pytest.raises(DomainError) as caught:
        await import_products(store, empty)
    assert caught.value.errors[0].key == "file_empty"


async def test_export_edit_reimport_changes_one_product(store: Store, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    rows = [vi_row(tag, n, price=40000 + n, certified=date(2024, 1, n)) for n in range(1, 6)]
    rows[1][8] = "Hộ sản xuất, kinh doanh"
    await import_products(store, write_xlsx(tmp_path / "first.xlsx", VI_HEADER, rows))
    before = {d["externalId"]: d for d in await products_of(store, tag)}
    producer_id = next(iter(before.values()))["producerId"]
    # The API-made kind of product too: no externalId, tiers, certifications, a draft.
    await store.db["products"].update_one(
        {"_id": before[f"{tag}-5"]["_id"]},
        {
            "$unset": {"externalId": ""},
            "$set": {
                "status": "draft",
                "priceTiers": [{"minQuantity": 100, "unitPriceVnd": 39000}],
                "certifications": ["VIETGAP", "ISO22000"],
                "images": ["https://img.example/a.jpg", "https://img.example/b.jpg"],
            },
        },
    )
    before = {d["_id"]: d for d in await store.db["products"].find({"producerId": producer_id}).to_list(None)}

    exported = tmp_path / "export.xlsx"
    scope = ImportScope(producer_id=producer_id)
    summary = await export_products(store, exported, "xlsx", scope, ProductFilter())
    assert summary.products == 5
    sheet = CalamineWorkbook.from_path(str(exported)).get_sheet_by_index(0).to_python()
    assert sheet[0] == HEADER
    # Edit one price, as Excel saves it: the cells keep their types.
    price = HEADER.index("Giá (VNĐ)")
    edited = [list(r) for r in sheet]
    edited[3][price] = 47500.0
    again = write_xlsx(tmp_path / "edited.xlsx", edited[0], edited[1:])

    report = await import_products(store, again, scope=scope)
    assert (report.rows, report.created, report.updated, report.unchanged, report.failed) == (5, 0, 1, 4, 0)
    after = {d["_id"]: d for d in await store.db["products"].find({"producerId": producer_id}).to_list(None)}
    assert after.keys() == before.keys()
    changed = [k for k in after if after[k] != before[k]]
    assert len(changed) == 1
    volatile = ("priceVnd", "version", "updatedAt")
    assert {k: v for k, v in after[changed[0]].items() if k not in volatile} == {
        k: v for k, v in before[changed[0]].items() if k not in volatile
    }
    assert after[changed[0]]["priceVnd"] == 47500 and after[changed[0]]["version"] == 2

    # The same through CSV: exported, imported as is, nothing changes.
    as_csv = tmp_path / "export.csv"
    await export_products(store, as_csv, "csv", scope, ProductFilter())
    report = await import_products(store, as_csv, scope=scope)
    assert (report.created, report.updated, report.unchanged, report.failed) == (0, 0, 5, 0), report.errors


async def test_export_scope_and_filters(store: Store, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    await import_products(store, write_xlsx(tmp_path / "a.xlsx", VI_HEADER, [vi_row(tag, 1), vi_row(tag, 2)]))
    path = tmp_path / "vl.csv"
    await export_products(store, path, "csv", ImportScope(province_code="86"), ProductFilter(province="Trà Vinh"))
    with path.open(encoding="utf-8-sig", newline="") as stream:
        exported = list(csv.DictReader(stream))
    assert {f"{tag}-1", f"{tag}-2"} <= {r["Mã sản phẩm"] for r in exported}
    assert {r["Tỉnh/Thành phố"] for r in exported} == {"Trà Vinh"}
    mine = next(r for r in exported if r["Mã sản phẩm"] == f"{tag}-1")
    assert mine["Ngày cấp"] == "01/03/2024" and mine["Giá (VNĐ)"] == "45000" and mine["Trạng thái"] == "Đã đăng"
    await export_products(store, path, "csv", ImportScope(province_code="01"), ProductFilter())
    with path.open(encoding="utf-8-sig", newline="") as stream:
        assert f"{tag}-1" not in stream.read()
    with pytest.raises(DomainError):
        await export_products(store, path, "csv", EVERYTHING, ProductFilter(province="Atlantis"))


# --- through the API -------------------------------------------------------------------------------------

IMPORT = """mutation Import($file: Upload!, $format: TableFormat!) {
  importProducts(file: $file, reportFormat: $format) {
    rows created updated unchanged failed producersCreated readAs
    rowErrors { line column field code messageVi messageEn }
    report { filename mediaType size base64 }
    errors { field code message }
  }
}"""


async def upload(api: Api, role: str, name: str, content: bytes, fmt: str = "CSV") -> dict[str, Any]:
    """A request by the GraphQL multipart request spec, as Apollo's upload link sends it."""
    operations = {"query": IMPORT, "variables": {"file": None, "format": fmt}}
    response = await api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, content, "application/octet-stream")},
        headers={"Authorization": f"Bearer {api.keys[role]}", "Accept-Language": "vi"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"]["importProducts"])


def csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([header, *rows])
    return cp1258(out.getvalue())


async def test_upload_as_producer_imports_its_own_rows(api: Api, world: World, store: Store) -> None:
    tag = secrets.token_hex(3)
    own = await store.db["producers"].find_one(
        {"name": {"$regex": "^HTX Dừa sáp Cầu Kè"}, "address.provinceCode": "86"}
    )
    assert own is not None
    header = [h for h in VI_HEADER if h != "Chủ thể"]
    rows = [[c for i, c in enumerate(vi_row(tag, n)) if VI_HEADER[i] != "Chủ thể"] for n in (1, 2)]
    foreign = vi_row(tag, 3)
    rows.append([c for i, c in enumerate(foreign) if VI_HEADER[i] != "Chủ thể"])
    rows[1][header.index("Giá (VNĐ)")] = "abc"
    result = await upload(api, "producer", "san-pham.csv", csv_bytes(header, rows))
    assert (result["rows"], result["created"], result["failed"]) == (3, 2, 1), result
    assert result["readAs"] == "delimited ; cp1258"
    [error] = result["rowErrors"]
    assert (error["line"], error["column"], error["field"]) == (3, "Giá (VNĐ)", "priceVnd")
    assert error["messageVi"].startswith("priceVnd phải là số nguyên") and error["messageEn"].startswith("priceVnd")
    assert result["report"]["filename"] == "loi-nhap.csv"
    report = base64.b64decode(result["report"]["base64"]).decode("utf-8-sig")
    assert "abc" in report and report.splitlines()[1].startswith("3,Giá (VNĐ)")
    assert await store.db["products"].count_documents({"producerId": own["_id"], "externalId": {"$regex": tag}}) == 2

    # A row naming another producer is refused; the file's other rows are not.
    rows = [vi_row(tag, 9)]
    result = await upload(api, "producer", "other.xlsx", _xlsx_bytes(VI_HEADER, rows), fmt="XLSX")
    assert result["failed"] == 1 and result["rowErrors"][0]["code"] == "FORBIDDEN"
    assert result["rowErrors"][0]["column"] == "Chủ thể"
    assert result["report"]["mediaType"].startswith("application/vnd.openxmlformats")


def _xlsx_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for r, cells in enumerate([header, *rows]):
        sheet.write_row(r, 0, cells)
    workbook.close()
    return buffer.getvalue()


async def test_upload_as_coordinator_and_refusals(api: Api, world: World, store: Store) -> None:
    tag = secrets.token_hex(3)
    other_province = vi_row(tag, 2)
    other_province[VI_HEADER.index("Tỉnh/Thành phố")] = "Kiên Giang"
    result = await upload(api, "coordinator", "tinh.xlsx", _xlsx_bytes(VI_HEADER, [vi_row(tag, 1), other_province]))
    assert (result["created"], result["failed"], result["producersCreated"]) == (1, 1, 1)
    assert result["rowErrors"][0]["code"] == "FORBIDDEN" and result["rowErrors"][0]["line"] == 3
    assert "Vĩnh Long" in result["rowErrors"][0]["messageVi"]

    refused = await upload(api, "buyer", "x.csv", csv_bytes(VI_HEADER, [vi_row(tag, 3)]))
    assert refused["errors"][0]["code"] == "FORBIDDEN" and refused["rows"] == 0
    unknown = await upload(api, "coordinator", "x.csv", csv_bytes(["Tên sản phẩm", "Màu"], [["a", "b"]]))
    assert unknown["errors"][0]["field"] == "file" and "Màu" in unknown["errors"][0]["message"]
    bomb = zip_bomb(Path(__import__("tempfile").mkdtemp()) / "b.xlsx", lie=False).read_bytes()
    refused = await upload(api, "coordinator", "b.xlsx", bomb)
    assert refused["errors"][0]["field"] == "file" and refused["rows"] == 0


async def test_upload_with_deeply_nested_json_answers_row_errors(api: Api, world: World) -> None:
    tag = secrets.token_hex(3)
    deep = "[" * 50_000 + "]" * 50_000
    header = [*VI_HEADER, "Giá theo số lượng"]
    rows = [[*vi_row(tag, 1), ""], [*vi_row(tag, 2), deep]]
    result = await upload(api, "coordinator", "bac-gia.csv", csv_bytes(header, rows))
    assert (result["created"], result["failed"]) == (1, 1), result
    [error] = result["rowErrors"]
    assert (error["line"], error["column"], error["field"]) == (3, "Giá theo số lượng", "priceTiers")

    line = json.dumps({"externalId": f"{tag}-9"}).removesuffix("}") + f', "variants": {deep}}}'
    result = await upload(api, "coordinator", "bac-gia.jsonl", line.encode())
    assert (result["rows"], result["failed"]) == (1, 1), result
    [error] = result["rowErrors"]
    assert (error["line"], error["field"], error["code"]) == (1, None, "INVALID")
    assert "nested more than" in error["messageEn"]


FORMULA = '=HYPERLINK("http://evil","x")'


async def test_csv_export_quotes_text_excel_would_run_and_import_takes_it_back(
    api: Api, world: World, store: Store, tmp_path: Path
) -> None:
    tag = secrets.token_hex(3)
    name, description = HEADER.index("Tên sản phẩm"), HEADER.index("Mô tả")
    texts = [(FORMULA, "- Kẹo dừa sáp"), ("@SUM(1+1)", "=1+1"), ("-", "+84 hộp")]
    rows = [vi_row(tag, n) for n in (1, 2, 3)]
    for row, (product_name, text) in zip(rows, texts, strict=True):
        row[VI_HEADER.index("Tên sản phẩm")], row[VI_HEADER.index("Mô tả")] = product_name, text
    await import_products(store, write_text(tmp_path / "in.csv", VI_HEADER, rows, delimiter=",", encoding="utf-8"))
    # A name that starts with a quote of its own, no description and an empty certificate, as the API may
    # store them.
    texts[2] = ("'=quoted already", "+84 hộp")
    await store.db["products"].update_one({"externalId": f"{tag}-3"}, {"$set": {"name": texts[2][0]}})
    texts[1] = ("@SUM(1+1)", "")
    await store.db["products"].update_one({"externalId": f"{tag}-2"}, {"$set": {"description": "", "certificate": {}}})
    assert [(d["name"], d["description"]) for d in await products_of(store, tag)] == texts

    query = """query { exportProducts(format: CSV, filter: {province: "Trà Vinh"}) { base64 } }"""
    exported = base64.b64decode((await api.data(query, as_="coordinator"))["exportProducts"]["base64"])
    lines = [r for r in csv.reader(io.StringIO(exported.decode("utf-8-sig"))) if r[0].startswith(tag)]
    assert [(r[name], r[description]) for r in lines] == [
        (f"'{FORMULA}", "'- Kẹo dừa sáp"),
        ("'@SUM(1+1)", ""),
        ("''=quoted already", "'+84 hộp"),
    ]
    assert [r[HEADER.index("Giá (VNĐ)")] for r in lines] == ["45000"] * 3  # numbers stay numbers

    # Imported back, nothing changes.
    result = await upload(api, "coordinator", "export.csv", exported)
    assert result["failed"] == 0 and result["created"] == result["updated"] == 0, result
    assert [(d["name"], d["description"]) for d in await products_of(store, tag)] == texts

    # The error report, which repeats the row as the file had it, is written the same way.
    bad = vi_row(tag, 9, price="abc")
    bad[VI_HEADER.index("Tên sản phẩm")] = FORMULA
    result = await upload(api, "coordinator", "bad.csv", csv_bytes(VI_HEADER, [bad]))
    report = list(csv.reader(io.StringIO(base64.b64decode(result["report"]["base64"]).decode("utf-8-sig"))))
    assert report[1][4 + VI_HEADER.index("Tên sản phẩm")] == f"'{FORMULA}"


async def test_upload_beyond_the_upload_limit_is_413(api: Api, world: World) -> None:
    big = b"a" * (21 * 1024 * 1024)
    operations = {"query": IMPORT, "variables": {"file": None, "format": "CSV"}}
    response = await api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("big.csv", big, "text/csv")},
        headers={"Authorization": f"Bearer {api.keys['coordinator']}"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_export_through_the_api(api: Api, world: World, store: Store) -> None:
    query = """query Export($filter: ProductExportFilter) {
      exportProducts(format: XLSX, filter: $filter) { filename mediaType size base64 } }"""
    data = await api.data(query, {"filter": {"statuses": ["PUBLISHED", "DRAFT"]}}, as_="coordinator")
    content = base64.b64decode(data["exportProducts"]["base64"])
    assert len(content) == data["exportProducts"]["size"] and content.startswith(b"PK")
    body = await api.gql(query, as_="buyer")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
