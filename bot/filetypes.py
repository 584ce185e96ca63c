"""What an attachment really is, read from its first bytes (its "magic number"), never from its
name or from the type a chat client claims: a text file picked with «Все файлы» in a photo
picker must not go out as a broken photo.

Only the formats the desk accepts are known here, each checked explicitly (signatures as in
the formats' own specifications: JPEG SOI FF D8 FF, PNG's 8-byte signature, GIF87a/GIF89a,
RIFF…WEBP, ISO BMFF `ftyp` for MP4/MOV, %PDF-, ZIP with word/ xl/ ppt/ for Office Open XML,
the ZIP `mimetype` entry of OpenDocument, the OLE2 compound file of old Word/Excel/PowerPoint).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from bot.domain import MediaKind
from bot.errors import Invalid

ACCEPTED = (
    "фото (JPEG, PNG, GIF, WebP), видео (MP4, MOV) или документ (PDF, Word, Excel, PowerPoint)"
)


@dataclass(frozen=True)
class Format:
    name: str
    kind: MediaKind
    mime: str

    @property
    def extensions(self) -> tuple[str, ...]:
        return {"JPEG": ("jpg", "jpeg"), "MOV": ("mov", "qt")}.get(self.name, (self.name.lower(),))

    def filename(self, given: str) -> str:
        """`given` with this format's extension: a PDF sent as «photo.jpg» is «photo.pdf»."""
        stem, dot, ext = given.rpartition(".")
        if dot and ext.lower() in self.extensions:
            return given
        return f"{stem if dot else given or 'file'}.{self.extensions[0]}"


JPEG = Format("JPEG", MediaKind.photo, "image/jpeg")
PNG = Format("PNG", MediaKind.photo, "image/png")
GIF = Format("GIF", MediaKind.photo, "image/gif")
WEBP = Format("WebP", MediaKind.photo, "image/webp")
MP4 = Format("MP4", MediaKind.video, "video/mp4")
MOV = Format("MOV", MediaKind.video, "video/quicktime")
PDF = Format("PDF", MediaKind.document, "application/pdf")
OOXML = {
    "word/": Format(
        "DOCX",
        MediaKind.document,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xl/": Format(
        "XLSX",
        MediaKind.document,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "ppt/": Format(
        "PPTX",
        MediaKind.document,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
}
ODF = {
    "application/vnd.oasis.opendocument.text": Format(
        "ODT", MediaKind.document, "application/vnd.oasis.opendocument.text"
    ),
    "application/vnd.oasis.opendocument.spreadsheet": Format(
        "ODS", MediaKind.document, "application/vnd.oasis.opendocument.spreadsheet"
    ),
    "application/vnd.oasis.opendocument.presentation": Format(
        "ODP", MediaKind.document, "application/vnd.oasis.opendocument.presentation"
    ),
}
OLE2 = {
    "doc": Format("DOC", MediaKind.document, "application/msword"),
    "xls": Format("XLS", MediaKind.document, "application/vnd.ms-excel"),
    "ppt": Format("PPT", MediaKind.document, "application/vnd.ms-powerpoint"),
}
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip")


def sniff(data: bytes, filename: str = "") -> Format | None:
    """The accepted format these bytes are in, or None."""
    head = data[:16]
    if head[:3] == b"\xff\xd8\xff":
        return JPEG
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        return MOV if head[8:12] == b"qt  " else MP4
    if head[4:8] in QUICKTIME_ATOMS and len(data) >= 8:
        return MOV
    if head[:5] == b"%PDF-":
        return PDF
    if head[:4] == b"PK\x03\x04":
        return _zipped(data)
    if head[:8] == OLE2_SIGNATURE:
        # The compound file says little by itself; the name tells a Word file from an Excel one.
        return OLE2.get(filename.rsplit(".", 1)[-1].lower(), OLE2["doc"])
    return None


def _zipped(data: bytes) -> Format | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                found = ODF.get(archive.read("mimetype").decode("ascii", "replace").strip())
                if found is not None:
                    return found
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    for prefix, found in OOXML.items():
        if any(name.startswith(prefix) for name in names):
            return found
    return None


def checked(kind: MediaKind, data: bytes, filename: str) -> Format:
    """The file's real format; a photo that is really a PDF becomes a document, a video sent as
    a file becomes a video. Anything else is refused in Russian, nothing is kept."""
    found = sniff(data, filename)
    if found is None:
        name = f"«{filename}» " if filename else ""
        raise Invalid(
            f"Файл {name}я не могу принять: внутри не фото, не видео и не документ, которые "
            f"можно опубликовать. Пришлите {ACCEPTED}."
        )
    if kind == MediaKind.document and found.kind == MediaKind.video:
        return found
    if kind == MediaKind.document and found.kind == MediaKind.photo:
        return Format(found.name, MediaKind.document, found.mime)  # sent as a file: kept so
    return found
