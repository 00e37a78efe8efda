"""Pages that decide who sees a case: its restriction, its participants, panel seats, breaking the glass.

Thin, like every view: each form calls one service in `cases.restriction` or `proceedings.panel`,
and every rule (roles, scope, the last manager of a restricted case, the one chair) lives there.
"""

from __future__ import annotations

import time

from django import forms as django_forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from forewarn.cases import restriction
from forewarn.cases.models import Case, ParticipantRole, RestrictionKind
from forewarn.cases.selectors import case_get_for_actor
from forewarn.core.errors import DomainError, NotFound
from forewarn.organisations.access import requires
from forewarn.organisations.models import User
from forewarn.proceedings import panel
from forewarn.proceedings.models import PanelRole
from forewarn.proceedings.selectors import proceeding_get_for_actor
from forewarn.web import forms

# How long a purpose given for a restricted case covers its other pages in the same session.
READ_REASON_SECONDS = 30 * 60
_SESSION_KEY = "forewarn_read_reasons"


# -- the purpose of reading a restricted case ----------------------------------------------------------
def read_reason_remember(request, case_id: int, reason: str) -> None:
    reasons = request.session.get(_SESSION_KEY, {})
    reasons[str(case_id)] = [reason, time.time()]
    request.session[_SESSION_KEY] = reasons


def read_reason_recalled(request, case_id: int) -> str:
    """The purpose this session gave for the case in the last READ_REASON_SECONDS, or ''."""
    reason, given_at = request.session.get(_SESSION_KEY, {}).get(str(case_id), ["", 0])
    return reason if time.time() - given_at < READ_REASON_SECONDS else ""


class ReadReasonForm(django_forms.Form):
    reason = django_forms.CharField(
        max_length=2000, widget=django_forms.Textarea, label="Why are you opening this case?",
        help_text="The case is restricted. Your reason is kept in the audit trail with your name.",
        error_messages={"required": "Say why you are opening this restricted case."})


# -- forms ---------------------------------------------------------------------------------------------
class NoSuchUser(Exception):
    """The user name typed into a form names no active user (shown against the field)."""


def _user_named(username: str) -> User:
    user = User.objects.filter(username=(username or "").strip(), is_active=True).first()
    if user is None:
        raise NoSuchUser
    return user


class RestrictionForm(django_forms.Form):
    kind = django_forms.ChoiceField(
        choices=[("", "Lift the restriction"), *RestrictionKind.choices], required=False,
        widget=django_forms.RadioSelect, label="Restriction")
    reason = django_forms.CharField(max_length=2000, widget=django_forms.Textarea, label="Reason",
                                    error_messages={"required": "Give the reason for the decision."})
    # The case's version when the page was opened (optimistic locking; see core.versioning).
    expected_version = django_forms.IntegerField(widget=django_forms.HiddenInput, required=False, min_value=1)


class ParticipantForm(django_forms.Form):
    username = django_forms.CharField(max_length=150, label="User name",
                                      error_messages={"required": "Enter the user name of the person to name."})
    role = django_forms.ChoiceField(choices=ParticipantRole.choices, widget=django_forms.RadioSelect,
                                    label="Named as", error_messages={"required": "Select how they are named."})


class PanelMemberForm(django_forms.Form):
    username = django_forms.CharField(max_length=150, label="User name",
                                      error_messages={"required": "Enter the panel member's user name."})
    role = django_forms.ChoiceField(choices=PanelRole.choices, widget=django_forms.RadioSelect, label="Sits as",
                                    error_messages={"required": "Select chair or member."})


class BreakGlassForm(django_forms.Form):
    reference = django_forms.CharField(max_length=24, label="Case reference",
                                       error_messages={"required": "Enter the case reference."})
    reason = django_forms.CharField(
        max_length=2000, widget=django_forms.Textarea, label="Why must you open it?",
        help_text="Access lasts one hour. Your reason is audited and sent to the head of professional standards.",
        error_messages={"required": "Say why you must open the case."})


def _call(form, call) -> bool:
    """Run one service call for a valid form; a refusal is shown on the form. NotFound stays a 404."""
    try:
        call()
    except NoSuchUser:
        form.add_error("username", "There is no active user with that user name.")
        return False
    except NotFound:
        raise
    except DomainError as err:
        forms.domain_error_to_form(form, err)
        return False
    return True


def _remove(request, call, success: str) -> None:
    """A removal button: the outcome is a banner on the list page (NotFound stays a 404)."""
    try:
        call()
    except NotFound:
        raise
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, success)


def _posted(request):
    return request.POST if request.method == "POST" else None


