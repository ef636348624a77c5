"""What kind of file an upload is, told by its first bytes. A file name and a declared content type are the
sender's claims; only the content decides what is stored and how it is served back."""

from __future__ import annotations

from enum import StrEnum


class FileKind(StrEnum):
    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"


# Signatures from the PDF (ISO 32000: "%PDF-"), JPEG (SOI marker followed by another marker) and PNG
# specifications.
_SIGNATURES: tuple[tuple[bytes, FileKind], ...] = (
    (b"%PDF-", FileKind.PDF),
    (b"\xff\xd8\xff", FileKind.JPEG),
    (b"\x89PNG\r\n\x1a\n", FileKind.PNG),
)

EXTENSIONS: dict[FileKind, str] = {FileKind.PDF: "pdf", FileKind.JPEG: "jpg", FileKind.PNG: "png"}
_BY_EXTENSION = {"pdf": FileKind.PDF, "jpg": FileKind.JPEG, "jpeg": FileKind.JPEG, "png": FileKind.PNG}
_BY_MEDIA_TYPE = {"application/pdf": FileKind.PDF, "image/jpeg": FileKind.JPEG, "image/jpg": FileKind.JPEG,
                  "image/pjpeg": FileKind.JPEG, "image/png": FileKind.PNG}  # fmt: skip


def sniff(content: bytes) -> FileKind | None:
    """The kind the content is, or None when it is none of the accepted ones."""
    for signature, kind in _SIGNATURES:
        if content.startswith(signature):
            return kind
    return None


def claimed(file_name: str | None, content_type: str | None) -> FileKind | None:
    """The accepted kind the sender claims, by declared type first, else by the name's extension; None when it
    claims nothing we accept (`application/octet-stream`, no extension), which is no contradiction."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in _BY_MEDIA_TYPE:
        return _BY_MEDIA_TYPE[media]
    _, dot, extension = (file_name or "").rpartition(".")
    return _BY_EXTENSION.get(extension.lower()) if dot else None
