"""Exhaustive table tests for the machines in cases/lifecycle.py.

For every (source, target) pair of every machine: an allowed pair succeeds, lands in `target` and
writes exactly one audit event; a forbidden pair raises TransitionNotAllowed and writes nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from forewarn.audit.models import Event
from forewarn.cases import lifecycle
from forewarn.cases.models import Case, CaseStatus, SubjectAllegation, SubjectStatus
from forewarn.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from forewarn.core.lifecycle import Machine, run_transition
from forewarn.core.registry import all_machines
from forewarn.organisations.models import Role
from tests.factories import CaseFactory, SubjectAllegationFactory, make_user, only_refused

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
REASONS = {"reasons": "Reasons recorded for the decision."}

# One minimal valid set of data per action: the payload, and what the record ("record") and its
# case ("case") must look like for the action's preconditions to hold. A new transition without an
# entry here fails test_every_action_has_test_data.
ACTION_DATA: dict[str, dict[str, dict]] = {
    "case": {
        "log": {"payload": {}},
        "reject_as_not_a_complaint": {"payload": REASONS},
        "handle_outside_sch3": {"payload": REASONS},
        "finalise_outside_sch3": {"payload": {"outcome_summary": "Explanation given; complainant satisfied."}},
        "record_at_complainant_request": {"payload": {}},
        "record": {"payload": {}},
        "deal_under_conduct_regs": {"payload": REASONS, "case": {"case_type": "conduct_matter"}},
        "refer_to_iopc": {"payload": {"referral_basis": "voluntary"}},
        "decide_not_to_refer": {"payload": REASONS},
        "determine_mode": {"payload": {"investigation_mode": "directed", **REASONS}},
        "refer_back": {"payload": REASONS},
        "investigate": {"payload": {"special_procedures": True}},
        "handle_otherwise": {"payload": REASONS},
        "take_no_further_action": {"payload": REASONS},
        "submit_investigation_report": {"payload": {"report_summary": "Findings of the investigation."}},
        "notify_outcome": {"payload": {"outcome_summary": "Service fell short; apology given."}},
        "request_review": {"payload": {"review_body": "lpb"}, "case": {"status_since": TODAY - dt.timedelta(days=5)}},
        "decide_review_not_upheld": {"payload": REASONS},
        "uphold_review_reinvestigate": {"payload": REASONS},
        "finalise": {"payload": {}, "case": {"case_type": "recordable_conduct_matter"}},
        "withdraw": {"payload": REASONS},
        "discontinue": {"payload": REASONS},
    },
    "case_suspension": {
        "suspend": {"payload": REASONS},
        "resume": {"payload": REASONS},
    },
    "subject_allegation": {
        "assess_severity": {"payload": {"severity": "misconduct", **REASONS}},
        "reassess_severity": {"payload": {"severity": "gross_misconduct", **REASONS}},
        "close_no_action": {"payload": REASONS, "record": {"severity": "no_misconduct"}},
        "refer_to_reflective_practice": {"payload": REASONS, "record": {"severity": "pri"}},
        "appoint_investigator": {"payload": {"investigator_name": "DS Imaginary"}, "record": {"severity": "misconduct"},
                                 "case": {"status": CaseStatus.UNDER_INVESTIGATION}},
        "serve_notice": {"payload": {"notice_served_on": TODAY - dt.timedelta(days=1)}},
        "submit_report": {"payload": {"opinion": "case_to_answer", "report_summary": "Evidence supports it."}},
        "decide_case_to_answer": {"payload": {"case_to_answer": "misconduct", **REASONS}},
        "decide_no_case_to_answer": {"payload": REASONS},
        "refer_to_performance": {"payload": REASONS},
        "complete_reflective_practice": {"payload": {"summary": "Reflective review development report agreed."}},
        "refer_to_proceedings": {"payload": {"proceeding_form": "meeting"}, "record": {"case_to_answer": "misconduct"}},
        "withdraw_proceedings": {"payload": REASONS},
        "conclude_proceedings": {"payload": {"finding": "misconduct"}, "record": {"case_to_answer": "misconduct"}},
    },
    "subject_criminal": {
        "suspend_for_criminal_proceedings": {"payload": REASONS},
        "resume_after_criminal_proceedings": {"payload": REASONS},
    },
}

# What the record looks like apart from the state under test (overlays need an open main state).
BASE_CASE = {
    "case_suspension": {"status": CaseStatus.UNDER_INVESTIGATION},
}
BASE_RECORD = {
    "subject_criminal": {"status": SubjectStatus.UNDER_INVESTIGATION},
}

OWNED = {m.name: m for m in lifecycle.MACHINES}


def build(machine: Machine, state: str, data: dict | None = None):
    """A record of `machine` in `state`, shaped so the action described by `data` may run."""
    data = data or {}
    case_attrs = {**BASE_CASE.get(machine.name, {}), **data.get("case", {})}
    record_attrs = {**BASE_RECORD.get(machine.name, {}), **data.get("record", {}), machine.state_field: state}
    if machine.model == "cases.Case":
        return CaseFactory(**{**case_attrs, **record_attrs})
    case = CaseFactory(**case_attrs)
    return SubjectAllegationFactory(allegation__case=case, case=case, **record_attrs)


def fresh(machine: Machine, obj):
    return machine.model_class().objects.get(pk=obj.pk)


@pytest.fixture
def everyone(db):
    """A Met user holding every role, so only the table decides."""
    return make_user(*Role.values)


def _pairs():
    for machine in lifecycle.MACHINES:
        for source in machine.states.values:
            for target in machine.states.values:
                yield pytest.param(machine.name, source, target, id=f"{machine.name}:{source}->{target}")


def test_every_action_has_test_data_and_no_data_is_stale():
    for name, machine in OWNED.items():
        assert set(ACTION_DATA[name]) == {t.action for t in machine.transitions}, name
    assert set(ACTION_DATA) == set(OWNED)


def test_registry_holds_these_machines_once_each():
    names = [m.name for m in all_machines()]
    assert len(names) == len(set(names))
    assert set(OWNED) <= set(names)


@pytest.mark.parametrize(("machine_name", "source", "target"), list(_pairs()))
def test_every_pair_is_allowed_or_refused_as_the_table_says(machine_name, source, target, everyone):
    machine = OWNED[machine_name]
    t = machine.between(source, target)
    data = ACTION_DATA[machine_name][t.action] if t else {}
    obj = build(machine, source, data)
    version = obj.version
    if t is None:
        with pytest.raises(TransitionNotAllowed):
            run_transition(machine=machine, obj_id=obj.pk, actor=everyone, target=target, payload={})
        assert only_refused()
        after = fresh(machine, obj)
        assert (getattr(after, machine.state_field), after.version) == (source, version)
        return
    result, _ = run_transition(machine=machine, obj_id=obj.pk, actor=everyone, target=target,
                               payload=data["payload"])
    after = fresh(machine, obj)
    assert getattr(after, machine.state_field) == target == getattr(result, machine.state_field)
    assert after.version == version + 1
    event = Event.objects.get()
    assert (event.action, event.from_state, event.to_state) == (f"{machine.name}.{t.action}", source, target)
    assert event.object_id == obj.pk


def _transitions():
    for machine in lifecycle.MACHINES:
        for t in machine.transitions:
            yield pytest.param(machine.name, t.action, id=f"{machine.name}.{t.action}")


@pytest.mark.parametrize(("machine_name", "action"), list(_transitions()))
def test_a_role_not_in_the_table_is_refused_and_nothing_is_written(machine_name, action):
    machine = OWNED[machine_name]
    t = machine.get(action)
    # An administrator reads every case of the force but takes no statutory step.
    assert Role.ADMINISTRATOR not in t.roles
    admin = make_user(Role.ADMINISTRATOR)
    data = ACTION_DATA[machine_name][action]
    obj = build(machine, t.sources[0], data)
    with pytest.raises(PermissionDenied):
        run_transition(machine=machine, obj_id=obj.pk, actor=admin, action=action, payload=data["payload"])
    assert only_refused()
    assert fresh(machine, obj).version == obj.version


@pytest.mark.parametrize("machine_name", list(OWNED))
def test_another_forces_record_is_not_found(machine_name, other_force_handler):
    machine = OWNED[machine_name]
    t = machine.transitions[0]
    data = ACTION_DATA[machine_name][t.action]
    obj = build(machine, t.sources[0], data)
    with pytest.raises(NotFound):
        run_transition(machine=machine, obj_id=obj.pk, actor=other_force_handler, action=t.action,
                       payload=data["payload"])
    assert only_refused()


def _with_reasons():
    for machine in lifecycle.MACHINES:
        for t in machine.transitions:
            if "reasons" in t.payload.model_fields:
                yield pytest.param(machine.name, t.action, id=f"{machine.name}.{t.action}")


@pytest.mark.parametrize(("machine_name", "action"), list(_with_reasons()))
def test_missing_reasons_are_refused_naming_the_field(machine_name, action, everyone):
    machine = OWNED[machine_name]
    t = machine.get(action)
    data = ACTION_DATA[machine_name][action]
    obj = build(machine, t.sources[0], data)
    payload = {k: v for k, v in data["payload"].items() if k != "reasons"}
    with pytest.raises(ValidationFailed) as err:
        run_transition(machine=machine, obj_id=obj.pk, actor=everyone, action=action, payload=payload)
    assert err.value.field == "reasons"
    assert only_refused()
    assert getattr(fresh(machine, obj), machine.state_field) == t.sources[0]


def test_the_case_and_subject_machines_reach_every_state_from_an_entry_state():
    for machine in lifecycle.MACHINES:
        targets = {t.target for t in machine.transitions}
        entries = {machine.initial} | (set(machine.states.values) - targets)
        seen, frontier = set(entries), list(entries)
        while frontier:
            state = frontier.pop()
            for t in machine.from_state(state):
                if t.target not in seen:
                    seen.add(t.target)
                    frontier.append(t.target)
        assert seen == set(machine.states.values), machine.name
        # Every non-terminal state has a way out.
        for state in set(machine.states.values) - machine.terminal:
            assert machine.from_state(state), f"{machine.name}: {state} is a dead end"


def test_entry_states_of_the_case_machine_are_received_and_identified():
    targets = {t.target for t in lifecycle.CASE_MACHINE.transitions}
    assert set(CaseStatus.values) - targets == {CaseStatus.RECEIVED, CaseStatus.IDENTIFIED}


def test_each_model_has_the_fields_its_machines_use():
    for machine in lifecycle.MACHINES:
        model = machine.model_class()
        assert model in (Case, SubjectAllegation)
        model._meta.get_field(machine.state_field)
        model._meta.get_field(machine.since_field)
