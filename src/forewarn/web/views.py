"""Thin views: parse the request with a form, call one selector or service, render or redirect.

Every rule lives in the services and the lifecycle tables; a refused action comes back as a
DomainError and is shown as a GOV.UK error summary. NotFound (absent or out of scope) is a 404.
"""

from __future__ import annotations

import inspect
from functools import wraps

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from forewarn.cases import selectors as case_selectors
from forewarn.cases import services as case_services
from forewarn.core.errors import DomainError, NotFound
from forewarn.core.lifecycle import run_transition
from forewarn.organisations import permissions
from forewarn.organisations.access import requires
from forewarn.organisations.models import Organisation, OrganisationKind, Role
from forewarn.organisations.permissions import ReasonRequired
from forewarn.proceedings.models import ChallengeRoute, ProceedingForm
from forewarn.register.alerts import inbox_waiting_count
from forewarn.web import access_views, forms
from forewarn.web import selectors as web_selectors
from forewarn.web.machines import machine_for, optional_service
from forewarn.workforce import selectors as people

PAGE_SIZE = 50
# Steps whose form page adds a panel, by (machine, action): (module, function) looked up when used.
# The outcome decision shows the indicative range, the principles and comparable outcomes before the
# decision is saved (issue #6 §2).
ACTION_PAGES = {("proceeding", "outcome_determine"): ("forewarn.guidance.web", "outcome_page")}
# Steps whose form is shaped for the page, by (machine, action): a function (obj, form_class) -> form
# class. Outcome decisions ask why each less severe outcome was insufficient, one box each.
_OUTCOME_FORM = ("forewarn.guidance.web", "outcome_form_class")
ACTION_FORMS = {("proceeding", "outcome_determine"): _OUTCOME_FORM, ("proceeding", "challenge_decided"): _OUTCOME_FORM,
                ("challenge", "substitute"): _OUTCOME_FORM}
BREAK_GLASS_ALERTS_SHOWN = 20


