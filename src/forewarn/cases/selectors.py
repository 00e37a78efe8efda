"""Reads of cases, always starting from what the actor may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from forewarn.audit.models import EventKind
from forewarn.audit.services import read_record
from forewarn.cases.models import Allegation, BreakGlassGrant, Case, Party, SubjectAllegation
from forewarn.cases.redaction import redaction_for
from forewarn.core.clocks import CLOCK_RULES
from forewarn.core.errors import NotFound
from forewarn.core.models import Clock
from forewarn.core.validation import clean_text
from forewarn.organisations.permissions import ReasonRequired, case_in_scope, case_scope_q, has_role_for

# Windows such as an appeal period close on their own; only tasks can be overdue.
TASK_CLOCK_KINDS = [kind.value for kind, rule in CLOCK_RULES.items() if rule.is_task]


def case_list(*, actor, case_type: str = "", status: str = "", category: str = "", organisation_id: int | None = None,
              overdue: bool = False, search: str = "") -> QuerySet[Case]:
    qs = Case.objects.filter(case_scope_q(actor)).select_related("organisation")
    if case_type:
        qs = qs.filter(case_type=case_type)
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(Exists(Allegation.objects.filter(case=OuterRef("pk"), category=category)))
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    if overdue:
        today = timezone.localdate()
        qs = qs.filter(Exists(Clock.objects.filter(case=OuterRef("pk"), stopped_on__isnull=True, kind__in=TASK_CLOCK_KINDS,
                                                   paused_on__isnull=True, due_on__lt=today)))
    if search:
        term = search.strip()
        qs = qs.filter(Q(reference__icontains=term) | Q(summary__icontains=term)
                       | Exists(SubjectAllegation.objects.filter(case=OuterRef("pk")).filter(
                           Q(name_as_given__icontains=term) | Q(person__family_name__icontains=term))))
    # A correlated subquery, not Count() over a join: PostgreSQL then counts allegations only for the
    # page of rows returned, instead of grouping every case in scope before the LIMIT.
    allegation_count = (Allegation.objects.filter(case=OuterRef("pk")).order_by().values("case")
                        .annotate(n=Count("*")).values("n"))
    return qs.annotate(allegation_count=Coalesce(Subquery(allegation_count), 0))


def case_get_for_actor(*, actor, case_id: int, reason: str | None = None) -> Case:
    """The case, if the actor may see it; otherwise NotFound (never a 403 that confirms it exists).

    `reason` marks a read that shows the record to a person (a page, an API response, an export):
    a restricted case is then shown only with a stated purpose (`ReasonRequired` otherwise), and
    the purpose is kept on the instance as `case.read_reason` for the read audit. Services that
    only look the case up pass nothing.
    """
    case = _by_pk(Case.objects.select_related("organisation"), case_id)
    if case is None or not case_in_scope(actor, case):
        raise NotFound(f"No case with id {case_id}.")
    case.read_reason = restricted_read_reason(case, reason) if reason is not None else ""
    return case


def _by_pk(rows: QuerySet, pk):
    """One row by primary key (None if absent), for an access helper to judge with `case_in_scope`.

    A single record is judged in memory by `case_in_scope`, the rule `case_scope_q` filters lists by
    (tests/security/test_scope.py holds the two equal). A case the actor's organisation sees unrestricted
    then costs this one query; filtering by `case_scope_q` cost two (the ids of the cases the actor is
    named on, then the row) and most of 5 ms building the filter, twice per serious allegation recorded
    (benchmarks/notification_latency.py). The named-case query still runs whenever the organisation rule
    does not admit the case (restricted, another organisation's, a role that is named case by case).

    order_by(): `.first()` would add the model's ordering, and ORDER BY … LIMIT 1 led PostgreSQL to
    walk the force's (organisation, came_to_attention_on) index filtering on id — every case of the
    force for one lookup (found by benchmarks/notification_latency.py) — instead of the primary key.
    """
    return rows.filter(pk=pk).order_by().first()


def restricted_read_reason(case: Case, reason: str | None) -> str:
    """The purpose of reading `case`, cleaned; required (ReasonRequired) when the case is restricted."""
    reason = clean_text(reason or "", field="reason", max_length=2000)
    if case.restricted and not reason:
        raise ReasonRequired("reason: this case is restricted; say why you are opening it.", field="reason")
    return reason


def case_get_by_reference_for_actor(*, actor, reference: str) -> Case:
    case = Case.objects.filter(case_scope_q(actor)).select_related("organisation").filter(
        reference=reference.strip().upper()).first()
    if case is None:
        raise NotFound(f"No case with reference {reference}.")
    return case


def case_detail(*, actor, case_id: int, reason: str = "") -> dict:
    """Everything the case page shows, in a fixed number of queries (a restricted case needs a reason).

    Parties come out already redacted for this reader (`cases.redaction`).
    """
    case = case_get_for_actor(actor=actor, case_id=case_id, reason=reason)
    allegations = list(Allegation.objects.filter(case=case).order_by("number"))
    subjects = list(SubjectAllegation.objects.filter(case=case).select_related("person", "allegation"))
    by_allegation: dict[int, list[SubjectAllegation]] = {}
    for s in subjects:
        by_allegation.setdefault(s.allegation_id, []).append(s)
    for a in allegations:
        a.subject_rows = by_allegation.get(a.id, [])
    parties = list(Party.objects.filter(case=case))
    redaction = redaction_for(actor=actor, case=case)
    hidden = redaction.hidden_party_ids(parties)
    timeline = (case.events.filter(kind=EventKind.CHANGE).select_related("actor", "organisation")
                .order_by("occurred_on", "id"))
    if hidden:
        timeline = timeline.exclude(object_type="cases.party", object_id__in=hidden)
    # The read is audited, with each party record the reader was shown (issue #3 §2).
    read_record(actor=actor, obj=case, case=case, reason=case.read_reason,
                also=[party for party in parties if party.id not in hidden])
    return {
        "case": case,
        "parties": redaction.parties(parties),
        "redaction": redaction,
        "allegations": allegations,
        "subjects": subjects,
        "clocks": list(Clock.objects.filter(case=case, stopped_on__isnull=True).order_by("due_on")),
        "timeline": list(timeline),
    }


def allegation_get_for_actor(*, actor, allegation_id: int) -> Allegation:
    """The allegation with its case and the case's organisation, if the actor may see the case."""
    allegation = _by_pk(Allegation.objects.select_related("case", "case__organisation"), allegation_id)
    if allegation is None or not case_in_scope(actor, allegation.case):
        raise NotFound(f"No allegation with id {allegation_id}.")
    return allegation


def subject_allegation_get_for_actor(*, actor, subject_allegation_id: int) -> SubjectAllegation:
    sa = _by_pk(SubjectAllegation.objects.select_related("case", "allegation", "person"), subject_allegation_id)
    if sa is None or not case_in_scope(actor, sa.case):
        raise NotFound(f"No subject allegation with id {subject_allegation_id}.")
    return sa


def overdue_clocks(*, actor, organisation_id: int | None = None, on=None) -> QuerySet[Clock]:
    """Open statutory steps past their due date, within the actor's scope."""
    on = on or timezone.localdate()
    qs = (Clock.objects.filter(case_scope_q(actor, "case__"), stopped_on__isnull=True, paused_on__isnull=True,
                               kind__in=TASK_CLOCK_KINDS, due_on__lt=on)
          .select_related("case", "case__organisation", "subject_allegation", "proceeding"))
    if organisation_id:
        qs = qs.filter(case__organisation_id=organisation_id)
    return qs.order_by("due_on", "id")


def open_clocks(*, actor, on=None) -> QuerySet[Clock]:
    return (Clock.objects.filter(case_scope_q(actor, "case__"), stopped_on__isnull=True)
            .select_related("case", "subject_allegation", "proceeding").order_by("due_on", "id"))


BREAK_GLASS_ALERT_DAYS = 30


def break_glass_alerts(*, actor, days: int = BREAK_GLASS_ALERT_DAYS) -> QuerySet[BreakGlassGrant]:
    """Recent break-glass openings of the actor's force's cases, for its head of professional standards.

    The in-app notice of each opening (the e-mail may be lost; this list is not). Empty for anyone else.
    """
    if not has_role_for(actor, "break_glass.alerts.read") or not getattr(actor, "organisation_id", None):
        return BreakGlassGrant.objects.none()
    since = timezone.now() - dt.timedelta(days=days)
    return (BreakGlassGrant.objects.filter(case__organisation_id=actor.organisation_id, opened_at__gte=since)
            .select_related("case", "user").order_by("-opened_at", "-id"))
