"""Documents attached to producers and products: the type, its upload and removal. The rules live in
market/catalog/documents.py, who may read a document in market/catalog/policy.py."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from bson import ObjectId
from strawberry import relay
from strawberry.file_uploads import Upload
from strawberry.types import Info

from market.catalog import documents as catalog_documents
from market.catalog import policy
from market.catalog.documents import MAX_DOCUMENT_BYTES, DocumentType
from market.catalog.records import Product as ProductRecord
from schema.catalog.types import Producer, Product
from schema.enums import describe_enum
from schema.errors import UserError, returns_user_errors
from schema.links import absolute_url
from schema.nodes import everyone, resolve_visible
from schema.pagination import decode_global_id

if TYPE_CHECKING:
    from schema.context import Context

describe_enum(
    DocumentType,
    "What a document attests.",
    {
        DocumentType.OCOP_CERTIFICATE: "The OCOP certificate (giấy chứng nhận OCOP) with its star rating.",
        DocumentType.SELF_DECLARED_STANDARD: "The producer's self-declared product standard (bản tự công bố sản phẩm).",
        DocumentType.FOOD_SAFETY: "A food-safety certificate of the premises (giấy chứng nhận cơ sở đủ điều kiện "
        "an toàn thực phẩm).",
        DocumentType.LAB_TEST: "A laboratory test report (phiếu kết quả kiểm nghiệm).",
        DocumentType.VIETGAP: "A VietGAP certificate.",
        DocumentType.ORGANIC: "An organic certificate (chứng nhận hữu cơ).",
        DocumentType.HALAL: "A Halal certificate.",
        DocumentType.OTHER: "Any other paper.",
    },
)


async def visible_documents(
    info: Info["Context", None], records: Sequence[catalog_documents.Document]
) -> list[catalog_documents.Document]:
    """The documents the viewer may read, their producers and products loaded in one batch each."""
    loaders = info.context.loaders
    producers = await loaders.producer.load_many([d.producer_id for d in records])
    product_ids = [d.product_id for d in records if d.product_id is not None]
    products: dict[ObjectId, ProductRecord] = {
        p.id: p for p in await loaders.product.load_many(product_ids) if p is not None
    }
    return [
        d
        for d, producer in zip(records, producers, strict=True)
        if producer is not None
        and policy.can_see_document(
            info.context.viewer, d.product_id, producer, products.get(d.product_id) if d.product_id else None
        )
    ]


@strawberry.type(
    description="A paper a producer attached to itself or to one of its products. Read by the producer's members, "
    "admins and the OCOP office of its province (for a product's paper, of the province the product is certified "
    "in, and once the product is published of the producer's province too); signed-in buyers read a producer's "
    "own documents and those of its published products. Nobody else, the public included."
)
class Document(relay.Node):
    id: relay.NodeID[str]
    type: DocumentType = strawberry.field(description="What it attests.")
    number: str | None = strawberry.field(description="Its number as issued; null when not given.")
    issuer: str | None = strawberry.field(description="Who issued it; null when not given.")
    issued_on: date | None = strawberry.field(description="The day it was issued; null when not given.")
    valid_until: date | None = strawberry.field(description="Its last day of validity; null when it does not lapse.")
    expired: bool = strawberry.field(description="True once `validUntil` has passed.")
    file_name: str = strawberry.field(
        description="The file's name, ending in the extension of what its content is (`.pdf`, `.jpg`, `.png`)."
    )
    content_type: str = strawberry.field(
        description="What the content is, told by its bytes: `application/pdf`, `image/jpeg` or `image/png`."
    )
    size_bytes: int = strawberry.field(description="The file's size in bytes.")
    uploaded_at: datetime = strawberry.field(description="When it was uploaded.")
    record: strawberry.Private[catalog_documents.Document]

    @classmethod
    def from_record(cls, d: catalog_documents.Document) -> "Document":
        return cls(
            id=str(d.id), type=d.type, number=d.number, issuer=d.issuer, issued_on=d.issued_on,
            valid_until=d.valid_until, expired=d.expired, file_name=d.file_name, content_type=d.kind.value,
            size_bytes=d.size, uploaded_at=d.uploaded_at, record=d,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["Document | None"]:
        async def visible_only(ids: list[ObjectId]) -> list[catalog_documents.Document]:
            found = [d for d in await info.context.loaders.document.load_many(ids) if d is not None]
            return await visible_documents(info, found)

        return await resolve_visible(node_ids, visible_only, everyone, cls.from_record)

    @strawberry.field(
        description="Where to download the file: a GET with the same `Authorization` header, answered only to "
        "whoever may read the document (404 otherwise)."
    )
    def url(self, info: Info["Context", None]) -> str:
        return absolute_url(info, f"/documents/{self.id}")

    @strawberry.field(description="The producer it belongs to.")
    async def producer(self, info: Info["Context", None]) -> Producer | None:
        record = await info.context.loaders.producer.load(self.record.producer_id)
        return Producer.from_record(record) if record else None

    @strawberry.field(
        description="The product it is about; null for the producer's own papers, or if you may not see it."
    )
    async def product(self, info: Info["Context", None]) -> Product | None:
        if self.record.product_id is None:
            return None
        return (await Product.resolve_nodes(info=info, node_ids=[str(self.record.product_id)]))[0]


@strawberry.input(description="What a document is and whom it concerns: give `productId` or `producerId`, not both.")
class UploadDocumentInput:
    type: DocumentType = strawberry.field(description="What it attests.")
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="The product it is about (a Product id of your producer)."
    )
    producer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Your producer (a Producer id), for papers about the producer itself."
    )
    number: str | None = strawberry.field(default=None, description="Its number as issued, at most 100 characters.")
    issuer: str | None = strawberry.field(default=None, description="Who issued it, at most 200 characters.")
    issued_on: date | None = strawberry.field(default=None, description="The day it was issued, not after today.")
    valid_until: date | None = strawberry.field(
        default=None, description="Its last day of validity, not before `issuedOn` (INVALID otherwise)."
    )


@strawberry.type(description="The result of `uploadDocument` or `deleteDocument`: the document, or the errors.")
class DocumentPayload:
    document: Document | None = strawberry.field(
        default=None,
        description="The document as stored (or as it was, when deleted); null when `errors` is not empty.",
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was written; empty on success."
    )


@strawberry.type
class DocumentMutation:
    @strawberry.mutation(
        description="Attach a document (a GraphQL multipart request: the file in the `file` variable). The content "
        f"decides its type: PDF, JPEG or PNG, at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB; the file's name "
        "and declared type are not trusted. The producer's members and admins. `errors`: REQUIRED (`file` empty), "
        "OUT_OF_RANGE (`file` too large, a date out of range), INVALID (`file` not PDF, JPEG or PNG, or declared "
        "as another of them; both or neither of `productId` and `producerId`; `validUntil` before `issuedOn`), "
        "NOT_FOUND, FORBIDDEN, TOO_LONG."
    )
    @returns_user_errors(DocumentPayload)
    async def upload_document(
        self,
        info: Info["Context", None],
        file: Annotated[Upload, strawberry.argument(description="The file, PDF, JPEG or PNG.")],
        input: Annotated[UploadDocumentInput, strawberry.argument(description="What the document is.")],
    ) -> DocumentPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        data = {
            "type": input.type,
            "productId": decode_global_id(input.product_id, "Product", "productId") if input.product_id else None,
            "producerId": decode_global_id(input.producer_id, "Producer", "producerId") if input.producer_id else None,
            "number": input.number,
            "issuer": input.issuer,
            "issuedOn": input.issued_on,
            "validUntil": input.valid_until,
        }
        # The request body limit (OCOP_MAX_UPLOAD_BYTES) bounds what this reads.
        content = await file.read()  # type: ignore[attr-defined]
        record = await catalog_documents.upload_document(
            ctx.store, viewer, data, content, file_name=getattr(file, "filename", None),
            content_type=getattr(file, "content_type", None),
        )  # fmt: skip
        return DocumentPayload(document=Document.from_record(record))

    @strawberry.mutation(
        description="Remove a document and its file. The producer's members and admins. `errors`: NOT_FOUND (no "
        "such document, or one you may not see), INVALID (an id of another type), FORBIDDEN."
    )
    @returns_user_errors(DocumentPayload)
    async def delete_document(
        self,
        info: Info["Context", None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The Document id.")],
    ) -> DocumentPayload:
        ctx = info.context
        record = await catalog_documents.delete_document(
            ctx.store, ctx.require_viewer(), decode_global_id(id, "Document", "id")
        )
        return DocumentPayload(document=Document.from_record(record))
