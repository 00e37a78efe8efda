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
import multiprocessing
import random
from array import array
from bisect import bisect
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from math import log

from forewarn.audit.chain import (
    GENESIS,
    HASHED_FIELDS,
    canonical_json,
    complete,
    links,
    stored_content_after_prev_hash,
)
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
from forewarn.demo.bulk import Ids, Memo, Table, Writer, check_pool, on_postgresql, overlapping
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


def _running_clocks(machine: Machine, states: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """The clocks the tables leave running after walking `states`: (kind, index of the step that started it)."""
    running: dict[str, int] = {}
    for step, (a, b) in enumerate(zip(states, states[1:], strict=False), start=1):
        t = machine.between(a, b)
        for kind in t.stops:
            running.pop(kind, None)
        for start in t.starts:
            # Anchored starts (ClockStart) depend on the record; the step date is close enough for demo data.
            running[start.kind if isinstance(start, ClockStart) else start] = step
    return tuple(running.items())


@lru_cache(maxsize=100_000)
def _due(kind: str, start: dt.date) -> dt.date:
    return CLOCK_RULES[ClockKind(kind)].due_from(start)


@dataclass(frozen=True)
class Stage:
    """What a case on a path looks like once it has reached one of the path's steps (precomputed)."""

    status: str
    version: int
    handling_route: str
    special_procedures: bool | None
    recorded: int | None  # step whose date is the recorded_on date, once reached
    referred: int | None
    investigation_mode: str
    outcome_summary: str
    review_body: str
    clocks: tuple[tuple[str, int], ...]
    subject_reached: int
    subject_status: str
    severity_assessed: bool
    notice_step: int | None  # step whose date is the notice_served_on date


OUTCOME_TEXT = "The complainant was given an explanation and the outcome."


def _stages(path: Path) -> tuple[Stage, ...]:
    index = {s: i for i, s in enumerate(path.states)}
    recorded, referred = index.get(S.RECORDED), index.get(S.REFERRED_TO_IOPC)
    investigating = index.get(S.UNDER_INVESTIGATION)
    steps = max(len(path.states) - 1, 1)
    stages = []
    for reached, status in enumerate(path.states):
        seen = path.states[: reached + 1]
        investigated = investigating is not None and reached >= investigating
        subject_reached = round(reached / steps * (len(path.subject) - 1))
        stages.append(Stage(
            status=status, version=reached + 1,
            handling_route=path.route if path.route != HandlingRoute.SCH3_INVESTIGATION or investigated else "",
            special_procedures=path.special_procedures if investigated else None,
            recorded=recorded if recorded is not None and reached >= recorded else None,
            referred=referred if referred is not None and reached >= referred else None,
            investigation_mode=path.mode if investigated else "",
            outcome_summary=OUTCOME_TEXT if S.OUTCOME_NOTIFIED in seen else "",
            review_body="lpb" if S.REVIEW_REQUESTED in seen else "",
            clocks=_running_clocks(CASE_MACHINE, seen),
            subject_reached=subject_reached, subject_status=path.subject[subject_reached],
            severity_assessed=subject_reached >= 1 and SS.SEVERITY_ASSESSED in path.subject,
            notice_step=min(reached, 3) if subject_reached >= 3 else None,
        ))
    return tuple(stages)


# Rows as the case generator writes them (demo.bulk.Table fills the other columns with defaults).
CASE_FIELDS = ("id", "organisation_id", "reference", "case_type", "status", "status_since", "regime",
               "came_to_attention_on", "incident_date", "incident_location", "summary", "handling_route",
               "special_procedures", "recorded_on", "referral_basis", "referral_categories", "referred_on",
               "investigation_mode", "outcome_summary", "review_body", "suspension_status", "restricted", "version")
PARTY_FIELDS = ("id", "case_id", "role", "eligibility_basis", "full_name", "version")
CLOCK_FIELDS = ("id", "case_id", "kind", "started_on", "due_on")
ALLEGATION_FIELDS = ("id", "case_id", "number", "category", "subcategory", "standards", "description", "version")
SUBJECT_FIELDS = ("id", "case_id", "allegation_id", "person_id", "name_as_given", "rank_as_given", "number_as_given",
                  "station_as_given", "description_as_given", "status", "status_since", "severity", "criminal_status",
                  "version", "notice_served_on")
# prev_hash and hash first: a worker formats the rest of each line before the chain reaches it.
EVENT_FIELDS = ("prev_hash", "hash", "id", *HASHED_FIELDS[1:])  # a row: [prev_hash, hash, id, *values[1:]]
MODELS = (Case, Party, Clock, Allegation, SubjectAllegation, Event)
# Cases per chunk. Each chunk has its own seeds, so the data depend on the seed and this size, never
# on how many processes generate them. Changing it changes the generated data.
CHUNK = 5_000
SKELETON_WIDTH = 7
STREETS = ["High Street", "Station Road", "Church Lane", "Park Avenue"]
UNNAMED_DESCRIPTIONS = ["Tall, short dark hair", "Wore glasses, about 40", "Female officer, fair hair",
                        "Officer driving the van"]
SEVERITIES = [Severity.MISCONDUCT, Severity.MISCONDUCT, Severity.GROSS_MISCONDUCT,
              Severity.PRACTICE_REQUIRING_IMPROVEMENT]


@dataclass(frozen=True)
class ChunkPlan:
    """What a chunk will need before it is generated: row counts (for its ids) and reference numbers used."""

    index: int
    size: int
    counts: dict[type, int]
    references: dict[tuple[int, int], int]  # (organisation id, year) -> cases
    # The skeleton's values, flat (SKELETON_WIDTH a case): handed back to `build` rather than drawn twice.
    skeleton: array


@dataclass
class ChunkRows:
    """A generated chunk: per table, COPY text (PostgreSQL) or rows; its audit events, to be sealed in order."""

    index: int
    cases: int
    allegations: int
    tables: dict[type, tuple[bytes | list, int]]  # model -> (COPY text or rows, row count)
    events: UnsealedEvents


@dataclass
class UnsealedEvents:
    """A chunk's audit events, complete but for their place on the hash chain.

    Everything that does not depend on the chain (the canonical content after the prev_hash, and the
    COPY line after the prev_hash and hash columns) is computed where the chunk is generated, in a
    worker process; `sealed` only hashes along the chain, which must run in order in one process.
    """

    tails: list[str]  # audit.chain.stored_content_after_prev_hash of each event
    rows: list[list] | None = None  # the events as rows in EVENT_FIELDS order (no COPY: SQLite)
    lines: list[str] | None = None  # each event's COPY line after "prev_hash\thash\t" (PostgreSQL)

    def sealed(self, prev_hash: str) -> tuple[bytes | list[dict], str]:
        """The events chained after `prev_hash`, as COPY text or rows, and the last hash."""
        hashes = links(self.tails, prev_hash)
        prevs = [prev_hash, *hashes[:-1]]
        if self.lines is not None:
            text = "".join([f"{p}\t{h}\t{line}\n" for p, h, line in zip(prevs, hashes, self.lines, strict=True)])
            return text.encode(), hashes[-1] if hashes else prev_hash
        for row, p, h in zip(self.rows, prevs, hashes, strict=True):
            row[0], row[1] = p, h
        return self.rows, hashes[-1] if hashes else prev_hash


class CaseloadContext:
    """Everything needed to generate any chunk of the case load, independently of the others.

    Built once in the parent; worker processes receive it by fork, so the workforce is not copied.
    """

    def __init__(self, *, seed: int, names: NamePool, workforce: Workforce, today: dt.date, window: int,
                 now: dt.datetime, organisations: dict[int, str]):
        check_paths_against_tables()
        self.seed, self.names, self.today, self.window, self.now = seed, names, today, window, now
        self.codes = organisations
        check_pool("organisation codes", self.codes.values())
        self.by_force = workforce.by_force
        self.force_ids = [fid for fid, staff in workforce.by_force.items() if staff]
        self.force_cum = list(itertools.accumulate(len(workforce.by_force[f]) for f in self.force_ids))
        self.paths = [PATHS[name][1] for name in PATHS]
        self.path_cum = list(itertools.accumulate(PATHS[name][0] for name in PATHS))
        self.stages = [_stages(path) for path in self.paths]
        self.counts = list(ALLEGATIONS_PER_CASE)
        self.count_cum = list(itertools.accumulate(ALLEGATIONS_PER_CASE.values()))
        self.categories = list(CATEGORY_WEIGHTS)
        self.category_cum = list(itertools.accumulate(CATEGORY_WEIGHTS.values()))
        self.standards = {c: tuple(STANDARDS_BY_CATEGORY[c]) for c in Category}
        self.subcategories = {c: list(SUBCATEGORIES[c]) for c in Category}
        self.descriptions = [f"{sub or str(cat.label)} during {ctx}"
                             for cat in Category for sub in (SUBCATEGORIES[cat] or [""]) for ctx in CONTEXTS]
        self.summaries = {p.case_type: [f"{CaseType(p.case_type).label} arising from {ctx}." for ctx in CONTEXTS]
                          for p in self.paths}
        for name, pool in (("descriptions", self.descriptions), ("streets", STREETS),
                           ("summaries", [t for texts in self.summaries.values() for t in texts])):
            check_pool(name, pool)
        # Every date a case can carry lies between the oldest incident and today.
        self.first_day = today.toordinal() - window - 21
        self.days = [dt.date.fromordinal(o) for o in range(self.first_day, today.toordinal() + 1)]
        self.regimes = [str(regime_for(day)) for day in self.days]
        self.day_texts = [day.isoformat() for day in self.days]
        self.tables = {
            Case: Table(Case, CASE_FIELDS, now=now), Party: Table(Party, PARTY_FIELDS, now=now),
            Clock: Table(Clock, CLOCK_FIELDS, now=now), Allegation: Table(Allegation, ALLEGATION_FIELDS, now=now),
            SubjectAllegation: Table(SubjectAllegation, SUBJECT_FIELDS, now=now),
            Event: Table(Event, EVENT_FIELDS, now=now),
        }
        # The stored values every generated `case.open` event shares (HASHED_FIELDS order).
        shared = complete({"occurred_at": now.astimezone(dt.UTC).isoformat(timespec="microseconds"),
                           "occurred_on": "", "action": "case.open", "object_type": "cases.case"})
        self.event_base = [shared[name] for name in HASHED_FIELDS]
        self.event_data = Memo(lambda key: canonical_json({"case_type": key[0], "regime": key[1], "generated": True}))

    def skeleton(self, index: int, size: int):
        """Each case's date, path, force, duration, allegation count and step reached.

        A stream of its own, so a chunk's row counts can be known (to give it ids) before its cases
        are generated.
        """
        rng = random.Random(f"{self.seed}:cases:{index}:plan")
        rand = rng.random
        today, window = self.today.toordinal(), self.window
        paths, path_cum, path_total = self.paths, self.path_cum, self.path_cum[-1]
        force_ids, force_cum, force_total = self.force_ids, self.force_cum, self.force_cum[-1]
        counts, count_cum, count_total = self.counts, self.count_cum, self.count_cum[-1]
        for _ in range(size):
            came = today - 1 - int(rand() * window)
            p = bisect(path_cum, rand() * path_total)
            path = paths[p]
            org_id = force_ids[bisect(force_cum, rand() * force_total)]
            # Step dates: the path's duration drawn around its mean, split evenly between the steps.
            steps = len(path.states) - 1
            total = max(steps, int(-log(1.0 - rand()) * path.mean_days) + steps)  # exponential around the mean
            allegations = counts[bisect(count_cum, rand() * count_total)]
            age, split = today - came, max(steps, 1)
            reached = steps
            while total * reached // split > age:
                reached -= 1
            yield came, p, org_id, total, split, allegations, reached  # SKELETON_WIDTH values

    def plan(self, index: int, size: int) -> ChunkPlan:
        counts = dict.fromkeys(MODELS, 0)
        references: dict[tuple[int, int], int] = {}
        skeleton = array("q")
        for case in self.skeleton(index, size):
            skeleton.extend(case)
            came, p, org_id, _, _, allegations, reached = case
            counts[Party] += self.paths[p].case_type == CaseType.COMPLAINT
            counts[Clock] += len(self.stages[p][reached].clocks)
            counts[Allegation] += allegations
            key = (org_id, self.days[came - self.first_day].year)
            references[key] = references.get(key, 0) + 1
        counts[Case] = counts[Event] = size
        counts[SubjectAllegation] = counts[Allegation]
        return ChunkPlan(index, size, counts, references, skeleton)

    def _subject(self, org_id: int, on: dt.date, rand) -> tuple:
        staff = self.by_force[org_id]
        for _ in range(6):
            s = staff[int(rand() * len(staff))]
            if s.start <= on and (s.end is None or on <= s.end) and (s.role_type != RoleType.STAFF or rand() < 0.3):
                if rand() < 0.7:
                    return s.person_id, s.name, s.rank, s.service_number, s.station, ""
                break
        # Complainants often cannot name the officer (domain §3E A0: identity unascertained).
        return None, "", "PC", "", "", UNNAMED_DESCRIPTIONS[int(rand() * len(UNNAMED_DESCRIPTIONS))]

    def build(self, plan: ChunkPlan, first_ids: dict[type, int], references: dict[tuple[int, int], int],
              *, as_text: bool) -> ChunkRows:
        """Generate the chunk's rows with ids from `first_ids` and reference numbers after `references`."""
        rng = random.Random(f"{self.seed}:cases:{plan.index}:detail")
        rand = rng.random
        days, day_texts, first_day, codes = self.days, self.day_texts, self.first_day, self.codes
        full_name = self.names.full_name
        categories, category_cum, category_total = self.categories, self.category_cum, self.category_cum[-1]
        standards, subcategories, descriptions = self.standards, self.subcategories, self.descriptions
        n_descriptions, n_contexts = len(descriptions), len(CONTEXTS)
        case_id, party_id, clock_id = first_ids[Case], first_ids[Party], first_ids[Clock]
        allegation_id, subject_id, event_id = first_ids[Allegation], first_ids[SubjectAllegation], first_ids[Event]
        references = dict(references)
        cases, parties, clocks, allegations, subjects, events = [], [], [], [], [], []
        complaint = CaseType.COMPLAINT
        summaries = [self.summaries[path.case_type] for path in self.paths]
        values = iter(plan.skeleton)
        for came_day, p, org_id, total, split, n_allegations, reached in zip(*[values] * SKELETON_WIDTH, strict=True):
            path, stage = self.paths[p], self.stages[p][reached]
            came = days[came_day - first_day]
            code, year = codes[org_id], came.year
            key = (org_id, year)
            number = references[key] = references.get(key, 0) + 1
            regime = self.regimes[came_day - first_day]
            since = days[came_day + total * reached // split - first_day]
            mode = stage.investigation_mode
            if mode == InvestigationMode.DIRECTED and regime == Regime.R2012:
                mode = InvestigationMode.SUPERVISED  # directed did not exist before 1 February 2020
            incident = days[came_day - int(rand() * 21) - first_day]
            cases.append((
                case_id, org_id, f"{code}-{year}-{number:05d}", path.case_type, stage.status, since, regime, came,
                incident, f"{STREETS[int(rand() * 4)]}, {code}",
                summaries[p][int(rand() * n_contexts)], stage.handling_route,
                stage.special_procedures,
                None if stage.recorded is None else days[came_day + total * stage.recorded // split - first_day],
                "" if stage.referred is None else "mandatory", (),
                None if stage.referred is None else days[came_day + total * stage.referred // split - first_day],
                mode, stage.outcome_summary, stage.review_body, "active", False, stage.version))
            if path.case_type == complaint:
                parties.append((party_id, case_id, "complainant", "directed_at", full_name(rand), 1))
                party_id += 1
            for kind, step in stage.clocks:
                started = days[came_day + total * step // split - first_day]
                clocks.append((clock_id, case_id, kind, started, _due(kind, started)))
                clock_id += 1
            subject = self._subject(org_id, incident, rand)
            severity = SEVERITIES[int(rand() * 4)] if stage.severity_assessed else ""
            subject_since = since if stage.subject_reached else came
            notice = (None if stage.notice_step is None
                      else days[came_day + total * stage.notice_step // split - first_day])
            for number in range(1, n_allegations + 1):
                category = categories[bisect(category_cum, rand() * category_total)]
                subs = subcategories[category]
                allegations.append((allegation_id, case_id, number, category,
                                    subs[int(rand() * len(subs))] if subs else "", standards[category],
                                    descriptions[int(rand() * n_descriptions)], 1))
                subjects.append((subject_id, case_id, allegation_id, *subject, stage.subject_status, subject_since,
                                 severity, "none", stage.subject_reached + 1, notice))
                allegation_id += 1
                subject_id += 1
            events.append((event_id, day_texts[came_day - first_day], org_id, case_id, path.states[0], path.case_type,
                           regime))
            case_id += 1
            event_id += 1
        tables = {}
        for model, rows in ((Case, cases), (Party, parties), (Clock, clocks), (Allegation, allegations),
                            (SubjectAllegation, subjects)):
            table = self.tables[model]
            tables[model] = (table.copy_text(rows).encode() if as_text else rows, len(rows))
        return ChunkRows(plan.index, len(cases), len(allegations), tables, self.unsealed(events, as_text=as_text))

    def unsealed(self, events: list[tuple], *, as_text: bool) -> UnsealedEvents:
        """Each case's `case.open` event, ready to be sealed: its values in their stored text form.

        The values that all the events share (the load's one timestamp, the defaults) are formatted
        once, by `audit.chain.complete`, and `data` once per value, so preparing half a million events
        does not re-format them half a million times.
        """
        base, data = self.event_base, self.event_data
        on, org, obj, case, to, dat = (HASHED_FIELDS.index(name) for name in (
            "occurred_on", "organisation_id", "object_id", "case_id", "to_state", "data"))
        tails, rows = [], []
        for event_id, came, org_id, case_id, first_state, case_type, regime in events:
            values = base.copy()
            values[on], values[org], values[obj], values[case] = came, org_id, case_id, case_id
            values[to], values[dat] = first_state, data[case_type, regime]
            tails.append(stored_content_after_prev_hash(values))
            values[0] = event_id  # rows in EVENT_FIELDS order: prev_hash and hash (set when sealed), id, the rest
            rows.append([GENESIS, GENESIS, *values])
        if not as_text:
            return UnsealedEvents(tails, rows=rows)
        skip = 2 * (len(GENESIS) + 1)  # the placeholders and their tabs, cut off
        # COPY text escapes newlines inside values, so "\n" only ends lines.
        return UnsealedEvents(tails, lines=[line[skip:] for line in self.tables[Event].copy_text(rows).split("\n")[:-1]])


# The context of the load in progress, inherited by forked worker processes.
_CONTEXT: CaseloadContext | None = None


def _plan(item: tuple[int, int]) -> ChunkPlan:
    return _CONTEXT.plan(*item)


def _build(item: tuple) -> ChunkRows:
    plan, first_ids, references, as_text = item
    return _CONTEXT.build(plan, first_ids, references, as_text=as_text)


def _ordered(fn, items: list, pool, ahead: int):
    """fn over items in order, in the pool when there is one, with at most `ahead` submitted at a time
    (so finished chunks wait in memory only as long as the writer is behind)."""
    if pool is None:
        yield from map(fn, items)
        return
    pending: deque = deque()
    for item in items:
        pending.append(pool.apply_async(fn, (item,)))
        if len(pending) >= ahead:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


@dataclass
class Caseload:
    cases: int = 0
    allegations: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def generate_caseload(*, seed: int, names: NamePool, workforce: Workforce, n_cases: int, today: dt.date,
                      window: int, now: dt.datetime, chain_head: str, workers: int = 0, while_planning=None,
                      progress=None) -> Caseload:
    """Generate and write `n_cases` cases (allegations, subjects, parties, clocks, `case.open` events).

    Cases are generated in chunks of CHUNK, each from seeds of its own, by `workers` forked
    processes (0: in this process). This process gives each chunk its ids, seals the chunks' audit
    events onto the hash chain from `chain_head` in id order, and writes everything. The caller
    holds the chain lock (`audit.services.chain_head_locked`) until the load commits.
    `while_planning(raw_connection)`, if given, runs in a thread while the chunks are planned (which
    needs no queries), before anything is written.
    """
    global _CONTEXT
    organisations = dict(Organisation.objects.filter(id__in=list(workforce.by_force)).values_list("id", "code"))
    context = CaseloadContext(seed=seed, names=names, workforce=workforce, today=today, window=window, now=now,
                              organisations=organisations)
    references = {(c.organisation_id, c.year): c.last_number for c in ReferenceCounter.objects.all()}
    ids = {model: Ids(model) for model in MODELS}
    as_text = on_postgresql()
    chunks = [(i, min(CHUNK, n_cases - i * CHUNK)) for i in range((n_cases + CHUNK - 1) // CHUNK)]
    result = Caseload()
    _CONTEXT = context
    # Forked before the writer thread starts: a fork copies only the forking thread.
    pool = multiprocessing.get_context("fork").Pool(workers) if workers else None
    try:
        # Row counts first, so that each chunk's ids and reference numbers follow the chunks before it.
        items = []
        with overlapping(while_planning):
            for plan in _ordered(_plan, chunks, pool, ahead=4 * workers):
                items.append((plan, {model: ids[model].take(plan.counts[model]) for model in MODELS},
                              dict(references), as_text))
                for key, n in plan.references.items():
                    references[key] = references.get(key, 0) + n
        events_table, head = context.tables[Event], chain_head
        with Writer() as writer:
            for chunk in _ordered(_build, items, pool, ahead=2 * workers):
                for model, (rows, count) in chunk.tables.items():
                    if as_text:
                        writer.copy(context.tables[model], rows, count)
                    else:
                        writer.rows(context.tables[model], rows)
                events, head = chunk.events.sealed(head)
                if as_text:
                    writer.copy(events_table, events, chunk.cases)
                else:
                    writer.rows(events_table, events)
                result.cases += chunk.cases
                result.allegations += chunk.allegations
                if progress:
                    progress(chunk.cases)
    finally:
        _CONTEXT = None
        if pool is not None:
            pool.terminate()
            pool.join()
    for model_ids in ids.values():
        model_ids.commit_sequence()
    # Later cases recorded through case_record continue each force's numbering.
    ReferenceCounter.objects.bulk_create(
        [ReferenceCounter(organisation_id=org_id, year=year, last_number=last)
         for (org_id, year), last in references.items()],
        update_conflicts=True, unique_fields=["organisation", "year"], update_fields=["last_number"])
    result.rows = dict(writer.written)
    return result


def cases_for(*, people: int, years: int) -> int:
    return round(CASES_PER_WORKER_YEAR * people * years)
