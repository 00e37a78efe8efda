"""Pages: the force's intelligence records, recording one, and linking it to a person. Thin: the rules
live in `intelligence.services`; only the owning force's staff reach these pages."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from forewarn.core.errors import DomainError
from forewarn.intelligence import selectors, services
from forewarn.intelligence.api import OWN
from forewarn.intelligence.forms import IntelligenceForm
from forewarn.organisations.access import requires
from forewarn.web.forms import domain_error_to_form, posted_id, run_with_message
from forewarn.workforce.models import Person


@requires("intelligence.read")
def intelligence_list(request):
    count, records = selectors.intelligence_for_actor(actor=request.user, limit=100)
    return render(request, "intelligence/list.html", {"records": records, "count": count})


@requires("intelligence.record")
@require_http_methods(["GET", "POST"])
def intelligence_new(request):
    form = IntelligenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.intelligence_record(actor=request.user, **form.cleaned_data)
        except DomainError as err:
            domain_error_to_form(form, err)
        else:
            return redirect("intelligence:detail", intelligence_id=record.pk)
    return render(request, "web/form_page.html", {
        "title": "Record intelligence", "form": form, "submit": "Record", "back": reverse("intelligence:list"),
        "cite": "Graded on the 3x5x2 system: College of Policing APP, Intelligence management"})


@requires("intelligence.read", objects=OWN)
def intelligence_detail(request, intelligence_id: int):
    record = selectors.intelligence_read(actor=request.user, intelligence_id=intelligence_id)
    people = {p.pk: p for p in Person.objects.filter(pk__in=[c["person_id"] for c in record.candidates])}
    candidates = [{**c, "person": people.get(c["person_id"])} for c in record.candidates]
    return render(request, "intelligence/detail.html", {"record": record, "candidates": candidates})


def _act(request, intelligence_id: int, call, success: str):
    """A button's service call: its refusal (or success) is a message on the record's page."""
    run_with_message(request, call, success)
    return redirect("intelligence:detail", intelligence_id=intelligence_id)


@requires("intelligence.link", objects=OWN)
@require_POST
def intelligence_link(request, intelligence_id: int):
    return _act(request, intelligence_id, lambda: services.intelligence_link(
        actor=request.user, intelligence_id=intelligence_id, person_id=posted_id(request.POST.get("person_id", "")) or 0,
        reason=request.POST.get("reason", ""), expected_version=posted_id(request.POST.get("expected_version", ""))),
        "Linked: the record now appears on the person's disclosure schedules.")


@requires("intelligence.link", objects=OWN)
@require_POST
def intelligence_unlink(request, intelligence_id: int):
    return _act(request, intelligence_id, lambda: services.intelligence_unlink(
        actor=request.user, intelligence_id=intelligence_id, reason=request.POST.get("reason", ""),
        expected_version=posted_id(request.POST.get("expected_version", ""))), "Link undone.")