def not_found_is_404(view):
    """Absent and out-of-scope records look the same: a 404 (deny by default, never confirm existence)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except NotFound as err:
            raise Http404(err.message) from None

    return login_required(wrapper)


def _posted(request):
    """The submitted data, or None on GET (an empty POST is still a submission to validate)."""
    return request.POST if request.method == "POST" else None


def _querystring(request, drop=("page",)) -> str:
    params = request.GET.copy()
    for key in drop:
        params.pop(key, None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


def _page(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


# -- lists -------------------------------------------------------------------------------------------------
@not_found_is_404
@requires("work.read")
def my_work(request):
    page_obj = _page(request, web_selectors.my_work(actor=request.user))
    # The in-app notice of break-glass openings, for the head of professional standards (empty for others).
    alerts = list(case_selectors.break_glass_alerts(actor=request.user)[:BREAK_GLASS_ALERTS_SHOWN])
    return render(request, "web/my_work.html", {"page_obj": page_obj, "querystring": _querystring(request),
                                                "break_glass_alerts": alerts,
                                                "register_alerts_waiting": inbox_waiting_count(actor=request.user)})


@not_found_is_404
@requires("clock.list")
def overdue(request):
    organisations = list(web_selectors.organisations_in_scope(actor=request.user))
    form = forms.OrganisationFilterForm(request.GET or None, organisations=organisations)
    organisation_id = form.cleaned_data.get("organisation") if form.is_valid() else None
    clocks = case_selectors.overdue_clocks(actor=request.user, organisation_id=organisation_id).select_related(
        "subject_allegation__person")
    page_obj = _page(request, clocks)
    for clock in page_obj:
        clock.is_overdue = True
    return render(request, "web/overdue.html", {"form": form, "page_obj": page_obj,
                                                "querystring": _querystring(request)})


@not_found_is_404
@requires("case.list")
def case_list(request):
    organisations = list(web_selectors.organisations_in_scope(actor=request.user))
    form = forms.CaseFilterForm(request.GET or None, organisations=organisations)
    filters = form.selector_kwargs() if form.is_valid() else {}
    cases = case_selectors.case_list(actor=request.user, **filters).order_by("-came_to_attention_on", "-id")
    page_obj = _page(request, cases)
    return render(request, "web/case_list.html", {"form": form, "page_obj": page_obj,
                                                  "querystring": _querystring(request)})


# -- recording and editing cases ---------------------------------------------------------------------------
def _forces_for(user):
    """The IOPC records on behalf of a force and must say which (PRA 2002 Sch 3 para 2(1))."""
    if user.organisation and user.organisation.kind == OrganisationKind.IOPC:
        return Organisation.objects.filter(
            kind__in=[OrganisationKind.TERRITORIAL_FORCE, OrganisationKind.NATIONAL_FORCE]).order_by("name")
    return None


@not_found_is_404
@requires("case.record")
@require_http_methods(["GET", "POST"])
def case_new(request):
    form = forms.CaseRecordForm(_posted(request), forces=_forces_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            case = case_services.case_record(actor=request.user, **form.service_kwargs())
        except DomainError as err:
            forms.domain_error_to_form(form, err)
        else:
            messages.success(request, f"{case.get_case_type_display()} recorded as {case.reference}.")
            return redirect("web:case-detail", case_id=case.id)
    return render(request, "web/form_page.html", {
        "form": form, "title": "Record a complaint, conduct matter or DSI matter", "submit": "Record",
        "back": reverse("web:case-list")})


def _case_form_page(request, *, case, form, title, submit, call, success, extra=None):
    """Shared POST handling for forms that add something to a case through one service call."""
    if request.method == "POST" and form.is_valid():
        try:
            call()
        except DomainError as err:
            if isinstance(err, NotFound):
                raise
            forms.domain_error_to_form(form, err)
        else:
            messages.success(request, success)
            return redirect("web:case-detail", case_id=case.id)
    return render(request, "web/form_page.html", {
        "form": form, "title": title, "submit": submit, "case": case,
        "back": reverse("web:case-detail", args=[case.id]), **(extra or {})})


@not_found_is_404
@requires("party.add")
@require_http_methods(["GET", "POST"])
def party_add(request, case_id):
    case = case_selectors.case_get_for_actor(actor=request.user, case_id=case_id)
    form = forms.PartyForm(_posted(request))
    return _case_form_page(
        request, case=case, form=form, title="Add a party", submit="Add party", success="Party added.",
        call=lambda: case_services.party_add(actor=request.user, case_id=case.id, **form.cleaned_data))


@not_found_is_404
@requires("allegation.add")
@require_http_methods(["GET", "POST"])
def allegation_add(request, case_id):
    case = case_selectors.case_get_for_actor(actor=request.user, case_id=case_id)
    form = forms.AllegationForm(_posted(request))
    return _case_form_page(
        request, case=case, form=form, title="Add an allegation", submit="Add allegation",
        success="Allegation added.",
        call=lambda: case_services.allegation_add(actor=request.user, case_id=case.id, **form.cleaned_data))


@not_found_is_404
@requires("subject.add")
@require_http_methods(["GET", "POST"])
def subject_add(request, case_id, allegation_id):
    case = case_selectors.case_get_for_actor(actor=request.user, case_id=case_id)
    q = request.GET.get("q", "")
    found = list(people.person_search(actor=request.user, q=q))
    form = forms.SubjectForm(_posted(request), people=found)
    return _case_form_page(
        request, case=case, form=form, title="Add a subject officer", submit="Add subject",
        success="Subject added.", extra={"search": True, "q": q, "found": found},
        call=lambda: case_services.subject_add(actor=request.user, allegation_id=allegation_id,
                                               **form.service_kwargs()))


@not_found_is_404
@requires("subject.link")
@require_http_methods(["GET", "POST"])
def subject_link(request, subject_id):
    subject = case_selectors.subject_allegation_get_for_actor(actor=request.user, subject_allegation_id=subject_id)
    q = request.GET.get("q", "") or subject.name_as_given or subject.number_as_given
    found = list(people.person_search(actor=request.user, q=q))
    form = forms.LinkPersonForm(_posted(request), people=found, initial={"expected_version": subject.version})
    return _case_form_page(
        request, case=subject.case, form=form, title=f"Identify {subject.subject_label}", submit="Link",
        success="Subject linked to the person.", extra={"search": True, "q": q, "found": found},
        call=lambda: case_services.subject_link_person(
            actor=request.user, subject_allegation_id=subject.id, person_id=int(form.cleaned_data["person"]),
            reason=form.cleaned_data["reason"], expected_version=form.cleaned_data.get("expected_version")))


# -- the case page and its actions -------------------------------------------------------------------------
# Services outside the lifecycle tables that the case page offers, when they exist, to these roles.
CASE_SERVICES = {
    "refer": ("forewarn.proceedings.services", "proceeding_refer", "Refer to proceedings",
              "PROCEEDING_REFER", frozenset({Role.APPROPRIATE_AUTHORITY})),
    "challenge": ("forewarn.proceedings.services", "challenge_lodge", "Lodge a challenge",
                  "CHALLENGE_LODGE", permissions.FORCE_CASEWORK),
}


# The permission action of each, from the one table in organisations.permissions.
CASE_SERVICE_ACTIONS = {"refer": "proceeding.refer", "challenge": "challenge.lodge"}


def _service_roles(key: str) -> frozenset[str]:
    """The roles the service's permission rule allows, so the page offers what the service accepts."""
    return permissions.rule_for(CASE_SERVICE_ACTIONS[key]).roles


