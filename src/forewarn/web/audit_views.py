"""Who has viewed a record: the audit trail's reads, one click from the case page.

For the head of professional standards (permission `audit.viewers.read`): a complainant who asks
"who has looked at my details?" (UK GDPR art 15) gets an answer from here.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from forewarn.audit.selectors import record_viewers as viewers_of
from forewarn.core.errors import NotFound
from forewarn.organisations.access import requires

PAGE_SIZE = 100


@requires("audit.viewers.read")
def record_viewers(request, case_id):
    """Reads of the case itself, or of one of its parties (?party=<id>)."""
    party_id = request.GET.get("party", "")
    if party_id and not party_id.isdigit():
        raise Http404("No such party on this case.")
    try:
        case, party, reads = viewers_of(actor=request.user, case_id=case_id,
                                        party_id=int(party_id) if party_id else None)
    except NotFound as err:
        raise Http404(err.message) from None
    page_obj = Paginator(reads, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/record_viewers.html", {"case": case, "party": party, "page_obj": page_obj})
