"""Pages for the barred and advisory lists: staff list and entry pages, the actions on an entry, and
the public barred list (no sign-in). Thin views over `register.lists`; the rules live there.
"""

from __future__ import annotations

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from forewarn.core.errors import DomainError, NotFound
from forewarn.organisations import permissions
from forewarn.organisations.access import requires
from forewarn.proceedings.models import ListKind
from forewarn.register import lists
from forewarn.register.models import ListEntryStatus, RemovalReason
from forewarn.web import forms
from forewarn.web.views import not_found_is_404

PAGE_SIZE = 50
PUBLIC_PAGE_SIZE = 20


# Access helpers for the URL's `list_entry_id` (organisations.access: scope first, NotFound outside it).
def readable_entry(actor, value, kwargs):
    return lists.list_entry_get_for_actor(actor=actor, entry_id=value)


def manageable_entry(actor, value, kwargs):
    return lists.list_entry_get_for_manager(actor=actor, entry_id=value)


READ = {"list_entry_id": readable_entry}
MANAGE = {"list_entry_id": manageable_entry}


# -- forms -------------------------------------------------------------------------------------------------
class ListFilterForm(django_forms.Form):
    q = django_forms.CharField(required=False, max_length=200, label="Name")
    kind = django_forms.ChoiceField(choices=[("", "Both lists"), *ListKind.choices], required=False, label="List")
    status = django_forms.ChoiceField(choices=[("", "Any status"), *ListEntryStatus.choices], required=False,
                                      label="Status")
    overdue = django_forms.BooleanField(required=False, label="Only entries whose report is overdue")


class ReportForm(django_forms.Form):
    reported_on = forms.DateField(label="Date of the report to the College of Policing")
    conduct_description = django_forms.CharField(
        widget=django_forms.Textarea, max_length=20_000, label="Description of the conduct",
        help_text="What the report tells the College (Barred List Regs 2017 reg 4 and reg 13).")
    expected_version = django_forms.IntegerField(widget=django_forms.HiddenInput, required=False)


class PublicationForm(django_forms.Form):
    publish = django_forms.TypedChoiceField(
        choices=[("yes", "Publish"), ("no", "Withhold publication")], coerce=lambda v: v == "yes",
        widget=django_forms.RadioSelect, label="Publication")
    reason = django_forms.ChoiceField(choices=[("", "Not withheld"), *lists.WithholdReason.choices], required=False,
                                      label="Reason for withholding", help_text="Required to withhold.")
    note = django_forms.CharField(widget=django_forms.Textarea, required=False, max_length=lists.NOTE_MAX,
                                  label="Note")
    expected_version = django_forms.IntegerField(widget=django_forms.HiddenInput, required=False)


class RemovalForm(django_forms.Form):
    reason = django_forms.ChoiceField(widget=django_forms.RadioSelect, label="Reason for removal")
    note = django_forms.CharField(widget=django_forms.Textarea, max_length=lists.NOTE_MAX, label="Note",
                                  help_text="What happened, and the decision or document it rests on.")
    on = forms.DateField(label="Date of removal")
    expected_version = django_forms.IntegerField(widget=django_forms.HiddenInput, required=False)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [(r, RemovalReason(r).label) for r in lists.REMOVAL_REASONS[kind]]


class PublicSearchForm(django_forms.Form):
    given_name = django_forms.CharField(required=False, max_length=100, label="First name")
    family_name = django_forms.CharField(required=False, max_length=100, label="Last name")


# -- staff pages -------------------------------------------------------------------------------------------
@not_found_is_404
@requires("register.lists.read")
@require_GET
def list_entries(request):
    form = ListFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = lists.list_entries_for_actor(actor=request.user, kind=filters.get("kind") or "",
                                           status=filters.get("status") or "", overdue=bool(filters.get("overdue")),
                                           q=filters.get("q") or "")
    page_obj = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page_obj:
        entry.is_overdue = lists.is_overdue(entry)
    lists.list_entries_shown(actor=request.user, entries=page_obj, query={k: str(v) for k, v in filters.items()})
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "register/list_entries.html", {
        "form": form, "page_obj": page_obj, "querystring": f"{params.urlencode()}&" if params else "",
        "overdue_count": lists.overdue_count(actor=request.user)})


