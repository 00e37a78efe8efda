"""Reads of documents, always from what the actor may see: the case scope and a reading role."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from forewarn.cases.models import Case, Party, PartyRole
from forewarn.core.errors import NotFound
from forewarn.documents.letters import LETTER_TEMPLATES, LetterTemplate
from forewarn.documents.models import Document, DocumentKind
from forewarn.organisations import permissions


def _may_read_documents(actor, case: Case) -> bool:
    # The subject officer's side gets material through disclosure in proceedings, a separate decision,
    # not from the case file: letters name the complainant and evidence may hold contact details.
    return (permissions.has_role_for(actor, "document.read") and permissions.case_in_scope(actor, case)
            and not permissions.subject_side_of(actor, case))


def documents_for_case(*, actor, case: Case) -> QuerySet[Document]:
    """The case's documents, newest first; none for an actor who may not read them."""
    if not _may_read_documents(actor, case):
        return Document.objects.none()
    return (Document.objects.filter(case=case).select_related("uploaded_by", "recipient_party")
            .order_by("-created_at", "-id"))


def document_get_for_actor(*, actor, document_id: int) -> Document:
    """The document, if the actor may read it; otherwise NotFound (never a 403 that confirms it exists)."""
    document = None
    if permissions.has_role_for(actor, "document.read"):
        document = (Document.objects.filter(permissions.case_scope_q(actor, "case__"), pk=document_id)
                    .select_related("case", "case__organisation", "recipient_party").first())
    if document is None or not _may_read_documents(actor, document.case):
        raise NotFound(f"No document with id {document_id}.")
    return document


def letters_for_party(*, party: Party) -> QuerySet[Document]:
    """Letters addressed to one party, newest first. The caller has already scoped the party."""
    return (Document.objects.filter(recipient_party=party, case_id=party.case_id, kind=DocumentKind.LETTER)
            .order_by("-created_at", "-id"))


def letters_due(*, case: Case, documents: list[Document]) -> list[tuple[LetterTemplate, Party]]:
    """The letters the case has reached but a complainant has not been sent (from `documents`)."""
    due = []
    for template in LETTER_TEMPLATES.values():
        if template.ready(case) is not None:
            continue
        since = None if template.once else case.status_since
        for party in Party.objects.filter(case=case, role=PartyRole.COMPLAINANT).order_by("id"):
            sent = any(d.template == template.key and d.recipient_party_id == party.pk
                       and (since is None or timezone.localdate(d.created_at) >= since) for d in documents)
            if not sent:
                due.append((template, party))
    return due
