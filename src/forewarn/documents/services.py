"""Writes for documents: uploading evidence and statements, issuing letters, recording downloads.

A refused upload writes nothing: the file is checked (type from its content, size, name) before
anything is stored, and a failure after the file reached storage deletes it again, so no orphan
file is left behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record, read_record
from forewarn.cases.models import Case, Party, PartyRole
from forewarn.cases.selectors import case_get_for_actor
from forewarn.core.errors import ValidationFailed
from forewarn.core.validation import clean_choice, clean_text
from forewarn.documents.letters import letter_compose, letter_template_get
from forewarn.documents.models import Document, DocumentKind
from forewarn.documents.selectors import document_get_for_actor
from forewarn.documents.validation import TEXT, CheckedUpload, inspect_upload
from forewarn.organisations import permissions

logger = logging.getLogger(__name__)


def _party_of_case(case: Case, party_id, *, field: str) -> Party:
    party = Party.objects.filter(case=case, pk=party_id).first() if isinstance(party_id, int) else None
    if party is None:
        raise ValidationFailed(f"{field}: no party with id {party_id} on case {case.reference}.", field=field,
                               code="validation.unknown_party")
    return party


def _store(*, case: Case, kind: str, title: str, content, checked: CheckedUpload, actor,
           recipient: Party | None = None, template: str = "", details: dict | None = None,
           audit_action: str, audit_data: dict) -> Document:
    """Save the file and its row and write the audit event, all or nothing (no orphan file on disk)."""
    document = Document(case=case, kind=kind, title=title, filename=checked.filename,
                        content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                        uploaded_by=actor if getattr(actor, "pk", None) else None, recipient_party=recipient,
                        template=template, details=details or {})
    stored_name = None
    try:
        with transaction.atomic():
            document.file.save(checked.filename, content, save=False)
            stored_name = document.file.name
            document.save()
            event_record(actor=actor, action=audit_action, obj=document, case=case,
                         data={"document_id": document.pk, "kind": kind, "filename": checked.filename,
                               "content_type": checked.content_type, "size": checked.size,
                               "sha256": checked.sha256, **audit_data})
    except BaseException:
        # The transaction rolled back; the storage write cannot, so undo it by hand.
        if stored_name:
            try:
                document.file.storage.delete(stored_name)
            except OSError:
                logger.exception("Could not remove %s after a failed document write", stored_name)
        raise
    return document


@audited_write("document.upload")
def document_upload(
    *,
    actor,
    case_id: int,
    kind: str,
    title: str,
    file,
    recipient_party_id: int | None = None,
) -> Document:
    """Attach an uploaded file (evidence, statement, a signed letter…) to a case."""
    case = case_get_for_actor(actor=actor, case_id=case_id)  # scope first: NotFound, never a 403
    permissions.require(actor, "document.upload")
    kind = clean_choice(kind, DocumentKind, field="kind")
    title = clean_text(title, field="title", max_length=200, required=True)
    recipient = None
    if kind == DocumentKind.LETTER:
        if not recipient_party_id:
            raise ValidationFailed("recipient_party_id: say which party the letter was sent to.",
                                   field="recipient_party_id", code="validation.required")
        recipient = _party_of_case(case, recipient_party_id, field="recipient_party_id")
    elif recipient_party_id:
        raise ValidationFailed("recipient_party_id: only a letter has a recipient.", field="recipient_party_id",
                               code="document.recipient_not_letter")
    checked = inspect_upload(file)
    return _store(case=case, kind=kind, title=title, content=file, checked=checked, actor=actor,
                  recipient=recipient, audit_action="document.upload",
                  audit_data={"recipient_party_id": recipient.pk if recipient else None})


@audited_write("letter.issue")
def letter_issue(
    *,
    actor,
    case_id: int,
    party_id: int,
    template: str,
    review_body: str = "",
    on: dt.date | None = None,
) -> Document:
    """Write a letter to a complainant from a template and keep it on the case as a document."""
    case = case_get_for_actor(actor=actor, case_id=case_id)
    permissions.require(actor, "letter.issue")
    letter = letter_template_get(template)
    party = _party_of_case(case, party_id, field="party_id")
    if party.role != PartyRole.COMPLAINANT:
        raise ValidationFailed(f"party_id: {party.full_name} is not a complainant; these letters go to "
                               "complainants.", field="party_id", code="letter.recipient_not_complainant")
    on = on or timezone.localdate()
    text, details = letter_compose(template=letter, case=case, party=party, on=on, review_body=review_body)
    body = text.encode("utf-8")
    filename = f"{case.reference}-{letter.key.replace('_', '-')}-{on.isoformat()}.txt"
    checked = CheckedUpload(filename=filename, content_type=TEXT, size=len(body),
                            sha256=hashlib.sha256(body).hexdigest())
    return _store(case=case, kind=DocumentKind.LETTER, title=letter.title, content=ContentFile(body),
                  checked=checked, actor=actor, recipient=party, template=letter.key, details=details,
                  audit_action="document.issue_letter",
                  audit_data={"recipient_party_id": party.pk, "template": letter.key, **details})


def document_download(*, actor, document_id: int) -> Document:
    """The document, if the actor may read it, with the download recorded as a read in the audit trail."""
    document = document_get_for_actor(actor=actor, document_id=document_id)
    read_record(actor=actor, obj=document, case=document.case, data={"filename": document.filename})
    return document

