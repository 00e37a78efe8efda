"""Documents over the web UI and the API: upload, list, download — scoped, audited, always an attachment."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from forewarn.audit.models import Event, EventKind
from forewarn.documents import services
from forewarn.documents.models import Document
from forewarn.organisations.models import Role
from forewarn.organisations.services import api_token_issue
from tests.documents.builders import complaint_with_outcome, pdf_bytes, png_bytes, stored_files, upload
from tests.factories import CaseFactory, make_user, sign_in

pytestmark = pytest.mark.django_db


def _document(actor, case=None, name="statement.pdf", content=None):
    case = case or CaseFactory()
    return services.document_upload(actor=actor, case_id=case.id, kind="statement", title="Witness statement",
                                    file=upload(name, content or pdf_bytes()))


def _bearer(user) -> dict:
    _, secret = api_token_issue(actor=user, user_id=user.id, name="tests", scopes=["read", "write"])
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _assert_attachment(response, document, content: bytes):
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{document.filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == document.content_type
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == content


# -- web --------------------------------------------------------------------------------------------
def test_case_page_lists_documents_and_offers_upload_and_letters(client, handler):
    document = _document(handler)
    sign_in(client, handler)
    html = client.get(reverse("web:case-detail", args=[document.case_id])).content.decode()
    assert "Documents and letters" in html and "Witness statement" in html
    assert reverse("documents:download", args=[document.id]) in html
    assert reverse("documents:upload", args=[document.case_id]) in html
    assert reverse("documents:letter-issue", args=[document.case_id]) in html


def test_case_page_hides_documents_from_a_role_without_document_rights(client, handler):
    document = _document(handler)
    nobody_for_documents = make_user(Role.VETTING_OFFICER)
    sign_in(client, nobody_for_documents)
    assert client.get(reverse("web:case-detail", args=[document.case_id])).status_code == 404
    assert client.get(reverse("documents:download", args=[document.id])).status_code == 404


def test_upload_through_the_web_form(client, handler, media_root):
    case = CaseFactory()
    sign_in(client, handler)
    url = reverse("documents:upload", args=[case.id])
    page = client.get(url)
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content
    response = client.post(url, {"kind": "evidence", "title": "Photo of the counter",
                                 "file": upload("counter.png", png_bytes())})
    assert response.status_code == 302 and response["Location"] == reverse("web:case-detail", args=[case.id])
    document = Document.objects.get()
    assert (document.title, document.content_type) == ("Photo of the counter", "image/png")


def test_web_form_shows_a_refused_upload_against_the_file_field(client, handler, media_root):
    case = CaseFactory()
    sign_in(client, handler)
    response = client.post(reverse("documents:upload", args=[case.id]),
                           {"kind": "evidence", "title": "Not a PDF", "file": upload("statement.pdf", png_bytes())})
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html and "does not match its content" in html
    assert 'id="file-error"' in html
    assert not Document.objects.exists() and stored_files(media_root) == []


def test_issue_a_letter_from_the_case_page(client, caseworker):
    case, party = complaint_with_outcome(caseworker)
    sign_in(client, caseworker)
    url = reverse("documents:letter-issue", args=[case.id])
    assert party.full_name in client.get(url).content.decode()
    response = client.post(url, {"party_id": party.id, "template": "outcome", "review_body": "lpb"})
    assert response.status_code == 302
    letter = Document.objects.get()
    assert letter.recipient_party == party and letter.template == "outcome"
    refused = client.post(url, {"party_id": party.id, "template": "outcome"})
    assert refused.status_code == 200 and "say which body reviews this complaint" in refused.content.decode()


def test_download_is_an_audited_attachment(client, handler):
    document = _document(handler)
    sign_in(client, handler)
    _assert_attachment(client.get(reverse("documents:download", args=[document.id])), document, pdf_bytes())
    read = Event.objects.get(kind=EventKind.READ, object_type="documents.document")
    assert (read.object_id, read.actor_id, read.case_id) == (document.id, handler.id, document.case_id)


def test_text_is_sent_as_utf8_plain_text(client, handler):
    content = "Statement — fictional\n".encode()
    document = _document(handler, name="notes.txt", content=content)
    sign_in(client, handler)
    response = client.get(reverse("documents:download", args=[document.id]))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert b"".join(response.streaming_content) == content


def test_another_force_gets_404_for_every_document_page(client, handler, other_force_handler):
    document = _document(handler)
    sign_in(client, other_force_handler)
    for url in (reverse("documents:download", args=[document.id]),
                reverse("documents:upload", args=[document.case_id]),
                reverse("documents:letter-issue", args=[document.case_id])):
        assert client.get(url).status_code == 404, url
    assert not Event.objects.filter(kind=EventKind.READ, object_type="documents.document").exists()


def test_files_are_never_served_from_a_media_url(client, handler, media_root):
    document = _document(handler)
    sign_in(client, handler)
    assert client.get(f"/media/{document.file.name}").status_code == 404
    assert client.get(f"/{document.file.name}").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, handler):
    document = _document(handler)
    response = client.get(reverse("documents:download", args=[document.id]))
    assert response.status_code == 302 and reverse("web:sign-in") in response["Location"]


# -- API --------------------------------------------------------------------------------------------
def test_api_multipart_upload_list_get_and_download(handler, media_root):
    case = CaseFactory()
    client, auth = Client(), _bearer(handler)
    response = client.post(f"/api/cases/{case.id}/documents",
                           {"kind": "evidence", "title": "Photo", "file": upload("photo.png", png_bytes())}, **auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image/png" and body["size"] == len(png_bytes())
    assert body["download_url"] == f"/api/documents/{body['id']}/content"

    listed = client.get(f"/api/cases/{case.id}/documents", **auth).json()
    assert [d["id"] for d in listed] == [body["id"]]
    assert client.get(f"/api/documents/{body['id']}", **auth).json()["sha256"] == body["sha256"]
    document = Document.objects.get()
    _assert_attachment(client.get(body["download_url"], **auth), document, png_bytes())


def test_api_refusals_are_problem_documents_naming_the_field(handler, media_root):
    case = CaseFactory()
    client, auth = Client(), _bearer(handler)
    response = client.post(f"/api/cases/{case.id}/documents",
                           {"kind": "evidence", "title": "x", "file": upload("statement.pdf", png_bytes())}, **auth)
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert response.json()["field"] == "file" and response.json()["code"] == "upload.type_mismatch"
    missing = client.post(f"/api/cases/{case.id}/documents", {"kind": "evidence", "title": "x"}, **auth)
    assert missing.status_code == 422 and missing.json()["field"] == "file"
    assert not Document.objects.exists() and stored_files(media_root) == []


def test_api_scope_is_not_found_for_another_force(handler, other_force_handler):
    document = _document(handler)
    client, auth = Client(), _bearer(other_force_handler)
    for path in (f"/api/documents/{document.id}", f"/api/documents/{document.id}/content",
                 f"/api/cases/{document.case_id}/documents"):
        response = client.get(path, **auth)
        assert response.status_code == 404, path
    upload_attempt = client.post(f"/api/cases/{document.case_id}/documents",
                                 {"kind": "evidence", "title": "x", "file": upload("a.pdf", pdf_bytes())}, **auth)
    assert upload_attempt.status_code == 404
    assert Document.objects.count() == 1


def test_api_issue_letter(caseworker):
    case, party = complaint_with_outcome(caseworker)
    client, auth = Client(), _bearer(caseworker)
    response = client.post(f"/api/cases/{case.id}/letters",
                           {"party_id": party.id, "template": "outcome", "review_body": "lpb"},
                           content_type="application/json", **auth)
    assert response.status_code == 201, response.content
    assert response.json()["recipient_party_id"] == party.id and response.json()["kind"] == "letter"
    refused = client.post(f"/api/cases/{case.id}/letters", {"party_id": party.id, "template": "nope"},
                          content_type="application/json", **auth)
    assert refused.status_code == 422 and refused.json()["field"] == "template"


def test_case_page_says_which_letters_the_complainant_has_not_been_sent(client, caseworker):
    case, party = complaint_with_outcome(caseworker)
    sign_in(client, caseworker)
    url = reverse("web:case-detail", args=[case.id])
    html = client.get(url).content.decode()
    assert 'id="letters-due"' in html
    assert f"The decision on recording your complaint — to {party.full_name}" in html
    assert "The outcome of your complaint and your right to a review" in html
    for template in ("recording_decision", "outcome"):
        services.letter_issue(actor=caseworker, case_id=case.id, party_id=party.id, template=template,
                              review_body="lpb")
    assert 'id="letters-due"' not in client.get(url).content.decode()


def test_a_large_upload_spooled_to_disk_is_stored_whole(client, handler, media_root):
    # Above FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) Django hands the view a temporary file, not memory.
    content = ("A fictional witness statement line.\n" * 90_000).encode()
    case = CaseFactory()
    sign_in(client, handler)
    response = client.post(reverse("documents:upload", args=[case.id]),
                           {"kind": "statement", "title": "Long statement", "file": upload("long.txt", content)})
    assert response.status_code == 302
    [path] = stored_files(media_root)
    assert path.read_bytes() == content and Document.objects.get().size == len(content)
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)  # owner-only (FILE_UPLOAD_PERMISSIONS)


def test_hostile_input_never_reaches_a_500(caseworker, media_root):
    from tests.api.test_no_500 import HOSTILE, MALFORMED

    case, party = complaint_with_outcome(caseworker)
    client, auth = Client(), _bearer(caseworker)
    letter = {"party_id": party.id, "template": "outcome", "review_body": "lpb", "on": None}
    bodies = [*MALFORMED, *[json.dumps({**letter, field: value}) for field in letter for value in HOSTILE]]
    statuses = set()
    for body in bodies:
        response = client.post(f"/api/cases/{case.id}/letters", body, content_type="application/json", **auth)
        assert response.status_code < 500, body[:80]
        statuses.add(response.status_code)
    assert 422 in statuses
    form = {"kind": "evidence", "title": "x", "recipient_party_id": ""}
    for field in form:
        for value in ["\x00", "x" * 30_000, "-1", str(2**64), "' OR 1=1 --", "🤖\u202e"]:
            response = client.post(f"/api/cases/{case.id}/documents",
                                   {**form, field: value, "file": upload("a.pdf", pdf_bytes())}, **auth)
            assert response.status_code < 500, (field, value[:20])
            assert response["Content-Type"] == "application/problem+json" or response.status_code == 201
    for bad_id in ["0", "-1", str(2**63), "abc"]:
        assert client.get(f"/api/documents/{bad_id}", **auth).status_code in {404, 422}
        assert client.get(f"/api/documents/{bad_id}/content", **auth).status_code in {404, 422}
