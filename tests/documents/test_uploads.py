"""Uploads: type from the content, name agreeing with it, size limit, clean names, nothing left on refusal."""

from __future__ import annotations

import hashlib

import pytest

from forewarn.audit.models import Event
from forewarn.core.errors import NotFound, PermissionDenied, ValidationFailed
from forewarn.documents import services
from forewarn.documents.models import Document
from forewarn.documents.validation import DOCX, clean_filename
from forewarn.organisations.models import Role
from tests.documents.builders import (
    FILES,
    docx_bytes,
    pdf_bytes,
    png_bytes,
    stored_files,
    text_bytes,
    upload,
)
from tests.factories import CaseFactory, PartyFactory, change_events, make_user, only_refused

pytestmark = pytest.mark.django_db

EXPECTED_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                  "docx": DOCX, "txt": "text/plain"}


def _upload(actor, case, name, content, **kwargs):
    kwargs.setdefault("kind", "evidence")
    kwargs.setdefault("title", "Exhibit 1")
    return services.document_upload(actor=actor, case_id=case.id, file=upload(name, content), **kwargs)


def _refused(actor, case, name, content, code, **kwargs):
    with pytest.raises(ValidationFailed) as refused:
        _upload(actor, case, name, content, **kwargs)
    assert refused.value.code == code, refused.value.message
    return refused.value


@pytest.mark.parametrize("key", list(FILES))
def test_each_allowed_type_is_stored_with_its_sniffed_type_size_and_hash(handler, media_root, key):
    case = CaseFactory()
    name, make = FILES[key]
    content = make()
    document = _upload(handler, case, name, content)

    document.refresh_from_db()
    assert document.content_type == EXPECTED_TYPES[key]
    assert (document.filename, document.size) == (name, len(content))
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.uploaded_by == handler and document.case == case
    [path] = stored_files(media_root)
    assert path.read_bytes() == content
    # Stored under a random name in the case's folder: not the uploaded name, no extension to execute.
    assert path.parent.name == str(case.id) and name not in str(path) and len(path.name) == 32
    event = change_events().get(action="document.upload")
    assert event.case_id == case.id and event.actor_id == handler.id
    assert event.data["sha256"] == document.sha256 and event.data["content_type"] == EXPECTED_TYPES[key]


@pytest.mark.parametrize("name, content", [
    ("statement.pdf", png_bytes()),        # a PNG pretending to be a PDF
    ("photo.png", pdf_bytes()),
    ("photo.jpg", png_bytes()),
    ("notes.txt", pdf_bytes()),
    ("statement.docx", text_bytes()),      # text wearing a Word name
    ("page.html", text_bytes()),           # text is only ever accepted as .txt
    ("statement", pdf_bytes()),            # no extension at all
])
def test_a_name_that_does_not_match_the_content_is_refused_and_nothing_is_written(handler, media_root, name,
                                                                                  content):
    case = CaseFactory()
    error = _refused(handler, case, name, content, "upload.type_mismatch")
    assert error.field == "file" and error.message.startswith("file: ")
    assert not Document.objects.exists() and stored_files(media_root) == []
    assert only_refused()