def _offered_services(user, page) -> list[tuple[str, str]]:
    offered = []
    for key, (module, name, label, _roles, _default) in CASE_SERVICES.items():
        has_records = page["subjects"] if key == "refer" else page["proceedings"]
        if has_records and optional_service(module, name) and user.has_any_role(_service_roles(key)):
            offered.append((key, label))
    return offered


@not_found_is_404
@requires("case.read")
@require_http_methods(["GET", "POST"])
def case_detail(request, case_id):
    # A restricted case asks for the purpose of the read first (one form, POSTed so the reason stays
    # out of URLs and logs); the purpose then covers this session's other pages of the case for a while.
    purpose = access_views.ReadReasonForm(request.POST) if request.method == "POST" else None
    reason = purpose.cleaned_data["reason"] if purpose is not None and purpose.is_valid() else ""
    try:
        page = web_selectors.case_page(actor=request.user, case_id=case_id,
                                       reason=reason or access_views.read_reason_recalled(request, case_id))
    except ReasonRequired:
        return render(request, "web/case_purpose.html", {"form": purpose or access_views.ReadReasonForm()})
    if reason:
        access_views.read_reason_remember(request, case_id, reason)
    page["services"] = _offered_services(request.user, page)
    page["may_edit"] = request.user.has_any_role(permissions.CASE_EDIT_DETAILS)
    owning_force = permissions.owning_force_staff(request.user, page["case"])
    page["may_restrict"] = owning_force and permissions.has_role_for(request.user, "case.restrict")
    page["may_manage_panel"] = owning_force and permissions.has_role_for(request.user, "proceeding.panel.manage")
    page["may_see_viewers"] = permissions.has_role_for(request.user, "audit.viewers.read")
    from forewarn.disclosure.services import schedules_for_case  # disclosure sits above the case page

    page["schedules"] = schedules_for_case(actor=request.user, case=page["case"])
    return render(request, "web/case_detail.html", page)


def _step_rule(kwargs) -> permissions.Rule:
    """The permission rule of the lifecycle step a URL names (its roles are in the statutory table)."""
    machine = machine_for(str(kwargs.get("machine", "")))
    try:
        transition = machine.get(str(kwargs.get("action", "")))
    except DomainError:
        raise NotFound(f"No action {kwargs.get('action')}.") from None
    return permissions.transition_rule(machine.name, transition)


@not_found_is_404
@requires(_step_rule)
@require_http_methods(["GET", "POST"])
def action(request, machine, obj_id, action):
    machine = machine_for(machine)
    obj = web_selectors.record_for_action(machine=machine, obj_id=obj_id)
    if obj is None or not machine.in_scope(request.user, obj):
        raise NotFound(f"No {machine.name} with id {obj_id}.")
    case = case_selectors.case_get_for_actor(actor=request.user, case_id=machine.case_of(obj).pk)
    try:
        transition = machine.get(action)
    except DomainError:
        raise NotFound(f"No action {action}.") from None
    form_class = forms.payload_form_class(transition.payload)
    shaping = ACTION_FORMS.get((machine.name, transition.action))
    shape = optional_service(*shaping) if shaping else None
    if shape is not None:
        form_class = shape(obj=obj, form_class=form_class)
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                run_transition(machine=machine, obj_id=obj.pk, action=transition.action, actor=request.user,
                               payload=form.payload(), on=form.cleaned_data["on"],
                               expected_version=form.cleaned_data.get("expected_version"))
            except NotFound:
                raise
            except DomainError as err:
                forms.domain_error_to_form(form, err)
            else:
                messages.success(request, f"{transition.label}: done.")
                return redirect("web:case-detail", case_id=case.id)
    else:
        # Only actions offered on the case page open a form; the engine checks again on POST.
        if transition not in machine.available(actor=request.user, obj=obj):
            raise NotFound(f"'{transition.label}' is not available.")
        form = form_class(initial={"on": forms.today(), "expected_version": obj.version})
    page = {"form": form, "title": transition.label, "submit": "Confirm", "case": case,
            "caption": machine.label(getattr(obj, machine.state_field)), "cite": transition.cite,
            "back": reverse("web:case-detail", args=[case.id])}
    # A step whose page shows more than its form (the outcome decision shows the outcomes guidance).
    extension = ACTION_PAGES.get((machine.name, transition.action))
    extend = optional_service(*extension) if extension else None
    if extend is not None:
        page = extend(request=request, obj=obj, form=form, page=page)
    return render(request, page.pop("template", "web/form_page.html"), page)


