"""Who sits on a proceeding's panel: appointing and standing down panel members.

A panel member sees the papers of the proceedings they sit on, and only until the proceeding closes
(organisations.permissions.PANEL_CLOSED_STATUSES); the seat itself is what gives them sight of the
case, so seats are written only here, by the appropriate authority of the owning force (Conduct Regs
2020 reg 28), and every change is audited.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from forewarn.audit.services import audited_write, event_record
from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed
from forewarn.core.validation import clean_choice
from forewarn.organisations import permissions
from forewarn.organisations.models import Role, User
from forewarn.proceedings.models import PanelMember, PanelRole, Proceeding
from forewarn.proceedings.selectors import proceeding_get_for_actor


def _managed_proceeding(*, actor, proceeding_id: int) -> Proceeding:
    """The proceeding, locked, if in scope (NotFound) and the actor may appoint its panel (403)."""
    proceeding = proceeding_get_for_actor(actor=actor, proceeding_id=proceeding_id)
    permissions.require(actor, "proceeding.panel.manage")
    if not permissions.owning_force_staff(actor, proceeding.case):
        raise PermissionDenied("Only the force that owns the case appoints its panels.",
                               action="proceeding.panel.manage")
    proceeding = Proceeding.objects.select_for_update().select_related("case").get(pk=proceeding.pk)
    if proceeding.status in permissions.PANEL_CLOSED_STATUSES:
        raise GuardFailed("The proceeding has closed; its panel can no longer change.", code="panel.closed")
    return proceeding


@audited_write("proceeding.panel.add")
def panel_member_add(*, actor, proceeding_id: int, user_id: int, role: str) -> PanelMember:
    """Seat a user who holds the panel member role on a proceeding's panel, as its chair or a member."""
    role = clean_choice(role, PanelRole, field="role")
    try:
        with transaction.atomic():
            proceeding = _managed_proceeding(actor=actor, proceeding_id=proceeding_id)
            user = User.objects.filter(pk=user_id, is_active=True).first()
            if user is None:
                raise ValidationFailed(f"user_id: no active user with id {user_id}.", field="user_id",
                                       code="validation.unknown_user")
            if not user.has_any_role({Role.PANEL_MEMBER}):
                raise ValidationFailed(f"user_id: {user.username} does not hold the panel member role.",
                                       field="user_id", code="panel.not_a_panel_member")
            if PanelMember.objects.filter(proceeding=proceeding, user=user).exists():
                raise ValidationFailed(f"user_id: {user.username} already sits on this panel.", field="user_id",
                                       code="panel.already_seated")
            if role == PanelRole.CHAIR and PanelMember.objects.filter(proceeding=proceeding,
                                                                      role=PanelRole.CHAIR).exists():
                raise ValidationFailed("role: the panel already has a chair; stand them down first.", field="role",
                                       code="panel.chair_taken")
            seat = PanelMember.objects.create(proceeding=proceeding, user=user, role=role, added_by=actor)
            event_record(actor=actor, action="proceeding.panel.add", obj=seat, case=proceeding.case,
                         data={"proceeding_id": proceeding.pk, "user_id": user.pk, "role": role})
    except IntegrityError:
        # Two appointments raced for the same seat or the chair; the constraint kept one.
        raise ValidationFailed("The panel changed while you were appointing; try again.", field="user_id",
                               code="panel.conflict") from None
    return seat


@audited_write("proceeding.panel.remove")
def panel_member_remove(*, actor, proceeding_id: int, user_id: int) -> None:
    """Stand a member down: they lose sight of the case at once (unless named on it otherwise)."""
    with transaction.atomic():
        proceeding = _managed_proceeding(actor=actor, proceeding_id=proceeding_id)
        seat = PanelMember.objects.select_for_update().filter(proceeding=proceeding, user_id=user_id).first()
        if seat is None:
            raise NotFound(f"User {user_id} does not sit on this panel.")
        event_record(actor=actor, action="proceeding.panel.remove", obj=seat, case=proceeding.case,
                     data={"proceeding_id": proceeding.pk, "user_id": seat.user_id, "role": seat.role})
        seat.delete()


def panel_for_proceeding(*, actor, proceeding_id: int) -> list[PanelMember]:
    proceeding = proceeding_get_for_actor(actor=actor, proceeding_id=proceeding_id)
    permissions.require(actor, "proceeding.panel.read")
    return list(PanelMember.objects.filter(proceeding=proceeding).select_related("user", "user__organisation")
                .order_by("role", "id"))
