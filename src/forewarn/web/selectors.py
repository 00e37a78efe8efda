"""Reads that compose a page from several apps' selectors, always within the actor's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from forewarn.cases.models import Case
from forewarn.cases.selectors import case_detail, open_clocks
from forewarn.core.clocks import CLOCK_RULES
from forewarn.core.lifecycle import Machine, Transition
from forewarn.core.models import Clock
from forewarn.organisations.models import Organisation
from forewarn.organisations.permissions import case_scope_q
from forewarn.proceedings.models import Challenge, Proceeding
from forewarn.web.machines import all_machines


def organisations_in_scope(*, actor) -> QuerySet[Organisation]:
    """The organisations that own at least one case the actor may see (for filters)."""
    return Organisation.objects.filter(
        Exists(Case.objects.filter(case_scope_q(actor), organisation=OuterRef("pk")))).order_by("name")


def clock_is_overdue(clock: Clock, on: dt.date) -> bool:
    rule = CLOCK_RULES.get(clock.kind)
    # Windows (appeal periods…) close on their own and are never overdue; a paused clock is not running.
    return bool(rule and rule.is_task and clock.paused_on is None and clock.stopped_on is None and clock.due_on < on)


def my_work(*, actor, on: dt.date | None = None) -> list[Clock]:
    """The open statutory clocks in the actor's scope, overdue first, then by due date."""
    on = on or timezone.localdate()
    clocks = list(open_clocks(actor=actor, on=on).select_related("case__organisation"))
    for clock in clocks:
        clock.is_overdue = clock_is_overdue(clock, on)
    clocks.sort(key=lambda c: (not c.is_overdue, c.due_on, c.id))
    return clocks


@dataclass
class ActionGroup:
    """The actions one actor may take now on one record, under one lifecycle."""

    machine: Machine
    obj: Any
    title: str
    transitions: list[Transition] = field(default_factory=list)


def _records_for(model_label: str, page: dict) -> list[tuple[Any, str]]:
    if model_label == "cases.case":
        return [(page["case"], "This case")]
    if model_label == "cases.subjectallegation":
        return [(s, f"{s.subject_label} — allegation {s.allegation.number}") for s in page["subjects"]]
    if model_label == "proceedings.proceeding":
        return [(p, f"{p.get_form_display()} ({p.get_status_display()})") for p in page["proceedings"]]
    if model_label == "proceedings.challenge":
        return [(c, f"{c.get_route_display()} by {c.applicant}") for c in page["challenges"]]
    return []


def available_actions(*, actor, page: dict) -> list[ActionGroup]:
    """For every lifecycle attached to the case's records, what the actor may do now (deny by default)."""
    groups = []
    for machine in all_machines():
        for obj, title in _records_for(machine.model.lower(), page):
            if not machine.in_scope(actor, obj):
                continue
            transitions = machine.available(actor=actor, obj=obj)
            if transitions:
                label = f"{title}: {machine.label(getattr(obj, machine.state_field))}"
                groups.append(ActionGroup(machine=machine, obj=obj, title=label, transitions=transitions))
    return groups


def case_page(*, actor, case_id: int, reason: str = "") -> dict:
    """Everything the case page shows (NotFound outside the actor's scope), in a fixed number of queries.

    A restricted case needs the purpose of the read (`reason`; ReasonRequired otherwise)."""
    page = case_detail(actor=actor, case_id=case_id, reason=reason)
    case = page["case"]
    proceedings = list(Proceeding.objects.filter(case=case).select_related("person").order_by("notice_on", "id"))
    challenges = list(Challenge.objects.filter(proceeding__case=case).select_related("proceeding")
                      .order_by("lodged_on", "id"))
    by_proceeding: dict[int, list[Challenge]] = {}
    for c in challenges:
        by_proceeding.setdefault(c.proceeding_id, []).append(c)
    # Share the one case instance: machines' scope rules read record.case, which would query per record.
    for record in (*page["subjects"], *page["allegations"], *proceedings):
        record.case = case
    proceeding_by_id = {p.id: p for p in proceedings}
    for c in challenges:
        c.proceeding = proceeding_by_id.get(c.proceeding_id, c.proceeding)
    for p in proceedings:
        p.challenge_rows = by_proceeding.get(p.id, [])
    today = timezone.localdate()
    for clock in page["clocks"]:
        clock.is_overdue = clock_is_overdue(clock, today)
    page.update(proceedings=proceedings, challenges=challenges)
    page["action_groups"] = available_actions(actor=actor, page=page)
    return page


def record_for_action(*, machine: Machine, obj_id: int):
    """The record a lifecycle action acts on, or None. The caller checks scope through its case."""
    return machine.model_class().objects.filter(pk=obj_id).first()