def _service_fixed_fields(page) -> dict[str, django_forms.Field]:
    """Parameters the case page fills with choices from this case instead of free text."""
    subjects = [(s.id, f"{s.subject_label} — allegation {s.allegation.number}") for s in page["subjects"]]
    proceedings = [(p.id, f"{p.get_form_display()} ({p.get_status_display()})") for p in page["proceedings"]]
    return {
        "subject_allegation_ids": django_forms.TypedMultipleChoiceField(
            coerce=int, choices=subjects, widget=django_forms.CheckboxSelectMultiple, label="Subjects"),
        "subject_allegation_id": django_forms.TypedChoiceField(
            coerce=int, choices=subjects, widget=django_forms.RadioSelect, label="Subject"),
        "proceeding_id": django_forms.TypedChoiceField(
            coerce=int, choices=proceedings, widget=django_forms.RadioSelect, label="Proceeding"),
        "form": django_forms.ChoiceField(choices=ProceedingForm.choices, widget=django_forms.RadioSelect,
                                         label="Form of proceedings"),
        "route": django_forms.ChoiceField(choices=ChallengeRoute.choices, widget=django_forms.RadioSelect,
                                          label="Route"),
    }


@not_found_is_404
@requires(lambda kwargs: CASE_SERVICE_ACTIONS.get(kwargs.get("service")))
@require_http_methods(["GET", "POST"])
def case_service(request, case_id, service):
    if service not in CASE_SERVICES:
        raise NotFound(f"No action {service}.")
    module, name, label, _roles, _default = CASE_SERVICES[service]
    func = optional_service(module, name)
    if func is None:
        raise NotFound(f"{label} is not available yet.")
    try:
        page = web_selectors.case_page(actor=request.user, case_id=case_id,
                                       reason=access_views.read_reason_recalled(request, case_id))
    except ReasonRequired:
        return redirect("web:case-detail", case_id=case_id)  # which asks for the purpose first
    case = page["case"]
    params = inspect.signature(func).parameters
    form_class = forms.service_form_class(func, skip={"case_id"}, fixed=_service_fixed_fields(page))
    form = form_class(_posted(request), initial={"on": forms.today()})
    if request.method == "POST" and form.is_valid():
        kwargs = form.payload()
        if "case_id" in params:
            kwargs["case_id"] = case.id
        if "on" in params:
            kwargs["on"] = form.cleaned_data["on"]
        try:
            func(actor=request.user, **kwargs)
        except NotFound:
            raise
        except DomainError as err:
            forms.domain_error_to_form(form, err)
        else:
            messages.success(request, f"{label}: done.")
            return redirect("web:case-detail", case_id=case.id)
    return render(request, "web/form_page.html", {
        "form": form, "title": label, "submit": "Confirm", "case": case,
        "back": reverse("web:case-detail", args=[case.id])})


# -- people ------------------------------------------------------------------------------------------------
@not_found_is_404
@requires("person.read")
def person_search(request):
    q = request.GET.get("q", "")
    found = list(people.person_search(actor=request.user, q=q))
    return render(request, "web/person_search.html", {"q": q, "found": found,
                                                      "may_read": request.user.has_any_role(permissions.PERSON_READ)})


@not_found_is_404
@requires("person.read")
def person_detail(request, person_id):
    history = people.person_history(actor=request.user, person_id=person_id)
    return render(request, "web/person_detail.html", {
        "history": history, "person": history.person,
        "may_read_register": permissions.has_role_for(request.user, "register.history.read")})