# -- restriction and participants ----------------------------------------------------------------------
@requires("case.restrict")
@require_http_methods(["GET", "POST"])
def case_restriction(request, case_id):
    case = case_get_for_actor(actor=request.user, case_id=case_id)
    form = RestrictionForm(_posted(request), initial={"kind": case.restriction_kind, "expected_version": case.version})

    def decide():
        kind, version = form.cleaned_data["kind"], form.cleaned_data.get("expected_version")
        if kind:
            restriction.case_restrict(actor=request.user, case_id=case.id, kind=kind,
                                      reason=form.cleaned_data["reason"], expected_version=version)
        else:
            restriction.case_unrestrict(actor=request.user, case_id=case.id, reason=form.cleaned_data["reason"],
                                        expected_version=version)
        read_reason_remember(request, case.id, form.cleaned_data["reason"])

    if request.method == "POST" and form.is_valid() and _call(form, decide):
        messages.success(request, "Restriction updated.")
        return redirect("web:case-detail", case_id=case.id)
    return render(request, "web/form_page.html", {
        "form": form, "title": "Who may see this case", "submit": "Save", "case": case,
        "back": reverse("web:case-detail", args=[case.id])})


@requires("case.participants.manage")
@require_http_methods(["GET", "POST"])
def case_participants(request, case_id):
    case = case_get_for_actor(actor=request.user, case_id=case_id)
    form = ParticipantForm(_posted(request))
    if request.method == "POST" and form.is_valid() and _call(form, lambda: restriction.case_participant_add(
            actor=request.user, case_id=case.id, user_id=_user_named(form.cleaned_data["username"]).pk,
            role=form.cleaned_data["role"])):
        messages.success(request, "Participant named.")
        return redirect("web:case-participants", case_id=case.id)
    participants = restriction.participants_for_case(actor=request.user, case_id=case.id)
    return render(request, "web/case_participants.html", {
        "case": case, "form": form, "participants": participants,
        "back": reverse("web:case-detail", args=[case.id])})


@requires("case.participants.manage")
@require_POST
def case_participant_remove(request, case_id, user_id):
    _remove(request, lambda: restriction.case_participant_remove(actor=request.user, case_id=case_id,
                                                                 user_id=user_id), "Participant removed.")
    return redirect("web:case-participants", case_id=case_id)


# -- panels ----------------------------------------------------------------------------------------------
@requires("proceeding.panel.manage")
@require_http_methods(["GET", "POST"])
def proceeding_panel(request, proceeding_id):
    proceeding = proceeding_get_for_actor(actor=request.user, proceeding_id=proceeding_id)
    form = PanelMemberForm(_posted(request))
    if request.method == "POST" and form.is_valid() and _call(form, lambda: panel.panel_member_add(
            actor=request.user, proceeding_id=proceeding.id,
            user_id=_user_named(form.cleaned_data["username"]).pk, role=form.cleaned_data["role"])):
        messages.success(request, "Panel member seated.")
        return redirect("web:proceeding-panel", proceeding_id=proceeding.id)
    return render(request, "web/proceeding_panel.html", {
        "proceeding": proceeding, "case": proceeding.case, "form": form,
        "seats": panel.panel_for_proceeding(actor=request.user, proceeding_id=proceeding.id),
        "back": reverse("web:case-detail", args=[proceeding.case_id])})


@requires("proceeding.panel.manage")
@require_POST
def proceeding_panel_remove(request, proceeding_id, user_id):
    _remove(request, lambda: panel.panel_member_remove(actor=request.user, proceeding_id=proceeding_id,
                                                       user_id=user_id), "Panel member stood down.")
    return redirect("web:proceeding-panel", proceeding_id=proceeding_id)


# -- breaking the glass ------------------------------------------------------------------------------------
@requires("case.break_glass")
@require_http_methods(["GET", "POST"])
def break_glass(request):
    form = BreakGlassForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["reference"].strip().upper()
        # Only the administrator's own force's cases exist here (Scope.OWNING_FORCE).
        case = Case.objects.filter(reference=reference, organisation_id=request.user.organisation_id).first()
        if case is None:
            form.add_error("reference", "Your force has no case with that reference.")
        elif _call(form, lambda: restriction.break_glass_open(actor=request.user, case_id=case.id,
                                                              reason=form.cleaned_data["reason"])):
            # The reason just given is the purpose of the read that follows.
            read_reason_remember(request, case.id, form.cleaned_data["reason"])
            messages.warning(request, "You have opened a restricted case. Access ends in one hour; the head of "
                                      "professional standards has been told.")
            return redirect("web:case-detail", case_id=case.id)
    return render(request, "web/form_page.html", {
        "form": form, "title": "Open a restricted case", "submit": "Open the case",
        "back": reverse("web:my-work")})
