"""Products in and out as files: `importProducts` (an upload, by the GraphQL multipart request spec) and
`exportProducts`. The rules live in market.catalog (importer, exporter, policy.import_scope)."""

import base64
import tempfile
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from market.catalog.exporter import export_products
from market.catalog.import_report import error_report
from market.catalog.importer import ImportReport, RowError, import_products
from market.catalog.policy import import_rights, import_scope
from market.catalog.records import ProductStatus
from market.catalog.repository import ProductFilter
from market.core.table_writer import MEDIA_TYPES, Format
from schema.enums import describe_enum
from schema.errors import UserError, returns_user_errors

if TYPE_CHECKING:
    from schema.context import Context

# Row errors listed in the payload; the report file holds them all.
MAX_ROW_ERRORS = 1000
_CHUNK = 1024 * 1024


class TableFormat(Enum):
    XLSX = "xlsx"
    CSV = "csv"

    @property
    def format(self) -> Format:
        return "csv" if self is TableFormat.CSV else "xlsx"


describe_enum(
    TableFormat,
    "A spreadsheet file format.",
    {
        TableFormat.XLSX: "An Excel workbook (.xlsx).",
        TableFormat.CSV: "Comma-separated text in UTF-8 with a byte order mark (.csv).",
    },
)


@strawberry.type(description="A file handed back inline: decode `base64` and save it under `filename`.")
class FileContent:
    filename: str = strawberry.field(description="A name to save it under, e.g. `san-pham-ocop.xlsx`.")
    media_type: str = strawberry.field(description="Its media type, for a `Blob` or a download link.")
    size: int = strawberry.field(description="Its length in bytes.")
    base64: str = strawberry.field(description="Its content, base64-encoded.")

    @classmethod
    def of(cls, path: Path, filename: str, media_type: str) -> "FileContent":
        data = path.read_bytes()
        return cls(filename=filename, media_type=media_type, size=len(data), base64=base64.b64encode(data).decode())


@strawberry.type(description="Why one row of an imported file was refused.")
class ImportRowError:
    line: int = strawberry.field(description="The row's line in the file (its row number in a workbook).")
    column: str | None = strawberry.field(description="The file's header of the column at fault, when known.")
    field: str | None = strawberry.field(description="The field at fault, e.g. `priceVnd`; null for the row.")
    code: str = strawberry.field(description="An `ErrorCode` name, e.g. `INVALID`.")
    message_vi: str = strawberry.field(description="The reason in Vietnamese.")
    message_en: str = strawberry.field(description="The reason in English.")

    @classmethod
    def of(cls, e: RowError) -> "ImportRowError":
        return cls(
            line=e.line, column=e.column, field=e.field, code=e.code, message_vi=e.reason_vi, message_en=e.reason
        )


@strawberry.type(description="The result of an import: the counts, the refused rows and the error report.")
class ImportProductsPayload:
    rows: int = strawberry.field(default=0, description="Data rows read.")
    created: int = strawberry.field(default=0, description="Products added.")
    updated: int = strawberry.field(default=0, description="Products changed (matched by `Mã sản phẩm`).")
    unchanged: int = strawberry.field(default=0, description="Rows identical to the stored product.")
    failed: int = strawberry.field(default=0, description="Rows refused; the others were imported.")
    producers_created: int = strawberry.field(default=0, description="Producers registered for new names.")
    read_as: str | None = strawberry.field(
        default=None, description="How the file was read, e.g. `xlsx`, `delimited ; cp1258`, `jsonl utf-8`."
    )
    row_errors: list[ImportRowError] = strawberry.field(
        default_factory=list, description=f"The refused rows' reasons, at most {MAX_ROW_ERRORS}."
    )
    report: FileContent | None = strawberry.field(
        default=None,
        description="Every refused row with its reasons and its cells as the file had them, to correct and "
        "import again; null when no row was refused.",
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why the file was refused as a whole (nothing written): an unknown or repeated column, an "
        "unreadable encoding or workbook, a zip bomb (field `file`); FORBIDDEN for other roles.",
    )

    @classmethod
    def of(cls, report: ImportReport, file: FileContent | None) -> "ImportProductsPayload":
        how = " ".join(x for x in (report.kind, report.delimiter, report.encoding) if x)
        return cls(
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            failed=report.failed,
            producers_created=report.producers_created,
            read_as=how or None,
            row_errors=[ImportRowError.of(e) for e in report.errors[:MAX_ROW_ERRORS]],
            report=file,
        )


