"""Disclosure requests: a force asks the owning force for the case file behind a register entry.

Issue #4 §1: "the case file stays with the owning force unless a disclosure request is granted".

- A force that sees an entry (`register.sharing`) may ask for the case file, giving its reason: its
  vetting officers or its head of professional standards (`register.disclosure.request`).
- The owning force's head of professional standards or appropriate authority, with the case in
  their case scope, grants it for a limited time (30 days unless they say otherwise, at most 90) or
  refuses it, with reasons (`register.disclosure.decide`).
- While a grant runs, the case is in the case scope of the requesting force's vetting officers
  (`organisations.permissions._disclosed_case_ids`): they read the case and its documents through
  the usual pages, never complainants' or witnesses' contact details (those stay with the owning
  force's casework staff: `permissions.party_contacts_visible`), and never change it (the vetting
  officer role writes to no case). When it ends, the case drops out of their scope by itself.

Each step writes an audit event filed under the case, so the owning force sees on the case's
timeline who asked for it and what was decided.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record, read_search
from forewarn.cases.models import Case, SubjectAllegation
from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed
from forewarn.core.validation import clean_text
from forewarn.organisations import permissions
from forewarn.register.models import Application, DisclosureRequest, DisclosureStatus
from forewarn.register.sharing import Relationship, Visibility, person_relationships, visibility_for
from forewarn.workforce.models import Appointment

DEFAULT_GRANT_DAYS = 30
MAX_GRANT_DAYS = 90
MIN_REASON_LENGTH = 10
MAX_REASON_LENGTH = 2000


def _reason(value: str, field: str = "reason") -> str:
    reason = clean_text(value, field=field, max_length=MAX_REASON_LENGTH, required=True)
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationFailed(f"{field}: give the reason in at least {MIN_REASON_LENGTH} characters.",
                               field=field, code="validation.too_short")
    return reason


def disclosure_status(request: DisclosureRequest, now: dt.datetime | None = None) -> str:
    """requested, granted, refused, or expired (a grant whose time has run out)."""
    now = now or timezone.now()
    if request.status == DisclosureStatus.GRANTED and request.expires_at and request.expires_at <= now:
        return "expired"
    return request.status


def _entry_visible(*, actor, subject: SubjectAllegation) -> bool:
    """Whether the actor's organisation sees this entry under the sharing rules (a few indexed queries)."""
    organisation = actor.organisation
    today = timezone.localdate()
    appointments = Appointment.objects.filter(person_id=subject.person_id, organisation_id=organisation.id)
    kinds = Application.objects.filter(person_id=subject.person_id, organisation_id=organisation.id,
                                       closed_on__isnull=True).values_list("kind", flat=True)
    rels = person_relationships(organisation=organisation, appointments=appointments, open_application_kinds=kinds,
                                on=today)
    if subject.case.organisation_id == organisation.id:
        rels.add(Relationship.OWNS_CASE)
    return visibility_for(rels, actor.role_codes) >= Visibility.ENTRY


@audited_write("register.disclosure.request")
def disclosure_request(*, actor, subject_allegation_id: int, reason: str) -> DisclosureRequest:
    """Ask the owning force for the case file behind an entry the actor's force sees."""
    permissions.require(actor, "register.disclosure.request")
    organisation = actor.organisation
    if organisation is None or not organisation.is_force:
        raise PermissionDenied("Disclosure requests are made by a police force.", action="register.disclosure.request")
    reason = _reason(reason)
    subject = (SubjectAllegation.objects.filter(pk=subject_allegation_id, person__isnull=False)
               .select_related("case", "case__organisation").first())
    # An entry the force may not see does not exist for it (never confirm another force's case).
    if subject is None or not _entry_visible(actor=actor, subject=subject):
        raise NotFound(f"No register entry with id {subject_allegation_id}.")
    case = subject.case
    if case.organisation_id == organisation.id:
        raise GuardFailed("This is your own force's case: its file is with your professional standards department.",
                          code="disclosure.own_case")
    now = timezone.now()
    with transaction.atomic():
        # Lock the force's requests for this person, so two requests at once do not both pass the check.
        pending = [r for r in DisclosureRequest.objects.select_for_update()
                   .filter(person_id=subject.person_id, requesting_organisation=organisation, case=case)
                   if disclosure_status(r, now) in {DisclosureStatus.REQUESTED, DisclosureStatus.GRANTED}]
        if pending:
            raise GuardFailed(f"Your force's request for this case file is already {disclosure_status(pending[0], now)}.",
                              code="disclosure.pending", disclosure_id=pending[0].pk)
        request = DisclosureRequest.objects.create(
            requesting_organisation=organisation, requested_by=actor, owning_organisation_id=case.organisation_id,
            person_id=subject.person_id, case=case, subject_allegation=subject, reason=reason)
        event_record(actor=actor, action="register.disclosure.request", obj=request, case=case, to_state="requested",
                     reason=reason, data={"subject_allegation_id": subject.pk, "requesting_organisation": organisation.code})
    return request


