"""The documents section of the case page, as one tag, so the case page view needs no change."""

from __future__ import annotations

from django import template

from forewarn.documents.selectors import documents_for_case, letters_due
from forewarn.organisations import permissions

register = template.Library()


@register.inclusion_tag("documents/includes/case_documents.html", takes_context=True)
def case_documents(context, case):
    """The case's documents and the document actions the signed-in user may take (nothing if none)."""
    user = context["request"].user
    documents = list(documents_for_case(actor=user, case=case))
    may_read = permissions.has_role_for(user, "document.read") and not permissions.subject_side_of(user, case)
    may_issue_letter = permissions.has_role_for(user, "letter.issue")
    return {"case": case, "documents": documents, "may_read": may_read,
            "may_upload": permissions.has_role_for(user, "document.upload"), "may_issue_letter": may_issue_letter,
            "letters_due": letters_due(case=case, documents=documents) if may_issue_letter and may_read else []}
