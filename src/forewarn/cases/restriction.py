"""Writes that decide who sees a case: restricting it, naming its participants, breaking the glass.

A restricted case (anti-corruption, covert, a subject in professional standards) is visible only to
the people named on it (organisations.permissions). The appropriate authority or the head of
professional standards of the owning force restricts it, lifts the restriction and names
participants; whoever restricts a case is named on it, so nobody locks themselves out. An
administrator of the owning force may open a restricted case without being named only by stating
a reason: the access lasts `BREAK_GLASS_MINUTES`, is audited with the reason, and the force's heads
of professional standards are told by e-mail and see it on their My work page.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record
from forewarn.cases.models import BreakGlassGrant, Case, CaseParticipant, ParticipantRole, RestrictionKind
from forewarn.cases.selectors import case_get_for_actor
from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed
from forewarn.core.validation import clean_choice, clean_text
from forewarn.core.versioning import version_check
from forewarn.organisations import permissions
from forewarn.organisations.access import owning_force_case
from forewarn.organisations.models import Role, User

logger = logging.getLogger(__name__)

# Participants who can manage a restricted case; one must remain while it is restricted.
MANAGING_PARTICIPANTS = frozenset({ParticipantRole.APPROPRIATE_AUTHORITY, ParticipantRole.HEAD_OF_STANDARDS})


def _managed_case(*, actor, case_id: int, action: str) -> Case:
    """The case locked for update, if in the actor's scope (NotFound) and theirs to manage (403)."""
    case = case_get_for_actor(actor=actor, case_id=case_id)
    permissions.require(actor, action)
    if not permissions.owning_force_staff(actor, case):
        raise PermissionDenied("Only the force that owns the case decides who may see it.", action=action)
    return Case.objects.select_for_update().select_related("organisation").get(pk=case.pk)


def _managing_role(actor) -> str:
    return (ParticipantRole.HEAD_OF_STANDARDS if actor.has_any_role({Role.HEAD_OF_STANDARDS})
            else ParticipantRole.APPROPRIATE_AUTHORITY)


def _name(*, case: Case, user: User, role: str, actor) -> CaseParticipant:
    participant, created = CaseParticipant.objects.get_or_create(
        case=case, user=user, defaults={"role": role, "added_by": actor})
    if created:
        event_record(actor=actor, action="case.participant.add", obj=participant, case=case,
                     data={"user_id": user.pk, "role": role})
    return participant


@audited_write("case.restrict")
def case_restrict(*, actor, case_id: int, kind: str, reason: str, expected_version: int | None = None) -> Case:
    """Restrict a case to its named participants; the actor is named on it."""
    kind = clean_choice(kind, RestrictionKind, field="kind")
    reason = clean_text(reason, field="reason", max_length=2000, required=True)
    with transaction.atomic():
        case = _managed_case(actor=actor, case_id=case_id, action="case.restrict")
        version_check(case, expected_version, what="case")
        old = {"restricted": case.restricted, "restriction_kind": case.restriction_kind}
        case.restricted, case.restriction_kind = True, kind
        case.version += 1
        case.save(update_fields=["restricted", "restriction_kind", "version", "updated_at"])
        _name(case=case, user=actor, role=_managing_role(actor), actor=actor)
        event_record(actor=actor, action="case.restrict", obj=case, case=case, reason=reason,
                     data={"kind": kind},
                     changes={k: [v, getattr(case, k)] for k, v in old.items() if v != getattr(case, k)})
    return case


@audited_write("case.unrestrict")
def case_unrestrict(*, actor, case_id: int, reason: str, expected_version: int | None = None) -> Case:
    """Lift a restriction: the case is visible again to everyone its organisation rules admit."""
    reason = clean_text(reason, field="reason", max_length=2000, required=True)
    with transaction.atomic():
        case = _managed_case(actor=actor, case_id=case_id, action="case.restrict")
        version_check(case, expected_version, what="case")
        if not case.restricted:
            raise GuardFailed("The case is not restricted.", code="restriction.not_restricted")
        old_kind = case.restriction_kind
        case.restricted, case.restriction_kind = False, ""
        case.version += 1
        case.save(update_fields=["restricted", "restriction_kind", "version", "updated_at"])
        event_record(actor=actor, action="case.unrestrict", obj=case, case=case, reason=reason,
                     changes={"restricted": [True, False], "restriction_kind": [old_kind, ""]})
    return case


