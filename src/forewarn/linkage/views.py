"""Pages: a subject's proposed matches (accept, reject, none of these, match again), the review queue,
and undoing a link. Thin: the rules live in `linkage.identification`."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from forewarn.cases import selectors as case_selectors
from forewarn.linkage import identification
from forewarn.organisations.access import requires
from forewarn.web.forms import run_with_message


@requires("identification.queue")
def review_queue(request):
    return render(request, "linkage/review_queue.html",
                  {"identifications": identification.review_queue(actor=request.user)})


@requires("subject.identification.review")
def subject_identification(request, subject_id: int):
    subject = case_selectors.subject_allegation_get_for_actor(actor=request.user, subject_allegation_id=subject_id)
    found = identification.subject_identification(actor=request.user, subject_allegation_id=subject_id)
    return render(request, "linkage/identification.html", {"subject": subject, "case": subject.case,
                                                            "identification": found})



@requires("subject.identification.review")
@require_POST
def decide(request, subject_id: int, identification_id: int):
    """One form per candidate row (accept or reject) and one for "none of these"."""
    decision, reason = request.POST.get("decision", ""), request.POST.get("reason", "")
    raw = request.POST.get("candidate", "")
    candidate_id = int(raw) if raw.isdigit() and len(raw) < 12 else 0  # 0: no such candidate (the service says so)
    actor = request.user
    calls = {
        "accept": (lambda: identification.identification_accept(
            actor=actor, identification_id=identification_id, candidate_id=candidate_id, reason=reason),
            "Subject linked to the person."),
        "reject": (lambda: identification.identification_reject(
            actor=actor, identification_id=identification_id, candidate_id=candidate_id, reason=reason),
            "Candidate rejected."),
        "none": (lambda: identification.identification_none(
            actor=actor, identification_id=identification_id, reason=reason), "Marked as none of these."),
    }
    if decision not in calls:
        messages.error(request, "decision: choose accept, reject or none of these.")
    else:
        call, success = calls[decision]
        run_with_message(request, call, success)
    return redirect("linkage:subject-identification", subject_id=subject_id)


@requires("subject.identification.review")
@require_POST
def identify(request, subject_id: int):
    run_with_message(request, lambda: identification.subject_identify(actor=request.user, subject_allegation_id=subject_id),
          "Matched against the workforce again.")
    return redirect("linkage:subject-identification", subject_id=subject_id)


@requires("subject.identification.review")
@require_http_methods(["GET", "POST"])
def unlink(request, subject_id: int):
    subject = case_selectors.subject_allegation_get_for_actor(actor=request.user, subject_allegation_id=subject_id)
    if request.method == "POST":
        version = request.POST.get("expected_version")
        if run_with_message(request, lambda: identification.link_undo(
                actor=request.user, subject_allegation_id=subject_id, reason=request.POST.get("reason", ""),
                expected_version=int(version) if version and version.isdigit() else None),
                "Link undone. The forces told have been sent a correction."):
            return redirect("web:case-detail", case_id=subject.case_id)
    return render(request, "linkage/unlink.html", {"subject": subject, "case": subject.case})
