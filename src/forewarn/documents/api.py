"""API: a case's documents (multipart upload, metadata, download) and letters to complainants."""

# No `from __future__ import annotations`: ninja reads the operations' annotations through the
# `requires` guard, whose module globals cannot resolve names given as strings.

import datetime as dt

from django.urls import reverse
from ninja import Field, File, Form, Path, Router, Schema, Status, UploadedFile

from forewarn.cases.selectors import case_get_for_actor
from forewarn.core.schemas import MAX_ID, PROBLEMS, Id, In, actor_of
from forewarn.documents import selectors, services
from forewarn.documents.letters import LETTER_TEMPLATES
from forewarn.documents.models import Document
from forewarn.documents.validation import ALLOWED_WORDS
from forewarn.documents.views import attachment_response
from forewarn.organisations.access import requires

router = Router(tags=["documents"])
ObjId = Path(..., ge=1, le=MAX_ID)


class DocumentUploadIn(In):
    kind: str = Field(..., max_length=16, description="letter, evidence, statement or other")
    title: str = Field(..., max_length=200)
    recipient_party_id: Id | None = Field(None, description="For a letter: the party it was sent to.")


class LetterIn(In):
    party_id: Id = Field(..., description="The complainant the letter is addressed to.")
    template: str = Field(..., max_length=40, description=f"One of: {', '.join(LETTER_TEMPLATES)}.")
    review_body: str = Field("", max_length=8, description="For an outcome letter: iopc or lpb (C&M Regs 2020 "
                                                             "reg 30); the IOPC if the complaint was referred to it.")
    on: dt.date | None = Field(None, description="The date on the letter; today if omitted.")


class DocumentOut(Schema):
    id: int
    case_id: int
    kind: str
    title: str
    filename: str
    content_type: str
    size: int
    sha256: str
    recipient_party_id: int | None
    template: str
    details: dict
    uploaded_by: str | None
    created_at: dt.datetime
    download_url: str


def document_out(document: Document) -> dict:
    user = document.uploaded_by
    return {"id": document.pk, "case_id": document.case_id, "kind": document.kind, "title": document.title,
            "filename": document.filename, "content_type": document.content_type, "size": document.size,
            "sha256": document.sha256, "recipient_party_id": document.recipient_party_id,
            "template": document.template, "details": document.details,
            "uploaded_by": (user.get_full_name() or user.username) if user else None,
            "created_at": document.created_at,
            "download_url": reverse("api:document_content", kwargs={"document_id": document.pk})}


@router.get("/cases/{case_id}/documents", response={200: list[DocumentOut], **PROBLEMS},
            summary="A case's documents and letters, newest first")
@requires("document.read")
def document_list(request, case_id: int = ObjId):
    actor = actor_of(request)
    case = case_get_for_actor(actor=actor, case_id=case_id)
    return [document_out(d) for d in selectors.documents_for_case(actor=actor, case=case)]


@router.post("/cases/{case_id}/documents", response={201: DocumentOut, **PROBLEMS},
             summary=f"Upload a document (multipart/form-data; {ALLOWED_WORDS}; type checked from the content)")
@requires("document.upload")
def document_create(request, data: Form[DocumentUploadIn], file: File[UploadedFile], case_id: int = ObjId):
    document = services.document_upload(actor=actor_of(request), case_id=case_id, file=file, **data.model_dump())
    return Status(201, document_out(document))


@router.post("/cases/{case_id}/letters", response={201: DocumentOut, **PROBLEMS},
             summary="Write a letter to a complainant from a template and file it on the case")
@requires("letter.issue")
def letter_create(request, data: LetterIn, case_id: int = ObjId):
    document = services.letter_issue(actor=actor_of(request), case_id=case_id, **data.model_dump())
    return Status(201, document_out(document))


@router.get("/documents/{document_id}", response={200: DocumentOut, **PROBLEMS}, summary="One document's details")
@requires("document.read")
def document_get(request, document_id: int = ObjId):
    return document_out(selectors.document_get_for_actor(actor=actor_of(request), document_id=document_id))


@router.get("/documents/{document_id}/content", response=PROBLEMS, url_name="document_content",
            summary="Download a document (always an attachment; the download is audited)",
            openapi_extra={"responses": {"200": {"description": "The file, as stored.", "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}})
@requires("document.read")
def document_content(request, document_id: int = ObjId):
    return attachment_response(services.document_download(actor=actor_of(request), document_id=document_id))
