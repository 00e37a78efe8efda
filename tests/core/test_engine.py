"""The lifecycle engine itself, on a toy machine over real case rows."""

import datetime as dt

import pytest

from forewarn.audit.models import Event
from forewarn.cases.models import Case, CaseStatus
from forewarn.core.clocks import ClockKind
from forewarn.core.errors import (
    GuardFailed,
    NotFound,
    PermissionDenied,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
)
from forewarn.core.lifecycle import Machine, Reasons, Transition, require, run_transition
from forewarn.core.models import Clock
from forewarn.organisations.models import Role
from forewarn.organisations.permissions import case_in_scope
from tests.factories import CaseFactory, make_user, name_on_case, only_refused

pytestmark = pytest.mark.django_db


def _refuse_no(ctx):
    require(ctx.payload.reasons != "no", "toy.refused", "The reasons may not be 'no'.")


TOY = Machine(
    name="toy",
    model="cases.Case",
    state_field="status",
    since_field="status_since",
    states=CaseStatus,
    initial=CaseStatus.RECEIVED,
    transitions=(
        Transition(action="log", label="Log", sources=(CaseStatus.RECEIVED,), target=CaseStatus.LOGGED,
                   roles=frozenset({Role.CASE_HANDLER}), starts=(ClockKind.OFFICER_RESPONSE,)),
        Transition(action="close", label="Close", sources=(CaseStatus.LOGGED,), target=CaseStatus.NOT_A_COMPLAINT,
                   roles=frozenset({Role.CASE_HANDLER}), payload=Reasons, rules=(_refuse_no,),
                   stops=(ClockKind.OFFICER_RESPONSE,)),
    ),
    terminal=frozenset({CaseStatus.NOT_A_COMPLAINT}),
    in_scope=case_in_scope,
    earliest_date=lambda c: c.came_to_attention_on,
)


def _untouched(case: Case, status: str = CaseStatus.RECEIVED) -> None:
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.version) == (status, case.version)


def test_an_allowed_step_moves_state_bumps_version_starts_its_clock_and_writes_one_event(handler):
    case = CaseFactory()
    obj, _ = run_transition(machine=TOY, obj_id=case.pk, action="log", actor=handler, on=dt.date(2024, 2, 1))
    assert (obj.status, obj.status_since, obj.version) == (CaseStatus.LOGGED, dt.date(2024, 2, 1), 2)
    clock = Clock.objects.get(case=case)
    # 15 working days after Thu 1 Feb 2024 = Thu 22 Feb 2024 (no bank holidays in between).
    assert (clock.kind, clock.due_on) == (ClockKind.OFFICER_RESPONSE, dt.date(2024, 2, 22))
    event = Event.objects.get()
    assert (event.action, event.from_state, event.to_state, event.actor, event.case_id) == (
        "toy.log", "received", "logged", handler, case.pk)

    run_transition(machine=TOY, obj_id=case.pk, target=CaseStatus.NOT_A_COMPLAINT, actor=handler,
                   payload={"reasons": "Not about police conduct"}, on=dt.date(2024, 2, 5))
    assert Clock.objects.get(case=case).stopped_on == dt.date(2024, 2, 5)
    assert Event.objects.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"action": "close", "payload": {"reasons": "x"}}, TransitionNotAllowed, "transition.not_allowed"),
        ({"target": CaseStatus.FINALISED}, TransitionNotAllowed, "transition.not_allowed"),
        ({"action": "fly"}, TransitionNotAllowed, "transition.unknown_action"),
        ({"action": "log", "expected_version": 7}, StaleVersion, "version.stale"),
        ({"action": "log", "on": dt.date.today() + dt.timedelta(days=1)}, ValidationFailed, "date.in_future"),
        ({"action": "log", "on": dt.date(2023, 12, 31)}, ValidationFailed, "date.before_matter"),
        ({"action": "log", "payload": {"surprise": 1}}, ValidationFailed, "validation.failed"),
    ],
)
def test_refusals_raise_a_stable_code_and_write_nothing(handler, kwargs, error, code):
    case = CaseFactory()
    with pytest.raises(error) as err:
        run_transition(machine=TOY, obj_id=case.pk, actor=handler, **kwargs)
    assert err.value.code == code
    _untouched(case)
    assert only_refused() and Clock.objects.count() == 0


def test_a_rule_refusal_and_a_missing_field_name_the_problem_and_write_nothing(handler):
    case = CaseFactory(status=CaseStatus.LOGGED)
    with pytest.raises(GuardFailed) as err:
        run_transition(machine=TOY, obj_id=case.pk, action="close", actor=handler, payload={"reasons": "no"})
    assert err.value.code == "toy.refused"
    with pytest.raises(ValidationFailed) as err:
        run_transition(machine=TOY, obj_id=case.pk, action="close", actor=handler, payload={})
    assert err.value.field == "reasons"
    _untouched(case, CaseStatus.LOGGED)
    assert only_refused(2)


def test_wrong_role_is_denied_and_another_force_gets_not_found(db):
    case = CaseFactory()
    investigator = make_user(Role.INVESTIGATOR)
    name_on_case(investigator, case)  # in scope (appointed to it), but the step is not an investigator's
    kent = make_user(Role.CASE_HANDLER, organisation="KEN")
    with pytest.raises(PermissionDenied):
        run_transition(machine=TOY, obj_id=case.pk, action="log", actor=investigator)
    with pytest.raises(NotFound):
        run_transition(machine=TOY, obj_id=case.pk, action="log", actor=kent)
    with pytest.raises(NotFound):
        run_transition(machine=TOY, obj_id=10**9, action="log", actor=kent)
    _untouched(case)


def test_available_lists_only_what_this_actor_may_do_now(handler):
    case = CaseFactory()
    assert [t.action for t in TOY.available(actor=handler, obj=case)] == ["log"]
    assert TOY.available(actor=make_user(Role.INVESTIGATOR), obj=case) == []


@pytest.mark.parametrize(
    ("transitions", "message"),
    [
        ((Transition("a", "A", (CaseStatus.RECEIVED,), "nowhere", frozenset({"x"})),), "unknown states"),
        ((Transition("a", "A", (CaseStatus.RECEIVED,), CaseStatus.LOGGED, frozenset({"x"})),
          Transition("b", "B", (CaseStatus.RECEIVED,), CaseStatus.LOGGED, frozenset({"x"}))), "two transitions"),
        ((Transition("a", "A", (CaseStatus.RECEIVED,), CaseStatus.LOGGED, frozenset()),), "no role"),
        ((Transition("a", "A", (CaseStatus.FINALISED,), CaseStatus.LOGGED, frozenset({"x"})),), "terminal"),
    ],
)
def test_a_malformed_table_is_rejected_at_import(transitions, message):
    with pytest.raises(ValueError, match=message):
        Machine(name="bad", model="cases.Case", state_field="status", states=CaseStatus,
                initial=CaseStatus.RECEIVED, transitions=transitions, terminal=frozenset({CaseStatus.FINALISED}))
