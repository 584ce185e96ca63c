"""Attachments are recognised by their bytes, not by their names or claimed types."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.domain import MediaKind
from bot.errors import Invalid
from bot.filetypes import checked, sniff


def zipped(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODT = zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, "JPEG", MediaKind.photo),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "PNG", MediaKind.photo),
        (b"GIF89a" + b"\0" * 20, "GIF", MediaKind.photo),
        (b"RIFF\x10\0\0\0WEBPVP8 " + b"\0" * 8, "WebP", MediaKind.photo),
        (b"\0\0\0\x18ftypmp42" + b"\0" * 20, "MP4", MediaKind.video),
        (b"\0\0\0\x14ftypqt  " + b"\0" * 20, "MOV", MediaKind.video),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF", MediaKind.document),
        (DOCX, "DOCX", MediaKind.document),
        (ODT, "ODT", MediaKind.document),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 20, "DOC", MediaKind.document),
    ],
)
def test_accepted_formats_are_known_by_their_bytes(data: bytes, name: str, kind: MediaKind) -> None:
    found = sniff(data, "file.doc")
    assert found is not None and found.name == name and found.kind == kind


@pytest.mark.parametrize(
    "data",
    [
        b"just some text\n",
        b"",
        b"PK\x03\x04 not really a zip",
        zipped({"a.txt": b"x"}),
        b"MZ\x90\0",
    ],
)
def test_other_bytes_are_refused_in_russian(data: bytes) -> None:
    assert sniff(data) is None
    with pytest.raises(Invalid) as refused:
        checked(MediaKind.photo, data, "photo.jpg")
    assert "«photo.jpg»" in refused.value.message and "не фото" in refused.value.message


def test_a_pdf_sent_as_a_photo_becomes_a_document() -> None:
    assert checked(MediaKind.photo, b"%PDF-1.4\n", "x.jpg").kind == MediaKind.document
    assert checked(MediaKind.document, b"\xff\xd8\xff\xe0", "scan.jpg").kind == MediaKind.document
