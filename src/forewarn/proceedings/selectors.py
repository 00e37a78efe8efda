"""Reads of proceedings, always starting from what the actor may see."""

from __future__ import annotations

from django.db.models import Prefetch

from forewarn.cases.selectors import case_get_for_actor
from forewarn.core.errors import NotFound
from forewarn.organisations.permissions import case_scope_q
from forewarn.proceedings.models import Challenge, Proceeding, ProceedingAllegation


def proceeding_get_for_actor(*, actor, proceeding_id: int) -> Proceeding:
    """The proceeding, if the actor may see its case; otherwise NotFound (never confirm it exists)."""
    proceeding = (Proceeding.objects.filter(case_scope_q(actor, "case__"), pk=proceeding_id)
                  .select_related("case", "person", "remitted_from").first())
    if proceeding is None:
        raise NotFound(f"No proceeding with id {proceeding_id}.")
    return proceeding


def challenge_get_for_actor(*, actor, challenge_id: int) -> Challenge:
    challenge = (Challenge.objects.filter(case_scope_q(actor, "proceeding__case__"), pk=challenge_id)
                 .select_related("proceeding", "proceeding__case", "parent").first())
    if challenge is None:
        raise NotFound(f"No challenge with id {challenge_id}.")
    return challenge


def proceedings_for_case(*, actor, case_id: int) -> list[Proceeding]:
    """A case's proceedings with their allegations and challenges, oldest notice first."""
    case = case_get_for_actor(actor=actor, case_id=case_id)
    return list(
        Proceeding.objects.filter(case=case).select_related("person", "remitted_from")
        .prefetch_related(
            Prefetch("items", queryset=ProceedingAllegation.objects.select_related(
                "subject_allegation__allegation").order_by("id")),
            Prefetch("challenges", queryset=Challenge.objects.order_by("lodged_on", "id")))
        .order_by("notice_on", "id"))