@audited_write("case.participant.add")
def case_participant_add(*, actor, case_id: int, user_id: int, role: str) -> CaseParticipant:
    """Name a user on a case in a role they hold (an investigator, the subject officer, their representative…)."""
    role = clean_choice(role, ParticipantRole, field="role")
    with transaction.atomic():
        case = _managed_case(actor=actor, case_id=case_id, action="case.participants.manage")
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise ValidationFailed(f"user_id: no active user with id {user_id}.", field="user_id",
                                   code="validation.unknown_user")
        if not user.has_any_role({role}):
            raise ValidationFailed(f"role: {user.username} does not hold the role {ParticipantRole(role).label}.",
                                   field="role", code="participant.role_not_held")
        existing = CaseParticipant.objects.select_for_update().filter(case=case, user=user).first()
        if existing is None:
            return _name(case=case, user=user, role=role, actor=actor)
        if existing.role != role:
            old = existing.role
            existing.role = role
            existing.save(update_fields=["role"])
            event_record(actor=actor, action="case.participant.change", obj=existing, case=case,
                         data={"user_id": user.pk}, changes={"role": [old, role]})
        return existing


@audited_write("case.participant.remove")
def case_participant_remove(*, actor, case_id: int, user_id: int) -> None:
    """Remove a user from a case's participants (a restricted case keeps at least one manager)."""
    with transaction.atomic():
        case = _managed_case(actor=actor, case_id=case_id, action="case.participants.manage")
        participant = CaseParticipant.objects.select_for_update().filter(case=case, user_id=user_id).first()
        if participant is None:
            raise NotFound(f"User {user_id} is not named on this case.")
        if case.restricted and participant.role in MANAGING_PARTICIPANTS and not (
                CaseParticipant.objects.filter(case=case, role__in=MANAGING_PARTICIPANTS)
                .exclude(pk=participant.pk).exists()):
            raise GuardFailed("A restricted case must keep one appropriate authority or head of professional "
                              "standards among its participants; name another first.",
                              code="restriction.last_manager")
        event_record(actor=actor, action="case.participant.remove", obj=participant, case=case,
                     data={"user_id": participant.user_id, "role": participant.role})
        participant.delete()


def participants_for_case(*, actor, case_id: int) -> list[CaseParticipant]:
    case = case_get_for_actor(actor=actor, case_id=case_id)
    permissions.require(actor, "case.participants.read")
    return list(CaseParticipant.objects.filter(case=case).select_related("user", "user__organisation")
                .order_by("role", "user__last_name", "id"))


# -- break glass ---------------------------------------------------------------------------------------
@audited_write("case.break_glass")
def break_glass_open(*, actor, case_id: int, reason: str) -> BreakGlassGrant:
    """Open a restricted case of the administrator's own force for `BREAK_GLASS_MINUTES`, with a reason.

    Writes one audit event carrying the reason and tells the force's heads of professional
    standards (e-mail after commit; the grant itself is the in-app notice on their My work page).
    """
    # Scope: the actor's own force's cases, restricted or not; anything else does not exist for them.
    case = owning_force_case(actor, case_id, {})
    permissions.require(actor, "case.break_glass")
    reason = clean_text(reason, field="reason", max_length=2000, required=True)
    if not case.restricted:
        raise GuardFailed("This case is not restricted: open it in the usual way.", code="break_glass.not_restricted")
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(case=case, user=actor, reason=reason, opened_at=now,
                                               expires_at=now + dt.timedelta(minutes=permissions.BREAK_GLASS_MINUTES))
        event_record(actor=actor, action="case.break_glass", obj=grant, case=case, reason=reason,
                     data={"expires_at": grant.expires_at.isoformat()})
        transaction.on_commit(lambda: break_glass_notify(grant_id=grant.pk))
    return grant


def heads_of_standards(organisation_id: int):
    return User.objects.filter(organisation_id=organisation_id, is_active=True,
                               roles__role=Role.HEAD_OF_STANDARDS).distinct().order_by("id")


def break_glass_notify(*, grant_id: int) -> int:
    """E-mail the owning force's heads of professional standards about one break-glass opening.

    Best effort, after commit: a mail failure is logged and never undoes the audited grant, which
    the heads of standards also see in the app. Returns the number of messages sent.
    """
    grant = BreakGlassGrant.objects.select_related("case", "user").get(pk=grant_id)
    recipients = [u.email for u in heads_of_standards(grant.case.organisation_id) if u.email]
    if not recipients:
        logger.warning("break glass on %s: the force has no head of professional standards with an e-mail address",
                       grant.case.reference)
        return 0
    who = grant.user.get_full_name() or grant.user.username
    body = (f"{who} opened the restricted case {grant.case.reference} at {timezone.localtime(grant.opened_at):%H:%M on %d %B %Y}"
            f" without being named on it.\n\nReason given: {grant.reason}\n\n"
            f"Access ends at {timezone.localtime(grant.expires_at):%H:%M}. The opening is in the audit trail and on "
            "your My work page in Forewarn.")
    try:
        return send_mail(f"Break-glass access to {grant.case.reference}", body,
                         getattr(settings, "DEFAULT_FROM_EMAIL", None), recipients)
    except Exception:  # the grant is committed and audited; a mail outage must not hide that from the log
        logger.exception("break glass on %s: e-mail to heads of professional standards failed", grant.case.reference)
        return 0
