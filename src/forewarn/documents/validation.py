"""Upload checks: the type comes from the content (magic bytes), never from the name or the browser.

Everything here reads the upload and writes nothing; a refusal names the field (`file` or `title`).
OWASP File Upload Cheat Sheet: allow-list of types, type validated from content, extension must agree,
size limit, file renamed on storage, served only as an attachment with `nosniff`.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import filetype
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename

from forewarn.core.errors import ValidationFailed

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"

# Content type -> (words for messages, extensions a name may carry for it).
ALLOWED_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "application/pdf": ("a PDF document", (".pdf",)),
    "image/png": ("a PNG image", (".png",)),
    "image/jpeg": ("a JPEG image", (".jpg", ".jpeg")),
    DOCX: ("a Word document (.docx)", (".docx",)),
    TEXT: ("a plain-text file", (".txt",)),
}
ALLOWED_WORDS = "PDF, PNG, JPEG, Word (.docx) or plain text (.txt)"
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
FILENAME_MAX = 150
# Enough for every magic-byte matcher we allow: the .docx matcher looks for the "word/" part among the
# first few entries of the ZIP, within about 6 kB of each other.
SNIFF_BYTES = 64 * 1024
# Text may contain tabs, line breaks and form feeds; any other control character (Unicode category Cc)
# means it is not text.
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    content_type: str
    size: int
    sha256: str


def max_upload_bytes() -> int:
    return int(getattr(settings, "FOREWARN_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def _refuse(message: str, code: str, field: str = "file") -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", field=field, code=code)


def clean_filename(name: str | None) -> str:
    """The last path component, NFC-normalised, reduced to safe characters, at most 150 characters."""
    raw = str(name or "")
    # Browsers on Windows have sent full paths ("C:\\Users\\…\\statement.pdf").
    base = PureWindowsPath(PurePosixPath(raw).name).name
    base = unicodedata.normalize("NFC", base).replace("\x00", "")
    try:
        cleaned = get_valid_filename(base)
    except SuspiciousFileOperation:
        cleaned = ""
    cleaned = cleaned.lstrip(".")  # no hidden files, no "..": the name is only ever shown, but keep it plain
    if not cleaned:
        raise _refuse("the file has no usable name.", "upload.filename")
    if len(cleaned) > FILENAME_MAX:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = f"{stem[:FILENAME_MAX - len(ext) - 1]}.{ext}" if dot and len(ext) <= 10 else cleaned[:FILENAME_MAX]
    return cleaned


def sniff(head: bytes) -> str | None:
    """The content type the magic bytes say, or None when they say nothing (plain text has none)."""
    kind = filetype.guess(head)
    return kind.mime if kind else None


def _chunks(upload):
    if hasattr(upload, "chunks"):
        yield from upload.chunks()
    else:
        while chunk := upload.read(64 * 1024):
            yield chunk


def _is_docx(upload) -> bool:
    """A real Word package: a ZIP whose central directory names the main document part."""
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as package:
            return "word/document.xml" in package.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)


def inspect_upload(upload, *, max_bytes: int | None = None) -> CheckedUpload:
    """Check an uploaded file and measure it; raise ValidationFailed (field `file`) to refuse it."""
    if upload is None:
        raise _refuse("choose a file to upload.", "validation.required")
    max_bytes = max_upload_bytes() if max_bytes is None else max_bytes
    filename = clean_filename(getattr(upload, "name", ""))
    declared = getattr(upload, "size", None)
    if declared is not None and declared > max_bytes:
        raise _refuse(f"the file is {declared:,} bytes; the largest allowed is {max_bytes:,} bytes.",
                      "upload.too_large")

    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if not head:
        raise _refuse("the file is empty.", "upload.empty")
    content_type = sniff(head) or TEXT  # no magic bytes: it can only be accepted as text, checked below
    if content_type not in ALLOWED_TYPES:
        raise _refuse(f"files of type {content_type} are not accepted; upload a {ALLOWED_WORDS} file.",
                      "upload.type_not_allowed")
    words, extensions = ALLOWED_TYPES[content_type]
    if PurePosixPath(filename).suffix.lower() not in extensions:
        raise _refuse(f"the name '{filename}' does not match its content, which is {words} "
                      f"(expected a name ending {' or '.join(extensions)}).", "upload.type_mismatch")
    if content_type == DOCX and not _is_docx(upload):
        raise _refuse("the file is not a complete Word (.docx) document.", "upload.corrupt")

    digest = hashlib.sha256()
    size = 0
    decoder = codecs.getincrementaldecoder("utf-8-sig")() if content_type == TEXT else None
    for chunk in _chunks(upload):
        size += len(chunk)
        if size > max_bytes:
            raise _refuse(f"the file is larger than the {max_bytes:,} bytes allowed.", "upload.too_large")
        digest.update(chunk)
        if decoder is not None:
            _check_text(decoder, chunk)
    if decoder is not None:
        _check_text(decoder, b"", final=True)
    upload.seek(0)
    return CheckedUpload(filename=filename, content_type=content_type, size=size, sha256=digest.hexdigest())


def _check_text(decoder, chunk: bytes, *, final: bool = False) -> None:
    try:
        text = decoder.decode(chunk, final=final)
    except UnicodeDecodeError:
        raise _refuse(f"the content is not a {ALLOWED_WORDS} file (plain text must be UTF-8).",
                      "upload.type_not_allowed") from None
    if _BINARY_CONTROL.search(text):
        raise _refuse(f"the content is not a {ALLOWED_WORDS} file (it contains binary data).",
                      "upload.type_not_allowed")
