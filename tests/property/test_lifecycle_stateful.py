"""Stateful property test: random sequences of lifecycle steps on a case, its subjects and proceedings.

Hypothesis drives the real services and `run_transition` with valid and invalid steps: actors of
every kind (all roles, one role, another force, the IOPC, nobody), payloads that are right, empty
or junk, dates inside the matter, before it or in the future, and expected versions that are
current, stale or absent. Steps are mostly drawn from what the table offers now, so walks get deep
(a case to answer, a proceeding, findings), with the rest random to probe refusals.

After every step it checks:
- a refused step changed nothing: states, versions, dates, clocks and row counts are as before
  (only the one 'refused' audit event is new);
- an accepted step moved each record only along its machine's table, bumped the version of every
  record it changed, and wrote exactly one change event per version bump (plus one per record it
  created) — a step never changes a record silently or audits a change twice;
- invariants: every state is one the table knows; dates never run backwards or into the future;
  clocks are consistent (at most one open clock per owner and kind, started <= due, stopped and
  paused on or after the start, none open on a closed case).

Deterministic (derandomize) and bounded in size, so it runs the same in CI every time.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from forewarn.cases import services as case_services
from forewarn.cases.lifecycle import (
    CASE_CLOCKS,
    CASE_MACHINE,
    CASE_SUSPENSION_MACHINE,
    SUBJECT_ALLEGATION_MACHINE,
    SUBJECT_CRIMINAL_MACHINE,
)
from forewarn.cases.models import Allegation, Case, CaseType, Party, SubjectAllegation
from forewarn.core.errors import DomainError
from forewarn.core.lifecycle import run_transition
from forewarn.core.models import Clock
from forewarn.organisations.models import Role
from forewarn.proceedings import services as proceeding_services
from forewarn.proceedings.lifecycle import PROCEEDING_MACHINE
from forewarn.proceedings.models import Finding, Proceeding, ProceedingAllegation, ProceedingForm, Sanction
from tests.cases.test_lifecycle import ACTION_DATA
from tests.factories import change_events, make_user, name_on_case, seat_on_panel

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
WHY = "Reasons recorded for the decision."
MACHINES_BY_MODEL = {
    Case: (CASE_MACHINE, CASE_SUSPENSION_MACHINE),
    SubjectAllegation: (SUBJECT_ALLEGATION_MACHINE, SUBJECT_CRIMINAL_MACHINE),
    Proceeding: (PROCEEDING_MACHINE,),
}
# Rows whose count a refused step must leave alone.
COUNTED = (Case, Allegation, Party, SubjectAllegation, Proceeding, ProceedingAllegation, Clock)
JUNK_PAYLOADS = ({}, {"unexpected_field": "x"}, {"reasons": ""}, {"reasons": "x" * 20_001})


def _proceeding_payload(action: str, proceeding: Proceeding | None, draw) -> dict:
    """A plausible payload for a proceeding step (the rules may still refuse it)."""
    if action == "officer_respond":
        return {"accepts": draw(st.sampled_from(["accepts", "denies", "accepts_in_part"]))}
    if action == "schedule":
        return {"scheduled_for": (TODAY + dt.timedelta(days=draw(st.integers(-3, 160)))).isoformat(),
                "extension_reason": draw(st.sampled_from(["", "Witness unavailable."]))}
    if action == "findings_record" and proceeding is not None:
        ids = list(proceeding.items.values_list("subject_allegation_id", flat=True))
        return {"findings": {str(i): draw(st.sampled_from(Finding.values)) for i in ids}}
    if action == "outcome_determine":
        return {"sanction": draw(st.sampled_from(Sanction.values)), "reasons": WHY,
                "culpability": 3, "harm": 3}
    if action == "withdraw":
        return {"reasons": WHY}
    return {}


def _payload_for(machine, action: str, obj, draw) -> dict:
    if draw(st.integers(0, 9)) == 9:
        return draw(st.sampled_from(JUNK_PAYLOADS))
    if machine is PROCEEDING_MACHINE:
        return _proceeding_payload(action, obj, draw)
    return dict(ACTION_DATA[machine.name][action]["payload"])


# The steps that take a matter towards proceedings, in order of preference (the `advance` rule).
PATH = {
    "case": ("log", "record", "decide_not_to_refer", "refer_to_iopc", "determine_mode", "investigate"),
    "subject_allegation": ("assess_severity", "appoint_investigator", "serve_notice", "submit_report",
                           "decide_case_to_answer"),
    "proceeding": ("officer_respond", "witness_lists_exchange", "pre_hearing_hold", "schedule", "findings_record",
                   "outcome_determine", "outcome_report", "outcome_notify", "outcome_publish", "finalise",
                   "finalise_published"),
}
# Payloads that fit a walk happening today (the shared test data assumes other dates).
PATH_PAYLOADS = {
    "serve_notice": {"notice_served_on": TODAY.isoformat()},
    "schedule": {"scheduled_for": TODAY.isoformat(), "extension_reason": "Witness unavailable."},
    "outcome_determine": {"sanction": "written_warning", "reasons": WHY, "culpability": 3, "harm": 3},
}


class Snapshot:
    """Everything a step may change, read fresh from the database."""

    def __init__(self):
        self.records = {}
        for model, machines in MACHINES_BY_MODEL.items():
            fields = sorted({m.state_field for m in machines} | {m.since_field for m in machines if m.since_field})
            for row in model.objects.values("pk", "version", *fields):
                self.records[(model._meta.label_lower, row.pop("pk"))] = row
        self.counts = {model.__name__: model.objects.count() for model in COUNTED}
        self.clocks = set(Clock.objects.values_list("id", "kind", "started_on", "due_on", "stopped_on", "paused_on"))
        self.last_change = change_events().order_by("-id").values_list("id", flat=True).first() or 0

    def new_change_events(self):
        return change_events().filter(id__gt=self.last_change)


class LifecycleWalk(RuleBasedStateMachine):
    """One case recorded through the services, then a random walk of steps on it."""

    actors: dict = {}
    accepted: Counter = Counter()  # across all walks: which kinds of step were accepted (coverage check)
    refused: Counter = Counter()

    def __init__(self):
        super().__init__()
        # Each walk runs in a savepoint that is rolled back at the end: walks do not see each other.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.case_id = None
        self.subject_ids: list[int] = []
        self.proceeding_ids: list[int] = []

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- set-up through the services --------------------------------------------------------------
    @initialize(case_type=st.sampled_from(CaseType.values), days_ago=st.integers(0, 1500),
                subjects=st.integers(1, 2))
    def record_case(self, case_type, days_ago, subjects):
        everyone = self.actors["everyone"]
        case = case_services.case_record(actor=everyone, case_type=case_type, summary="Fictional matter.",
                                         came_to_attention_on=TODAY - dt.timedelta(days=days_ago))
        self.case_id, self.came_on = case.id, case.came_to_attention_on
        # Investigators see the cases they are appointed to (organisations.permissions).
        name_on_case(self.actors["investigator"], case, "investigator")
        for _ in range(subjects):
            allegation = case_services.allegation_add(
                actor=everyone, case_id=case.id, category="individual_behaviours",
                subcategory="Impolite language / tone", description="Rude at the front counter.")
            # The same officer described each time, so one proceeding may take several allegations.
            sa = case_services.subject_add(actor=everyone, allegation_id=allegation.id, name_as_given="Imaginary",
                                           rank_as_given="PC", number_as_given="4242")
            self.subject_ids.append(sa.id)

    # -- drawing a step ------------------------------------------------------------------------------
    def _actor(self, draw):
        name = draw(st.sampled_from(["everyone"] * 10 + sorted(self.actors)))
        return name, self.actors[name]

    def _on(self, draw) -> dt.date | None:
        span = (TODAY - self.came_on).days
        if draw(st.integers(0, 2)) < 2:
            return None  # today, as most steps are recorded
        return self.came_on + dt.timedelta(days=draw(st.integers(-3, span + 2)))

    def _expected_version(self, obj, draw) -> int | None:
        return draw(st.sampled_from([obj.version, obj.version, None, obj.version, obj.version - 1, obj.version + 1]))

    def _transition(self, machines, obj, draw):
        machine = draw(st.sampled_from([machines[0]] * 3 + list(machines[1:])))  # overlays less often
        offered = machine.available(actor=self.actors["everyone"], obj=obj)
        # Hypothesis leans towards small draws, so the small choice is the one that moves the walk on.
        if offered and draw(st.integers(0, 9)) < 8:
            return machine, draw(st.sampled_from([t.action for t in offered]))
        return machine, draw(st.sampled_from([t.action for t in machine.transitions]))

    # -- the checks around every step ------------------------------------------------------------------
    def _attempt(self, label: str, call, *, acted: tuple[str, int] | None = None, action: str = "",
                 creates: int = 0) -> None:
        before = Snapshot()
        try:
            call()
        except DomainError as refusal:
            self.refused[(label, refusal.code)] += 1
            after = Snapshot()
            assert after.records == before.records, f"refused {label} changed a record"
            assert after.counts == before.counts, f"refused {label} added or removed rows"
            assert after.clocks == before.clocks, f"refused {label} changed a clock"
            assert not before.new_change_events().exists(), f"refused {label} wrote a change event"
            return
        self.accepted[label] += 1
        after = Snapshot()
        events = Counter(before.new_change_events().values_list("object_type", "object_id"))
        bumps = 0
        for key, old in before.records.items():
            new = after.records[key]
            model = next(m for m in MACHINES_BY_MODEL if m._meta.label_lower == key[0])
            for machine in MACHINES_BY_MODEL[model]:
                pair = (old[machine.state_field], new[machine.state_field])
                if pair[0] != pair[1]:
                    assert pair in machine.allowed_pairs(), f"{label}: {key} moved {pair}, not in {machine.name}"
            delta = new["version"] - old["version"]
            changed = {f for f in old if f != "version" and old[f] != new[f]}
            assert delta >= 0, f"{label}: {key} version went down"
            assert not changed or delta, f"{label}: {key} changed {sorted(changed)} without a new version"
            assert events.get(key, 0) == delta, f"{label}: {key} has {delta} new versions, {events.get(key, 0)} events"
            bumps += delta
        created = set(after.records) - set(before.records)
        assert len(created) == creates, f"{label}: created {sorted(created)}"
        assert sum(events.values()) == bumps + creates, f"{label}: {sum(events.values())} events for " \
                                                        f"{bumps} changes and {creates} new records"
        if acted is not None:
            assert before.new_change_events().filter(object_type=acted[0], object_id=acted[1],
                                                    action=action).count() == 1, f"{label}: no event for the step"

    def _step(self, machines, model, obj_id, draw):
        obj = model.objects.get(pk=obj_id)
        machine, action = self._transition(machines, obj, draw)
        _, actor = self._actor(draw)
        payload = _payload_for(machine, action, obj, draw)
        on, version = self._on(draw), self._expected_version(obj, draw)
        self._attempt(
            f"{machine.name}.{action}",
            lambda: run_transition(machine=machine, obj_id=obj.pk, actor=actor, action=action, payload=payload,
                                   on=on, expected_version=version),
            acted=(model._meta.label_lower, obj.pk), action=f"{machine.name}.{action}")

    # -- rules -------------------------------------------------------------------------------------------
    @rule(data=st.data())
    def case_step(self, data):
        self._step((CASE_MACHINE, CASE_SUSPENSION_MACHINE), Case, self.case_id, data.draw)

    @rule(data=st.data())
    def subject_step(self, data):
        subject_id = data.draw(st.sampled_from(self.subject_ids))
        self._step((SUBJECT_ALLEGATION_MACHINE, SUBJECT_CRIMINAL_MACHINE), SubjectAllegation, subject_id, data.draw)

    @precondition(lambda self: self.proceeding_ids)
    @rule(data=st.data())
    def proceeding_step(self, data):
        proceeding_id = data.draw(st.sampled_from(self.proceeding_ids))
        self._step((PROCEEDING_MACHINE,), Proceeding, proceeding_id, data.draw)

    @rule(data=st.data())
    def advance(self, data):
        """A well-formed step along the usual path, by someone entitled to take it, today."""
        everyone = self.actors["everyone"]
        ready = self._ready_for_proceedings()
        if ready and not data.draw(st.booleans()):
            form = data.draw(st.sampled_from([ProceedingForm.MEETING, ProceedingForm.HEARING]))
            self._refer(ready, form, everyone, TODAY)
            return
        candidates = []
        records = [(CASE_MACHINE, Case, self.case_id)]
        records += [(SUBJECT_ALLEGATION_MACHINE, SubjectAllegation, i) for i in self.subject_ids]
        records += [(PROCEEDING_MACHINE, Proceeding, i) for i in self.proceeding_ids]
        for machine, model, obj_id in records:
            obj = model.objects.get(pk=obj_id)
            offered = {t.action for t in machine.available(actor=everyone, obj=obj)}
            candidates += [(machine, model, obj, a) for a in PATH[machine.name] if a in offered][:1]
        if not candidates:
            return
        machine, model, obj, action = data.draw(st.sampled_from(candidates))
        if action in PATH_PAYLOADS:
            payload = PATH_PAYLOADS[action]
        elif machine is PROCEEDING_MACHINE:
            payload = _proceeding_payload(action, obj, lambda strategy: data.draw(strategy))
        else:
            payload = ACTION_DATA[machine.name][action]["payload"]
        self._attempt(
            f"{machine.name}.{action}",
            lambda: run_transition(machine=machine, obj_id=obj.pk, actor=everyone, action=action, payload=payload,
                                   expected_version=obj.version),
            acted=(model._meta.label_lower, obj.pk), action=f"{machine.name}.{action}")

    @rule(data=st.data())
    def advance_again(self, data):
        """The same, drawn twice as often as any other rule, so walks get deep within their length."""
        self.advance(data)

    def _ready_for_proceedings(self) -> list[int]:
        return list(SubjectAllegation.objects.filter(pk__in=self.subject_ids, status="case_to_answer")
                    .order_by("id").values_list("id", flat=True))

    def _refer(self, ids, form, actor, notice_on) -> None:
        created = []

        def call():
            created.append(proceeding_services.proceeding_refer(actor=actor, subject_allegation_ids=ids, form=form,
                                                                notice_on=notice_on))

        self._attempt("proceeding_refer", call, creates=1)
        self.proceeding_ids.extend(p.id for p in created)
        for proceeding in created:  # panel members see only the proceedings they sit on
            seat_on_panel(self.actors["panel_member"], proceeding=proceeding)

    @precondition(lambda self: self._ready_for_proceedings())
    @rule(data=st.data())
    def refer_to_proceedings(self, data):
        """Any referral: subjects in any state (those with a case to answer first), any form, any actor."""
        ready = self._ready_for_proceedings()
        pool = ready + [i for i in self.subject_ids if i not in ready]
        ids = data.draw(st.lists(st.sampled_from(pool), min_size=1, unique=True))
        form = data.draw(st.sampled_from(ProceedingForm.values))
        _, actor = self._actor(data.draw)
        self._refer(ids, form, actor, self._on(data.draw) or TODAY)

    @rule(data=st.data())
    def progress_report(self, data):
        _, actor = self._actor(data.draw)
        case = Case.objects.get(pk=self.case_id)
        on, version = self._on(data.draw) or TODAY, self._expected_version(case, data.draw)
        self._attempt("investigation_progress_report", lambda: case_services.investigation_progress_report_record(
            actor=actor, case_id=self.case_id, on=on, summary="Progress so far.", expected_version=version),
            acted=("cases.case", self.case_id), action="case.investigation_progress_report")

    # -- invariants --------------------------------------------------------------------------------------
    @invariant()
    def states_are_in_the_tables_and_dates_are_sane(self):
        if self.case_id is None:
            return
        for model, machines in MACHINES_BY_MODEL.items():
            for obj in model.objects.all():
                for machine in machines:
                    assert getattr(obj, machine.state_field) in machine.states.values
                    since = getattr(obj, machine.since_field) if machine.since_field else None
                    if since is not None:
                        assert since <= TODAY, f"{obj} entered its state in the future"
                        earliest = machine.earliest_date(obj)
                        assert earliest is None or since >= earliest, f"{obj} entered its state before the matter"

    @invariant()
    def clocks_are_consistent(self):
        if self.case_id is None:
            return
        open_clocks = Counter()
        for clock in Clock.objects.all():
            assert clock.started_on <= clock.due_on, f"{clock.kind} is due before it starts"
            assert clock.stopped_on is None or clock.stopped_on >= clock.started_on, f"{clock.kind} stopped early"
            assert clock.paused_on is None or clock.paused_on >= clock.started_on, f"{clock.kind} paused early"
            if clock.stopped_on is None:
                open_clocks[(clock.case_id, clock.subject_allegation_id, clock.proceeding_id, clock.kind)] += 1
        assert all(n == 1 for n in open_clocks.values()), f"two open clocks of one kind: {open_clocks}"
        case = Case.objects.get(pk=self.case_id)
        if case.status in CASE_MACHINE.terminal:
            still_open = Clock.objects.filter(case=case, subject_allegation=None, proceeding=None, kind__in=CASE_CLOCKS,
                                              stopped_on__isnull=True)
            assert not still_open.exists(), f"a closed case ({case.status}) still has an open case clock"


ACTORS = {
    "everyone": (Role.values, "MET"),
    "handler": ([Role.CASE_HANDLER], "MET"),
    "appropriate_authority": ([Role.APPROPRIATE_AUTHORITY], "MET"),
    "investigator": ([Role.INVESTIGATOR], "MET"),
    "panel_member": ([Role.PANEL_MEMBER], "MET"),
    "no_roles": ([], "MET"),
    "iopc": ([Role.IOPC_CASEWORKER], "IOPC"),
    "another_force": (Role.values, "KEN"),
}


def test_random_walks_of_lifecycle_steps_keep_the_invariants():
    LifecycleWalk.actors = {name: make_user(*roles, organisation=org) for name, (roles, org) in ACTORS.items()}
    LifecycleWalk.accepted, LifecycleWalk.refused = Counter(), Counter()
    run_state_machine_as_test(LifecycleWalk, settings=settings(
        max_examples=20, stateful_step_count=60, derandomize=True, database=None, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]))
    # The walks must get deep enough to mean something: into investigations, proceedings and findings.
    for label in ("case.log", "case.record", "subject_allegation.decide_case_to_answer", "proceeding_refer",
                  "proceeding.findings_record"):
        assert LifecycleWalk.accepted[label] > 0, f"no walk reached {label}: {dict(LifecycleWalk.accepted)}"
    # ...and must have been refused for every kind of reason, each checked to have changed nothing.
    codes = {code for _, code in LifecycleWalk.refused}
    for code in ("version.stale", "not_found", "permission.denied", "transition.not_allowed", "validation.failed",
                 "date.before_previous_step"):
        assert code in codes, f"no step was refused with {code}: {sorted(codes)}"