@strawberry.input(description="Which products to export, within those you may export.")
class ProductExportFilter:
    province: str | None = strawberry.field(
        default=None, description="A province code or any current or old name (an old one: only its products)."
    )
    statuses: list[ProductStatus] | None = strawberry.field(
        default=None, description="The statuses to include; by default PUBLISHED and DRAFT."
    )


async def _saved(upload: Upload, target: Path) -> None:
    """The upload copied to a file in pieces: the reader needs a file it can seek, and a request never holds
    it whole twice."""
    with target.open("wb") as out:
        while chunk := await upload.read(_CHUNK):  # type: ignore[attr-defined]
            out.write(chunk)


@strawberry.type
class TransferMutation:
    @strawberry.mutation(
        description="Import products from an uploaded XLSX, CSV (comma, semicolon or tab; UTF-8, UTF-16 or "
        "Windows-1258) or JSON Lines file with Vietnamese or English headers, as `ocop import-products` does. "
        "A producer's members import its own products, a provincial OCOP office its province's (registering new "
        "producers), admins any. Rows are matched by `Mã sản phẩm` and producer: a re-import updates in place. "
        "Good rows are imported even when others are refused. Send it as a multipart request "
        "(github.com/jaydenseric/graphql-multipart-request-spec), at most `OCOP_MAX_UPLOAD_BYTES`."
    )
    @returns_user_errors(ImportProductsPayload)
    async def import_products(
        self,
        info: Info["Context", None],
        file: Annotated[Upload, strawberry.argument(description="The file, as a multipart upload.")],
        report_format: Annotated[
            TableFormat, strawberry.argument(description="The format of the error report.")
        ] = TableFormat.XLSX,
    ) -> ImportProductsPayload:
        ctx = info.context
        scope = import_rights(ctx.require_viewer())
        with tempfile.TemporaryDirectory(prefix="ocop-import-") as tmp:
            source = Path(tmp) / "upload"
            await _saved(file, source)
            report_path = Path(tmp) / f"loi-nhap.{report_format.value}"
            with error_report(report_path) as sink:
                result = await import_products(ctx.store, source, scope=scope, errors_to=sink)
            content = (
                FileContent.of(report_path, report_path.name, MEDIA_TYPES[report_format.format])
                if result.failed
                else None
            )
        return ImportProductsPayload.of(result, content)


@strawberry.type
class TransferQuery:
    @strawberry.field(
        description="Products as a spreadsheet with the import's Vietnamese headers, inline as base64: edit it and "
        "send it back to `importProducts`. A producer's members export its products, a provincial OCOP office "
        "its province's (drafts included), admins any; anyone else gets FORBIDDEN. An unknown province is "
        "UNKNOWN_PROVINCE."
    )
    async def export_products(
        self,
        info: Info["Context", None],
        format: Annotated[TableFormat, strawberry.argument(description="The file format.")] = TableFormat.XLSX,
        filter: Annotated[
            ProductExportFilter | None, strawberry.argument(description="Which products; all you may export.")
        ] = None,
    ) -> FileContent:
        ctx = info.context
        scope = import_scope(ctx.require_viewer())
        statuses = tuple(ProductStatus(s.value) for s in (filter.statuses or [])) if filter else ()
        flt = ProductFilter(province=filter.province if filter else None, statuses=statuses)
        with tempfile.TemporaryDirectory(prefix="ocop-export-") as tmp:
            path = Path(tmp) / f"san-pham-ocop.{format.value}"
            await export_products(ctx.store, path, format.format, scope, flt)
            return FileContent.of(path, path.name, MEDIA_TYPES[format.format])
