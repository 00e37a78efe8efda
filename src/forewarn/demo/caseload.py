"""A fictional case load shaped like the published statistics (domain brief §8.1), seeded and repeatable.

Every case follows a path of states through the real lifecycle tables (`cases.lifecycle`): the
paths are checked pair by pair against CASE_MACHINE and SUBJECT_ALLEGATION_MACHINE before anything
is generated, so a generated record is always a state the tables can reach. Clocks still running
are the ones the tables' transitions start and have not stopped. Each case gets its `case.open`
audit event, so its timeline is never empty.

Shape [R] (IOPC complaints statistics 2023/24 and 2024/25): ~85,000 complaint cases a year for
~300,000 police workforce; 1.8 allegations a case; categories: delivery of duties 53%, police powers
21%, individual behaviours 13%, discriminatory 3%, the rest spread; ~65% handled outside Schedule
3 and finalised in about 22 days, the rest recorded (finalised in about 146 days); a small share of
conduct and DSI matters.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from functools import lru_cache

from forewarn.audit.models import Event
from forewarn.cases.lifecycle import CASE_MACHINE, SUBJECT_ALLEGATION_MACHINE
from forewarn.cases.models import (
    Allegation,
    Case,
    CaseStatus,
    CaseType,
    HandlingRoute,
    InvestigationMode,
    Party,
    Severity,
    SubjectAllegation,
    SubjectStatus,
)
from forewarn.cases.vocabulary import SUBCATEGORIES, Category, Standard
from forewarn.core.clocks import CLOCK_RULES, ClockKind
from forewarn.core.lifecycle import ClockStart, Machine
from forewarn.core.models import Clock
from forewarn.core.regimes import Regime, regime_for
from forewarn.demo.bulk import Sink
from forewarn.demo.workforce import NamePool, Workforce
from forewarn.organisations.models import Organisation, ReferenceCounter
from forewarn.workforce.models import RoleType

CASES_PER_WORKER_YEAR = 85_000 / 300_000
ALLEGATIONS_PER_CASE = {1: 50, 2: 30, 3: 12, 4: 5, 5: 3}  # mean 1.81
CATEGORY_WEIGHTS = {
    Category.DELIVERY_OF_DUTIES: 53, Category.POWERS_POLICIES: 21, Category.INDIVIDUAL_BEHAVIOURS: 13,
    Category.DISCRIMINATORY: 3, Category.PROPERTY: 2, Category.INFORMATION: 2, Category.OTHER: 2,
    Category.VEHICLES: 1, Category.ABUSE_OF_POSITION: 1, Category.SEXUAL_CONDUCT: 1,
    Category.DISCREDITABLE_CONDUCT: 1,
}
STANDARDS_BY_CATEGORY = {
    Category.DELIVERY_OF_DUTIES: [Standard.DUTIES_RESPONSIBILITIES],
    Category.POWERS_POLICIES: [Standard.ORDERS_INSTRUCTIONS, Standard.DUTIES_RESPONSIBILITIES],
    Category.INDIVIDUAL_BEHAVIOURS: [Standard.AUTHORITY_RESPECT_COURTESY],
    Category.DISCRIMINATORY: [Standard.EQUALITY_DIVERSITY, Standard.AUTHORITY_RESPECT_COURTESY],
    Category.PROPERTY: [Standard.DUTIES_RESPONSIBILITIES],
    Category.INFORMATION: [Standard.CONFIDENTIALITY],
    Category.OTHER: [Standard.DISCREDITABLE_CONDUCT],
    Category.VEHICLES: [Standard.DUTIES_RESPONSIBILITIES],
    Category.ABUSE_OF_POSITION: [Standard.HONESTY_INTEGRITY, Standard.DISCREDITABLE_CONDUCT],
    Category.SEXUAL_CONDUCT: [Standard.DISCREDITABLE_CONDUCT, Standard.AUTHORITY_RESPECT_COURTESY],
    Category.DISCREDITABLE_CONDUCT: [Standard.DISCREDITABLE_CONDUCT],
}
CONTEXTS = ["a stop and search", "a call for help", "an arrest", "a road traffic collision", "a report of burglary",
            "a neighbour dispute", "a custody detention", "a search of premises", "a missing person report",
            "a public order incident", "a domestic abuse call", "a report of fraud"]

S = CaseStatus
SS = SubjectStatus


@dataclass(frozen=True)
class Path:
    """A route through the case machine; the case stops at the step its age reaches."""

    name: str
    case_type: str
    states: tuple[str, ...]
    mean_days: int  # typical time from attention to the last state (IOPC averages: 22 and 146 days)
    subject: tuple[str, ...] = (SS.RAISED,)  # subject path, in step with the case's progress
    route: str = ""
    mode: str = ""
    special_procedures: bool | None = None
    referred: bool = False


_INTAKE = (S.RECEIVED, S.LOGGED)
_RECORDED = (*_INTAKE, S.RECORDED, S.AWAITING_HANDLING)
_INVESTIGATED_SUBJECT = (SS.RAISED, SS.SEVERITY_ASSESSED, SS.INVESTIGATOR_APPOINTED, SS.UNDER_INVESTIGATION,
                         SS.REPORT_SUBMITTED)
PATHS: dict[str, tuple[int, Path]] = {
    p.name: (w, p) for w, p in [
        (650, Path("outside_sch3", CaseType.COMPLAINT, (*_INTAKE, S.HANDLED_OUTSIDE_SCH3, S.FINALISED_OUTSIDE_SCH3),
                   22, route=HandlingRoute.OUTSIDE_SCH3)),
        (15, Path("not_a_complaint", CaseType.COMPLAINT, (*_INTAKE, S.NOT_A_COMPLAINT), 10)),
        (170, Path("otherwise", CaseType.COMPLAINT,
                   (*_RECORDED, S.HANDLED_OTHERWISE, S.OUTCOME_NOTIFIED, S.FINALISED), 120,
                   route=HandlingRoute.SCH3_OTHERWISE)),
        (15, Path("no_further_action", CaseType.COMPLAINT,
                  (*_RECORDED, S.NO_FURTHER_ACTION, S.OUTCOME_NOTIFIED, S.FINALISED), 90)),
        (55, Path("investigated", CaseType.COMPLAINT,
                  (*_RECORDED, S.UNDER_INVESTIGATION, S.INVESTIGATION_REPORTED, S.OUTCOME_NOTIFIED, S.FINALISED),
                  200, route=HandlingRoute.SCH3_INVESTIGATION, mode=InvestigationMode.LOCAL, special_procedures=False)),
        (25, Path("investigated_special", CaseType.COMPLAINT,
                  (*_RECORDED, S.UNDER_INVESTIGATION, S.INVESTIGATION_REPORTED, S.OUTCOME_NOTIFIED, S.FINALISED),
                  260, subject=(*_INVESTIGATED_SUBJECT, SS.NO_CASE_TO_ANSWER, SS.REFLECTIVE_PRACTICE, SS.RPRP_COMPLETED),
                  route=HandlingRoute.SCH3_INVESTIGATION, mode=InvestigationMode.LOCAL, special_procedures=True)),
        (15, Path("review", CaseType.COMPLAINT,
                  (*_RECORDED, S.HANDLED_OTHERWISE, S.OUTCOME_NOTIFIED, S.REVIEW_REQUESTED, S.FINALISED), 180,
                  route=HandlingRoute.SCH3_OTHERWISE)),
        (15, Path("referred_independent", CaseType.COMPLAINT,
                  (*_INTAKE, S.RECORDED, S.REFERRED_TO_IOPC, S.UNDER_INVESTIGATION, S.INVESTIGATION_REPORTED,
                   S.OUTCOME_NOTIFIED, S.FINALISED), 330,
                  subject=(*_INVESTIGATED_SUBJECT, SS.NO_CASE_TO_ANSWER, SS.CLOSED_NO_ACTION),
                  route=HandlingRoute.SCH3_INVESTIGATION, mode=InvestigationMode.INDEPENDENT, special_procedures=True,
                  referred=True)),
        (10, Path("withdrawn", CaseType.COMPLAINT, (*_INTAKE, S.RECORDED, S.WITHDRAWN), 60)),
        (20, Path("conduct_matter", CaseType.RECORDABLE_CONDUCT_MATTER,
                  (S.IDENTIFIED, S.RECORDED, S.AWAITING_HANDLING, S.UNDER_INVESTIGATION, S.INVESTIGATION_REPORTED,
                   S.FINALISED), 250,
                  subject=(*_INVESTIGATED_SUBJECT, SS.NO_CASE_TO_ANSWER, SS.CLOSED_NO_ACTION),
                  route=HandlingRoute.SCH3_INVESTIGATION, mode=InvestigationMode.LOCAL, special_procedures=True)),
        (10, Path("conduct_regs", CaseType.CONDUCT_MATTER, (S.IDENTIFIED, S.AWAITING_HANDLING), 30,
                  subject=(SS.RAISED, SS.SEVERITY_ASSESSED, SS.REFLECTIVE_PRACTICE, SS.RPRP_COMPLETED),
                  route=HandlingRoute.CONDUCT_REGS)),
        (5, Path("dsi", CaseType.DSI_MATTER,
                 (S.IDENTIFIED, S.RECORDED, S.REFERRED_TO_IOPC, S.UNDER_INVESTIGATION, S.INVESTIGATION_REPORTED,
                  S.FINALISED), 400, route=HandlingRoute.SCH3_INVESTIGATION, mode=InvestigationMode.INDEPENDENT,
                 special_procedures=False, referred=True)),
    ]
}


def check_paths_against_tables(paths=PATHS) -> None:
    """Refuse to generate anything the lifecycle tables could not reach."""
    for _, path in paths.values():
        for machine, states in ((CASE_MACHINE, path.states), (SUBJECT_ALLEGATION_MACHINE, path.subject)):
            initial = {S.RECEIVED, S.IDENTIFIED} if machine is CASE_MACHINE else {machine.initial}
            if states[0] not in initial:
                raise AssertionError(f"path {path.name}: {machine.name} starts at {states[0]}")
            for a, b in zip(states, states[1:], strict=False):
                if machine.between(a, b) is None:
                    raise AssertionError(f"path {path.name}: {machine.name} has no transition {a} -> {b}")


def _running_clocks(machine: Machine, states: tuple[str, ...], dates: list[dt.date]) -> list[tuple[str, dt.date]]:
    """The clocks the tables leave running after walking `states` (kind, start date)."""
    running: dict[str, dt.date] = {}
    for (a, b), on in zip(zip(states, states[1:], strict=False), dates[1:], strict=False):
        t = machine.between(a, b)
        for kind in t.stops:
            running.pop(kind, None)
        for start in t.starts:
            # Anchored starts (ClockStart) depend on the record; the step date is close enough for demo data.
            running[start.kind if isinstance(start, ClockStart) else start] = on
    return list(running.items())


@lru_cache(maxsize=100_000)
def _due(kind: str, start: dt.date) -> dt.date:
    return CLOCK_RULES[ClockKind(kind)].due_from(start)


@lru_cache(maxsize=10_000)
def _regime(day: dt.date) -> str:
    return str(regime_for(day))


class CaseloadGenerator:
    def __init__(self, *, sink: Sink, rng: random.Random, names: NamePool, workforce: Workforce, today: dt.date):
        check_paths_against_tables()
        self.sink, self.rng, self.names, self.workforce, self.today = sink, rng, names, workforce, today
        self.forces = {o.id: o for o in Organisation.objects.filter(id__in=list(workforce.by_force))}
        force_ids = [fid for fid, staff in workforce.by_force.items() if staff]
        self.force_ids, self.force_weights = force_ids, [len(workforce.by_force[f]) for f in force_ids]
        self.path_names = list(PATHS)
        self.path_weights = list(itertools.accumulate(PATHS[n][0] for n in self.path_names))
        self.force_weights = list(itertools.accumulate(self.force_weights))
        self.counts, self.count_weights = list(ALLEGATIONS_PER_CASE), list(
            itertools.accumulate(ALLEGATIONS_PER_CASE.values()))
        self.categories, self.category_weights = list(CATEGORY_WEIGHTS), list(
            itertools.accumulate(CATEGORY_WEIGHTS.values()))
        self.counters: dict[tuple[int, int], int] = {
            (c.organisation_id, c.year): c.last_number for c in ReferenceCounter.objects.all()}
        self.descriptions = [f"{sub or str(cat.label)} during {ctx}"
                             for cat in Category for sub in (SUBCATEGORIES[cat] or [""]) for ctx in CONTEXTS]
        self.allegations = self.cases = 0

    def _subject(self, force_id: int, on: dt.date) -> dict:
        staff = self.workforce.by_force[force_id]
        for _ in range(6):
            s = self.rng.choice(staff)
            if s.start <= on and (s.end is None or on <= s.end) and (s.role_type != RoleType.STAFF or
                                                                       self.rng.random() < 0.3):
                if self.rng.random() < 0.7:
                    return {"person_id": s.person_id, "name_as_given": s.name, "rank_as_given": s.rank,
                            "number_as_given": s.service_number, "station_as_given": s.station}
                break
        # Complainants often cannot name the officer (domain §3E A0: identity unascertained).
        return {"person_id": None, "name_as_given": "", "rank_as_given": "PC", "number_as_given": "",
                "description_as_given": self.rng.choice(["Tall, short dark hair", "Wore glasses, about 40",
                                                         "Female officer, fair hair", "Officer driving the van"])}

    def case(self, came: dt.date) -> None:
        rng, sink = self.rng, self.sink
        name = rng.choices(self.path_names, cum_weights=self.path_weights)[0]
        path = PATHS[name][1]
        org_id = rng.choices(self.force_ids, cum_weights=self.force_weights)[0]
        org = self.forces[org_id]
        # Step dates: the path's duration drawn around its mean, split evenly between the steps.
        steps = len(path.states) - 1
        total = max(steps, int(rng.expovariate(1 / path.mean_days)) + steps)
        dates = [came + dt.timedelta(days=total * i // max(steps, 1)) for i in range(steps + 1)]
        reached = max(i for i, d in enumerate(dates) if d <= self.today)
        status, since = path.states[reached], dates[reached]
        progress = reached / max(steps, 1)
        subject_reached = round(progress * (len(path.subject) - 1))
        subject_status = path.subject[subject_reached]

        key = (org_id, came.year)
        self.counters[key] = self.counters.get(key, 0) + 1
        regime = _regime(came)
        case_id = sink.new_id(Case)
        index = {s: i for i, s in enumerate(path.states)}
        recorded = index.get(S.RECORDED)
        referred = index.get(S.REFERRED_TO_IOPC)
        investigating = index.get(S.UNDER_INVESTIGATION)
        mode = path.mode
        if mode and regime == Regime.R2012 and mode == InvestigationMode.DIRECTED:
            mode = InvestigationMode.SUPERVISED  # directed did not exist before 1 February 2020
        incident = came - dt.timedelta(days=rng.randint(0, 20))
        sink.add(Case, {
            "id": case_id, "organisation_id": org_id, "reference": f"{org.code}-{came.year}-{self.counters[key]:05d}",
            "case_type": path.case_type, "status": status, "status_since": since, "regime": regime,
            "came_to_attention_on": came, "incident_date": incident,
            "incident_location": f"{rng.choice(['High Street', 'Station Road', 'Church Lane', 'Park Avenue'])}, "
                                 f"{org.code}",
            "summary": f"{CaseType(path.case_type).label} arising from {rng.choice(CONTEXTS)}.",
            "handling_route": path.route if (path.route != HandlingRoute.SCH3_INVESTIGATION or
                                             (investigating is not None and reached >= investigating)) else "",
            "special_procedures": path.special_procedures if investigating is not None and reached >= investigating
            else None,
            "recorded_on": dates[recorded] if recorded is not None and reached >= recorded else None,
            "referral_basis": "mandatory" if referred is not None and reached >= referred else "",
            "referral_categories": [], "referred_on": dates[referred] if referred is not None and reached >= referred
            else None,
            "investigation_mode": mode if investigating is not None and reached >= investigating else "",
            "outcome_summary": "The complainant was given an explanation and the outcome."
            if S.OUTCOME_NOTIFIED in path.states[: reached + 1] else "",
            "review_body": "lpb" if S.REVIEW_REQUESTED in path.states[: reached + 1] else "",
            "suspension_status": "active", "restricted": False, "version": reached + 1,
        })
        if path.case_type == CaseType.COMPLAINT:
            sink.add(Party, {"id": sink.new_id(Party), "case_id": case_id, "role": "complainant",
                             "eligibility_basis": "directed_at", "full_name": self.names.full_name(), "version": 1})
        for kind, started in _running_clocks(CASE_MACHINE, path.states[: reached + 1], dates[: reached + 1]):
            sink.add(Clock, {"id": sink.new_id(Clock), "case_id": case_id, "kind": kind, "started_on": started,
                             "due_on": _due(kind, started)})

        subject = self._subject(org_id, incident)
        severity = ""
        if subject_reached >= 1 and SS.SEVERITY_ASSESSED in path.subject:
            severity = rng.choice([Severity.MISCONDUCT, Severity.MISCONDUCT, Severity.GROSS_MISCONDUCT,
                                   Severity.PRACTICE_REQUIRING_IMPROVEMENT])
        for number in range(1, rng.choices(self.counts, cum_weights=self.count_weights)[0] + 1):
            category = rng.choices(self.categories, cum_weights=self.category_weights)[0]
            subs = SUBCATEGORIES[category]
            allegation_id = sink.new_id(Allegation)
            sink.add(Allegation, {"id": allegation_id, "case_id": case_id, "number": number, "category": category,
                                  "subcategory": rng.choice(subs) if subs else "",
                                  "standards": STANDARDS_BY_CATEGORY[category],
                                  "description": rng.choice(self.descriptions), "version": 1})
            sink.add(SubjectAllegation, {
                "id": sink.new_id(SubjectAllegation), "case_id": case_id, "allegation_id": allegation_id,
                **subject, "status": subject_status, "status_since": since if subject_reached else came,
                "severity": severity, "criminal_status": "none", "version": subject_reached + 1,
                "notice_served_on": dates[min(reached, 3)] if subject_reached >= 3 else None,
            })
            self.allegations += 1
        sink.add(Event, {"id": sink.new_id(Event), "occurred_at": sink.now, "occurred_on": came,
                         "organisation_id": org_id, "action": "case.open", "object_type": "cases.case",
                         "object_id": case_id, "case_id": case_id, "to_state": path.states[0],
                         "data": {"case_type": path.case_type, "regime": regime, "generated": True},
                         "from_state": "", "reason": "", "correlation_id": ""})
        self.cases += 1
        self.sink.maybe_flush()

    def save_counters(self) -> None:
        """Later cases recorded through case_record continue each force's numbering."""
        for (org_id, year), last in self.counters.items():
            ReferenceCounter.objects.update_or_create(organisation_id=org_id, year=year,
                                                      defaults={"last_number": last})


def cases_for(*, people: int, years: int) -> int:
    return round(CASES_PER_WORKER_YEAR * people * years)
