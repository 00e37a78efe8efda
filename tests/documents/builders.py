"""Builders for documents and portal tests: files of each type, and complaints at the points where
letters are sent, reached through the real lifecycle. Fictional people only."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

from forewarn.cases.lifecycle import CASE_MACHINE
from forewarn.cases.models import CaseStatus
from forewarn.core.lifecycle import run_transition
from tests.factories import CaseFactory, PartyFactory

REASONS = {"reasons": "Reasons recorded for the decision."}
OUTCOME = "The officer's manner fell short of what you should expect; the officer has been spoken to."


def png_bytes() -> bytes:
    """A real 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
            + chunk(b"IEND", b""))


def pdf_bytes() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def docx_bytes(*, with_document: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("word/styles.xml" if not with_document else "word/document.xml",
                         '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


def text_bytes() -> bytes:
    return "Statement of a fictional witness.\r\nI saw the officer at the counter — at 10:15.\n".encode()


FILES = {
    "pdf": ("statement.pdf", pdf_bytes),
    "png": ("photo.png", png_bytes),
    "jpg": ("photo.jpg", jpeg_bytes),
    "jpeg": ("photo.jpeg", jpeg_bytes),
    "docx": ("statement.docx", docx_bytes),
    "txt": ("notes.txt", text_bytes),
}


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    # The browser's declared type is deliberately wrong: Forewarn must never trust it.
    return SimpleUploadedFile(name, content, content_type=content_type)


def complaint_with_complainant(**case_fields):
    case = CaseFactory(**case_fields)
    party = PartyFactory(case=case, full_name="Ada Fictional", email="Ada.Fictional@example.org")
    return case, party


def step(case, actor, action: str, payload: dict | None = None):
    run_transition(machine=CASE_MACHINE, obj_id=case.pk, actor=actor, action=action, payload=payload or {})
    case.refresh_from_db()
    return case


def complaint_recorded(actor):
    case, party = complaint_with_complainant(status=CaseStatus.RECEIVED)
    step(case, actor, "log")
    step(case, actor, "record")
    return case, party


def complaint_with_outcome(actor):
    """A complaint handled otherwise than by investigation whose outcome has been given (review clock running)."""
    case, party = complaint_recorded(actor)
    step(case, actor, "decide_not_to_refer", REASONS)
    step(case, actor, "handle_otherwise", REASONS)
    step(case, actor, "notify_outcome", {"outcome_summary": OUTCOME})
    assert case.status == CaseStatus.OUTCOME_NOTIFIED
    return case, party


def stored_files(root) -> list:
    """Every file under MEDIA_ROOT."""
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
