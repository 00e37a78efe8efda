"""Who has viewed a record: the audit trail's reads, one click from the case page.

For the head of professional standards (permission `audit.viewers.read`): a complainant who asks
"who has looked at my details?" (UK GDPR art 15) gets an answer from here.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from forewarn.audit.selectors import viewers
from forewarn.cases.models import Party
from forewarn.organisations.access import requires

PAGE_SIZE = 100


@requires("audit.viewers.read")
def record_viewers(request, case_id):
    """Reads of the case itself, or of one of its parties (?party=<id>)."""
    from forewarn.cases.selectors import case_get_for_actor

    case = case_get_for_actor(actor=request.user, case_id=case_id)
    party = None
    party_id = request.GET.get("party", "")
    if party_id:
        party = Party.objects.filter(case=case, pk=int(party_id) if party_id.isdigit() else 0).first()
        if party is None:
            raise Http404("No such party on this case.")
        reads = viewers(object_type="cases.party", object_id=party.pk)
    else:
        reads = viewers(object_type="cases.case", object_id=case.pk)
    page_obj = Paginator(reads, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/record_viewers.html", {"case": case, "party": party, "page_obj": page_obj})
