"""Pages: a person's register history, vetting and transfer checks, the force's applications, and
disclosure requests. Thin: parse with a form, call one service or selector, render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from forewarn.core.errors import DomainError, NotFound
from forewarn.organisations import permissions
from forewarn.organisations.access import owning_force_disclosure, requires
from forewarn.register import checks, disclosures
from forewarn.register.forms import (
    ApplicationCloseForm,
    CheckForm,
    DisclosureDecideForm,
    DisclosureRequestForm,
    errors_to_form,
)
from forewarn.register.history import person_register_history
from forewarn.web.views import not_found_is_404


def _posted(request):
    return request.POST if request.method == "POST" else None


def _submitted(request, form, call, *, success: str):
    """Run `call` for a valid POST; a refusal goes onto the form (NotFound stays a 404). The result or None."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = call(form.cleaned_data)
    except NotFound:
        raise
    except DomainError as err:
        errors_to_form(form, err)
        return None
    messages.success(request, success)
    return result


# -- history -----------------------------------------------------------------------------------------------
@not_found_is_404
@requires("register.history.read")
@require_GET
def person_history(request, person_id):
    history = person_register_history(actor=request.user, person_id=person_id)
    return render(request, "register/history.html", {
        "history": history, "person": history.person,
        "may_check": permissions.has_role_for(request.user, "register.check")})


# -- checks ------------------------------------------------------------------------------------------------
@not_found_is_404
@requires("register.check")
@require_http_methods(["GET", "POST"])
def check_new(request):
    form = CheckForm(_posted(request), initial={"person_id": request.GET.get("person") or None})
    check = _submitted(request, form, lambda d: checks.register_check_run(actor=request.user,
                                                                           **form.service_kwargs()),
                       success="Check recorded.")
    if check is not None:
        return redirect("register:check", check_id=check.pk)
    return render(request, "register/check_form.html", {"form": form})


@not_found_is_404
@requires("register.check")
@require_GET
def check_detail(request, check_id):
    check, shown = checks.check_result(actor=request.user, check_id=check_id)
    return render(request, "register/check.html", {"check": check, "shown": shown})


# -- applications ------------------------------------------------------------------------------------------
@not_found_is_404
@requires("register.application.manage")
@require_GET
def application_list(request):
    include_closed = request.GET.get("show") == "all"
    found = checks.applications_list(actor=request.user, include_closed=include_closed)
    return render(request, "register/applications.html", {"applications": found, "include_closed": include_closed})


@not_found_is_404
@requires("register.application.manage")
@require_http_methods(["GET", "POST"])
def application_close(request, application_id):
    application = checks.application_get_for_actor(actor=request.user, application_id=application_id)
    form = ApplicationCloseForm(_posted(request))
    done = _submitted(request, form, lambda d: checks.application_close(
        actor=request.user, application_id=application.pk, outcome=d["outcome"], reason=d.get("reason") or ""),
        success="Application closed: your force no longer sees the person's entries through it.")
    if done is not None:
        return redirect("register:applications")
    return render(request, "register/application_close.html", {"form": form, "application": application})


# -- disclosure requests -----------------------------------------------------------------------------------
@not_found_is_404
@requires("register.history.read")
@require_GET
def disclosure_list(request):
    found = disclosures.disclosures_list(actor=request.user)
    return render(request, "register/history_disclosures.html", {
        "outgoing": found["outgoing"], "incoming": found["incoming"],
        "may_decide": permissions.has_role_for(request.user, "register.disclosure.decide")})


@not_found_is_404
@requires("register.disclosure.request")
@require_http_methods(["GET", "POST"])
def disclosure_new(request):
    form = DisclosureRequestForm(_posted(request), initial={"subject_allegation_id": request.GET.get("entry")})
    created = _submitted(request, form, lambda d: disclosures.disclosure_request(
        actor=request.user, subject_allegation_id=d["subject_allegation_id"], reason=d["reason"]),
        success="Request sent to the owning force.")
    if created is not None:
        return redirect("register:person-history", person_id=created.person_id)
    return render(request, "web/form_page.html", {
        "form": form, "title": "Ask for the case file", "submit": "Send the request",
        "back": reverse("register:disclosures")})


@not_found_is_404
@requires("register.disclosure.decide", objects={"disclosure_id": owning_force_disclosure})
@require_http_methods(["GET", "POST"])
def disclosure_decide(request, disclosure_id):
    request_ = disclosures.owning_disclosure_get_for_actor(actor=request.user, disclosure_id=disclosure_id)
    form = DisclosureDecideForm(_posted(request))
    done = _submitted(request, form, lambda d: disclosures.disclosure_decide(
        actor=request.user, disclosure_id=request_.pk, grant=d["grant"], reason=d["reason"],
        days=d.get("days") or disclosures.DEFAULT_GRANT_DAYS), success="Decision recorded.")
    if done is not None:
        return redirect("register:disclosures")
    return render(request, "register/history_disclosure_decide.html", {"form": form, "disclosure": request_})
