"""Pages: a case's disclosure schedules, opening one, deciding on its items, serving, completing,
exporting, and the disclosure officer's drift notices. Thin: the rules live in `disclosure.services`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from forewarn.cases import selectors as case_selectors
from forewarn.core.errors import DomainError
from forewarn.disclosure import exports, services
from forewarn.disclosure.models import Decision, ProceedingKind
from forewarn.organisations.access import requires
from forewarn.proceedings.models import Challenge, Proceeding
from forewarn.web.forms import posted_id, run_with_message


@requires("disclosure.schedule.open")
@require_http_methods(["GET", "POST"])
def schedule_new(request, case_id: int):
    case = case_selectors.case_get_for_actor(actor=request.user, case_id=case_id)
    if request.method == "POST":
        target = request.POST.get("target", "")
        kind, _, number = target.partition(":")
        kwargs = {"proceeding_id": posted_id(number)} if kind == "proceeding" else \
            {"challenge_id": posted_id(number)} if kind == "challenge" else \
            {"kind": request.POST.get("kind", ""), "person_id": posted_id(request.POST.get("person", ""))}
        try:
            schedule = services.schedule_open(actor=request.user, case_id=case.pk,
                                              title=request.POST.get("title", ""), **kwargs)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Schedule opened with {schedule.items.count()} items.")
            return redirect("disclosure:schedule", schedule_id=schedule.pk)
    proceedings = list(Proceeding.objects.filter(case=case).select_related("person"))
    challenges = list(Challenge.objects.filter(proceeding__case=case).select_related("proceeding__person"))
    people = {s.person for s in case.subjects.select_related("person") if s.person_id}
    return render(request, "disclosure/schedule_new.html", {
        "case": case, "proceedings": proceedings, "challenges": challenges, "people": sorted(people, key=str),
        "kinds": ProceedingKind.choices})


@requires("disclosure.schedule.read")
def schedule_detail(request, schedule_id: int):
    schedule = services.schedule_read(actor=request.user, schedule_id=schedule_id)
    return render(request, "disclosure/schedule.html", {
        "schedule": schedule, "case": schedule.case, "rows": services.items_for(schedule, actor=request.user),
        "versions": list(schedule.versions.order_by("number")), "decisions": Decision.choices[1:],
        "is_officer": schedule.disclosure_officer_id == request.user.pk and schedule.status == "open",
        "drift": list(schedule.drift_notices.filter(acknowledged_at__isnull=True).select_related("item"))})


@requires("disclosure.schedule.decide")
@require_POST
def item_decide(request, schedule_id: int, item_id: int):
    run_with_message(request, lambda: services.item_decide(actor=request.user, schedule_id=schedule_id, item_id=item_id,
                                                decision=request.POST.get("decision", ""),
                                                reason=request.POST.get("reason", "")), "Decision recorded.")
    return redirect("disclosure:schedule", schedule_id=schedule_id)


@requires("disclosure.schedule.decide")
@require_POST
def schedule_serve(request, schedule_id: int):
    run_with_message(request, lambda: services.schedule_serve(actor=request.user, schedule_id=schedule_id,
                                                   served_to=request.POST.get("served_to", "")),
          "Schedule served: this version is sealed.")
    return redirect("disclosure:schedule", schedule_id=schedule_id)


@requires("disclosure.schedule.decide")
@require_POST
def schedule_complete(request, schedule_id: int):
    run_with_message(request, lambda: services.schedule_complete(actor=request.user, schedule_id=schedule_id),
          "Schedule completed.")
    return redirect("disclosure:schedule", schedule_id=schedule_id)


@requires("disclosure.schedule.read")
def schedule_export(request, schedule_id: int, fmt: str):
    schedule = services.schedule_read(actor=request.user, schedule_id=schedule_id)
    version = posted_id(request.GET.get("version", ""))
    if version and not schedule.versions.filter(number=version).exists():
        version = None
    if fmt == "pdf":
        body, kind = exports.schedule_pdf(schedule, version=version), "application/pdf"
    else:
        body, kind = exports.schedule_csv(schedule, version=version), "text/csv; charset=utf-8"
    name = f"schedule-{schedule.pk}{f'-v{version}' if version else ''}.{fmt}"
    return HttpResponse(body, content_type=kind, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@requires("disclosure.schedule.read")
def drift_notices(request):
    return render(request, "disclosure/drift.html", {"notices": services.drift_notices_for(actor=request.user)})