def _offered(user, entry) -> dict[str, bool]:
    """The actions the page offers this user on this entry (the services check again)."""
    try:
        lists.list_entry_get_for_manager(actor=user, entry_id=entry.pk)
    except NotFound:
        return {}
    listed = entry.status == ListEntryStatus.LISTED
    return {"report": entry.status == ListEntryStatus.AWAITING_REPORT,
            "publication": listed and entry.kind == ListKind.BARRED and entry.gross_misconduct
            and lists.is_college_administrator(user),
            "removal": entry.status in lists.ACTIVE}


@not_found_is_404
@requires("register.lists.read", objects=READ)
@require_GET
def list_entry_detail(request, list_entry_id):
    entry = lists.list_entry_read(actor=request.user, entry_id=list_entry_id)
    case_visible = permissions.case_in_scope(request.user, entry.case)
    return render(request, "register/list_entry.html", {
        "entry": entry, "offered": _offered(request.user, entry), "case_visible": case_visible,
        "standards": lists.standard_labels(entry.standards), "overdue": lists.is_overdue(entry),
        "rank_label": lists.rank_label(entry.rank),
        "withheld_label": dict(lists.WithholdReason.choices).get(entry.publication_withheld_reason, "")})


def _action_page(request, *, entry, form, title, call, submit="Confirm"):
    if request.method == "POST" and form.is_valid():
        try:
            call(form.cleaned_data)
        except NotFound:
            raise
        except DomainError as err:
            forms.domain_error_to_form(form, err)
        else:
            messages.success(request, f"{title}: done.")
            return redirect("register:list-entry", list_entry_id=entry.pk)
    return render(request, "register/list_action.html", {"form": form, "title": title, "entry": entry,
                                                         "submit": submit})


@not_found_is_404
@requires("register.lists.manage", objects=MANAGE)
@require_http_methods(["GET", "POST"])
def list_entry_report(request, list_entry_id):
    entry = lists.list_entry_get_for_manager(actor=request.user, entry_id=list_entry_id)
    form = ReportForm(request.POST if request.method == "POST" else None,
                      initial={"reported_on": forms.today(), "expected_version": entry.version})
    return _action_page(request, entry=entry, form=form, title="Report to the College of Policing",
                        call=lambda d: lists.list_entry_report(
                            actor=request.user, entry_id=entry.pk, reported_on=d["reported_on"],
                            conduct_description=d["conduct_description"], expected_version=d.get("expected_version")))


@not_found_is_404
@requires("register.lists.manage", objects=MANAGE)
@require_http_methods(["GET", "POST"])
def list_entry_publication(request, list_entry_id):
    entry = lists.list_entry_get_for_manager(actor=request.user, entry_id=list_entry_id)
    form = PublicationForm(request.POST if request.method == "POST" else None,
                           initial={"publish": "no" if entry.published else "yes", "expected_version": entry.version})
    return _action_page(request, entry=entry, form=form, title="Publish or withhold",
                        call=lambda d: lists.list_entry_publication_set(
                            actor=request.user, entry_id=entry.pk, publish=d["publish"], reason=d.get("reason") or "",
                            note=d.get("note") or "", expected_version=d.get("expected_version")))


@not_found_is_404
@requires("register.lists.manage", objects=MANAGE)
@require_http_methods(["GET", "POST"])
def list_entry_removal(request, list_entry_id):
    entry = lists.list_entry_get_for_manager(actor=request.user, entry_id=list_entry_id)
    form = RemovalForm(request.POST if request.method == "POST" else None, kind=entry.kind,
                       initial={"on": forms.today(), "expected_version": entry.version})
    return _action_page(request, entry=entry, form=form, title="Remove from the list",
                        call=lambda d: lists.list_entry_remove(
                            actor=request.user, entry_id=entry.pk, reason=d["reason"], note=d["note"], on=d["on"],
                            expected_version=d.get("expected_version")))


# -- the public barred list --------------------------------------------------------------------------------
@login_not_required
@requires("barred_list.public")
@require_GET
def barred_list_public(request):
    """Search the published barred list by name. No sign-in; nothing but published entries; no ids."""
    form = PublicSearchForm(request.GET or None)
    searched = form.is_valid() and any(form.cleaned_data.values())
    page_obj = None
    if searched:
        found = lists.barred_list_public_search(**form.cleaned_data)
        page_obj = Paginator(found, PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))
        page_obj.rows = [lists.public_row(e) for e in page_obj]
    params = request.GET.copy()
    params.pop("page", None)
    response = render(request, "register/barred_list_public.html", {
        "form": form, "searched": searched, "page_obj": page_obj,
        "querystring": f"{params.urlencode()}&" if params else ""})
    # Published for a period only: a browser or proxy must not keep a copy past it.
    response["Cache-Control"] = "no-store"
    return response