@pytest.mark.parametrize("name, content", [
    ("animation.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 32),
    ("program.exe", b"MZ\x90\x00" + b"\x00" * 200),
    ("archive.zip", b"PK\x03\x04" + b"\x00" * 100),
    ("notes.txt", b"plain start then binary \x00\x01\x02"),
    ("notes.txt", "Caf\u00e9 in Latin-1".encode("latin-1")),  # not UTF-8
])
def test_types_outside_the_allow_list_are_refused(handler, media_root, name, content):
    case = CaseFactory()
    error = _refused(handler, case, name, content, "upload.type_not_allowed")
    assert error.field == "file"
    assert not Document.objects.exists() and stored_files(media_root) == []


def test_a_zip_named_docx_without_a_word_document_is_refused(handler, media_root):
    _refused(handler, CaseFactory(), "statement.docx", docx_bytes(with_document=False), "upload.corrupt")
    assert stored_files(media_root) == []


def test_a_truncated_word_document_is_refused(handler, media_root):
    content = docx_bytes()
    _refused(handler, CaseFactory(), "statement.docx", content[: len(content) - 40], "upload.corrupt")
    assert stored_files(media_root) == []


def test_size_limit_from_settings(handler, settings, media_root):
    settings.FOREWARN_MAX_UPLOAD_BYTES = 1000
    case = CaseFactory()
    error = _refused(handler, case, "notes.txt", b"a" * 1001, "upload.too_large")
    assert "1,000 bytes" in error.message and error.field == "file"
    assert stored_files(media_root) == []
    assert _upload(handler, case, "notes.txt", b"a" * 1000).size == 1000


def test_size_is_measured_not_taken_from_the_upload(handler, settings, media_root):
    settings.FOREWARN_MAX_UPLOAD_BYTES = 1000
    lying = upload("notes.txt", b"a" * 5000)
    lying.size = 10  # a file object that under-reports its size
    with pytest.raises(ValidationFailed) as refused:
        services.document_upload(actor=handler, case_id=CaseFactory().id, kind="evidence", title="x", file=lying)
    assert refused.value.code == "upload.too_large"
    assert stored_files(media_root) == []


def test_an_empty_file_and_a_missing_file_are_refused(handler, media_root):
    case = CaseFactory()
    _refused(handler, case, "notes.txt", b"", "upload.empty")
    with pytest.raises(ValidationFailed) as refused:
        services.document_upload(actor=handler, case_id=case.id, kind="evidence", title="x", file=None)
    assert (refused.value.code, refused.value.field) == ("validation.required", "file")


@pytest.mark.parametrize("raw, cleaned", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\ada\\My statement (final).pdf", "My_statement_final.pdf"),
    ("..\\..\\boot.ini.txt", "boot.ini.txt"),
    (".hidden.txt", "hidden.txt"),
    ("Cafe\u0301 notes.txt", "Caf\u00e9_notes.txt"),  # NFC-normalised
    ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
])
def test_filenames_are_cleaned(raw, cleaned):
    assert clean_filename(raw) == cleaned


@pytest.mark.parametrize("raw", ["", "..", "/", "\x00", "???"])
def test_a_name_with_nothing_usable_is_refused(raw):
    with pytest.raises(ValidationFailed) as refused:
        clean_filename(raw)
    assert (refused.value.code, refused.value.field) == ("upload.filename", "file")


def test_the_cleaned_name_is_kept_for_the_download(handler):
    document = _upload(handler, CaseFactory(), "../My statement.pdf", pdf_bytes())
    assert document.filename == "My_statement.pdf"


def test_no_orphan_file_when_the_database_write_fails(handler, media_root, monkeypatch):
    def broken_audit(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "event_record", broken_audit)
    with pytest.raises(RuntimeError):
        _upload(handler, CaseFactory(), "statement.pdf", pdf_bytes())
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize("changes, field, code", [
    ({"title": "  "}, "title", "validation.required"),
    ({"title": "x" * 201}, "title", "validation.too_long"),
    ({"kind": "photograph"}, "kind", "validation.choice"),
    ({"kind": "letter"}, "recipient_party_id", "validation.required"),
    ({"kind": "evidence", "recipient_party_id": 1}, "recipient_party_id", "document.recipient_not_letter"),
])
def test_bad_fields_are_named_and_nothing_is_written(handler, media_root, changes, field, code):
    error = _refused(handler, CaseFactory(), "statement.pdf", pdf_bytes(), code, **changes)
    assert error.field == field
    assert stored_files(media_root) == [] and not Document.objects.exists()


def test_an_uploaded_letter_names_a_party_of_the_same_case(handler):
    case = CaseFactory()
    party = PartyFactory(case=case)
    stranger = PartyFactory()  # a party of another case
    _refused(handler, case, "letter.pdf", pdf_bytes(), "validation.unknown_party", kind="letter",
             recipient_party_id=stranger.id)
    document = _upload(handler, case, "letter.pdf", pdf_bytes(), kind="letter", recipient_party_id=party.id)
    assert document.recipient_party == party


def test_another_forces_case_is_not_found_and_nothing_is_written(other_force_handler, media_root):
    case = CaseFactory()  # a Met case
    with pytest.raises(NotFound):
        _upload(other_force_handler, case, "statement.pdf", pdf_bytes())
    assert stored_files(media_root) == [] and not Document.objects.exists()


def test_a_role_without_upload_rights_is_refused_on_a_case_it_can_see(media_root):
    admin = make_user(Role.ADMINISTRATOR)  # sees the force's cases; manages accounts, not evidence
    case = CaseFactory()
    with pytest.raises(PermissionDenied):
        _upload(admin, case, "statement.pdf", pdf_bytes())
    assert stored_files(media_root) == [] and only_refused()
    assert Event.objects.get().data["code"] == "permission.denied"