def disclosure_get_for_actor(*, actor, disclosure_id: int) -> DisclosureRequest:
    """A request the actor's organisation made, or one to it about a case in the actor's case scope."""
    org_id = getattr(actor, "organisation_id", None) if permissions.is_signed_in(actor) else None
    request = (DisclosureRequest.objects.filter(pk=disclosure_id).select_related("case", "requesting_organisation")
               .first() if org_id else None)
    if request is not None and request.requesting_organisation_id != org_id and not (
            request.owning_organisation_id == org_id and permissions.case_in_scope(actor, request.case)):
        request = None
    if request is None:
        raise NotFound(f"No disclosure request with id {disclosure_id}.")
    return request


def owning_disclosure_get_for_actor(*, actor, disclosure_id: int) -> DisclosureRequest:
    """A request to the actor's own force about a case in the actor's case scope (who may decide it)."""
    request = disclosure_get_for_actor(actor=actor, disclosure_id=disclosure_id)
    if request.owning_organisation_id != actor.organisation_id:
        raise NotFound(f"No disclosure request with id {disclosure_id}.")
    return request


@audited_write("register.disclosure.decide")
def disclosure_decide(*, actor, disclosure_id: int, grant: bool, reason: str,
                      days: int = DEFAULT_GRANT_DAYS) -> DisclosureRequest:
    """Grant (for `days`) or refuse a request for one's own force's case file, with reasons."""
    owning_disclosure_get_for_actor(actor=actor, disclosure_id=disclosure_id)
    permissions.require(actor, "register.disclosure.decide")
    reason = _reason(reason)
    if grant and not (isinstance(days, int) and 1 <= days <= MAX_GRANT_DAYS):
        raise ValidationFailed(f"days: a grant lasts from 1 to {MAX_GRANT_DAYS} days.", field="days",
                               code="validation.range")
    now = timezone.now()
    with transaction.atomic():
        request = DisclosureRequest.objects.select_for_update().select_related("case", "requesting_organisation").get(
            pk=disclosure_id)
        if request.status != DisclosureStatus.REQUESTED:
            raise GuardFailed(f"The request was already {request.get_status_display().lower()}.",
                              code="disclosure.decided")
        request.status = DisclosureStatus.GRANTED if grant else DisclosureStatus.REFUSED
        request.decided_by, request.decided_at, request.decision_reason = actor, now, reason
        request.expires_at = now + dt.timedelta(days=days) if grant else None
        request.case_visible = True  # the decider has the case in their case scope
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "expires_at",
                                    "updated_at"])
        event_record(actor=actor, action=f"register.disclosure.{'grant' if grant else 'refuse'}", obj=request,
                     case=request.case, from_state=DisclosureStatus.REQUESTED, to_state=request.status, reason=reason,
                     data={"requesting_organisation": request.requesting_organisation.code,
                           "expires_at": request.expires_at.isoformat() if request.expires_at else None})
    return request


def disclosure_as_dict(request: DisclosureRequest) -> dict:
    """A request as its reader may see it: another force's restricted case keeps its reference to itself."""
    case = request.case
    visible = getattr(request, "case_visible", False)
    return {
        "id": request.pk, "status": getattr(request, "current_status", None) or disclosure_status(request),
        "person": {"id": request.person_id, "full_name": request.person.full_name},
        "subject_allegation_id": request.subject_allegation_id,
        "owning_organisation": {"code": case.organisation.code, "name": case.organisation.name},
        "requesting_organisation": {"code": request.requesting_organisation.code,
                                    "name": request.requesting_organisation.name},
        "case_reference": case.reference if visible or not case.restricted else "",
        "case_id": case.pk if visible else None,
        "reason": request.reason, "requested_at": request.created_at, "decided_at": request.decided_at,
        "decision_reason": request.decision_reason, "expires_at": request.expires_at,
    }


def disclosures_list(*, actor, limit: int = 200) -> dict[str, list[DisclosureRequest]]:
    """The requests the actor's force made (outgoing) and those made to it about cases in the actor's scope
    (incoming), newest first; audited as a search."""
    permissions.require(actor, "register.history.read")
    org_id = getattr(actor, "organisation_id", None)
    related = ("case", "case__organisation", "requesting_organisation", "requested_by", "person")
    outgoing = list(DisclosureRequest.objects.filter(requesting_organisation_id=org_id).select_related(*related)
                    .order_by("-created_at", "-id")[:limit]) if org_id else []
    incoming = list(DisclosureRequest.objects.filter(permissions.case_scope_q(actor, "case__"),
                                                     owning_organisation_id=org_id).select_related(*related)
                    .order_by("-created_at", "-id")[:limit]) if org_id else []
    now = timezone.now()
    case_ids = sorted({r.case_id for r in (*outgoing, *incoming)})
    in_scope = set(Case.objects.filter(permissions.case_scope_q(actor), pk__in=case_ids)
                   .values_list("pk", flat=True)) if case_ids else set()
    for request in (*outgoing, *incoming):
        request.current_status = disclosure_status(request, now)
        request.case_visible = request.case_id in in_scope
    read_search(actor=actor, action="register.disclosure.list",
                data={"outgoing": [r.pk for r in outgoing], "incoming": [r.pk for r in incoming]})
    return {"outgoing": outgoing, "incoming": incoming}
