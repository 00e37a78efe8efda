"""Register alerts: serious allegations reach every employer and applicant force, whoever records them;
follow-ups, transfers and list entries; acknowledgement and escalation (issue #4 §2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from forewarn.audit.models import Event
from forewarn.cases import services as case_services
from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied
from forewarn.organisations.models import Role
from forewarn.register import alerts
from forewarn.register.models import (
    Alert,
    AlertRecipient,
    AlertRule,
    AlertTrigger,
    Application,
    Channel,
    OutboxMessage,
    WebhookEndpoint,
)
from forewarn.workforce import services as workforce_services
from tests.factories import AppointmentFactory, CaseFactory, PersonFactory, make_user, org

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    """A serving Kent officer who served in the Civil Nuclear Constabulary before (fictional)."""
    person = PersonFactory(given_name="Aldous", family_name="Pennywhistle", date_of_birth=dt.date(1985, 3, 2))
    AppointmentFactory(person=person, organisation=org("CNC"), start_date=dt.date(2008, 1, 7),
                       end_date=dt.date(2014, 6, 30), end_reason="transferred")
    AppointmentFactory(person=person, organisation=org("KEN"), start_date=dt.date(2014, 7, 1))
    return person


@pytest.fixture
def met_handler():
    return make_user(Role.CASE_HANDLER, organisation="MET")


def _allegation(actor, *, category="sexual_conduct", subcategory="Sexual harassment", standards=("SPB-DC",),
                flags=(), case=None):
    case = case or CaseFactory(organisation=actor.organisation)
    return case_services.allegation_add(actor=actor, case_id=case.id, category=category, subcategory=subcategory,
                                        standards=list(standards), flags=list(flags), description="Fictional.")


def _units(alert: Alert) -> set[tuple[str, str, str]]:
    return {(r.organisation.code, r.unit, r.basis) for r in alert.recipients.select_related("organisation")}


def test_serious_allegation_recorded_by_another_force_tells_the_employer(officer, met_handler):
    """The Met records a sexual-conduct allegation against a Kent officer: Kent's PSD and vetting unit
    are told; the CNC, a past employer, is not."""
    allegation = _allegation(met_handler)
    subject = case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)

    alert = Alert.objects.get()
    assert alert.trigger == AlertTrigger.SERIOUS_ALLEGATION
    assert alert.person_id == officer.id and alert.subject_allegation_id == subject.id
    assert alert.reasons == ["Sexual conduct"]
    assert _units(alert) == {("KEN", "standards", "employs"), ("KEN", "vetting", "employs")}
    entry = alert.summary["entry"]
    assert entry["organisation"]["code"] == "MET" and entry["category"] == "sexual_conduct"
    assert entry["contact"].endswith(".police.invalid")
    assert "description" not in entry  # the case file stays with the owning force


def test_not_serious_allegation_raises_nothing(officer, met_handler):
    allegation = _allegation(met_handler, category="individual_behaviours", subcategory="Impolite language / tone",
                             standards=("SPB-ARC",))
    case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    assert not Alert.objects.exists() and not OutboxMessage.objects.exists()


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"category": "discriminatory", "subcategory": "Race"}, "Discriminatory behaviour"),
    ({"category": "abuse_of_position", "subcategory": "Abuse of position for sexual purpose"},
     "Abuse of position for a sexual purpose"),
    ({"category": "individual_behaviours", "subcategory": "Impolite language / tone", "flags": ("domestic_abuse",)},
     "Domestic abuse"),
    ({"category": "information", "subcategory": "Use of police systems", "standards": ("SPB-HI",)},
     "Dishonesty (Standard: honesty and integrity)"),
])
def test_default_rules(officer, met_handler, kwargs, reason):
    allegation = _allegation(met_handler, **{"standards": ("SPB-DC",), **kwargs})
    case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    assert reason in Alert.objects.get().reasons


def test_rule_switched_off_is_not_applied(officer, met_handler):
    AlertRule.objects.filter(field="category", value="sexual_conduct").update(enabled=False)
    allegation = _allegation(met_handler)
    case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    assert not Alert.objects.exists()


def test_unidentified_subject_alerts_when_linked_and_only_once(officer, met_handler):
    allegation = _allegation(met_handler)
    subject = case_services.subject_add(actor=met_handler, allegation_id=allegation.id, name_as_given="DS Penny")
    assert not Alert.objects.exists()
    case_services.subject_link_person(actor=met_handler, subject_allegation_id=subject.id, person_id=officer.id)
    assert Alert.objects.count() == 1
    # A later step that re-evaluates the allegation (recording under Schedule 3) does not repeat it.
    case_services.case_log(actor=met_handler, case_id=subject.case_id, on=dt.date(2024, 1, 16))
    case_services.case_record_under_sch3(actor=met_handler, case_id=subject.case_id, on=dt.date(2024, 1, 17),
                                         referral_categories=["MR-SEXOFF"])
    assert Alert.objects.count() == 1


def test_mandatory_referral_makes_an_ordinary_allegation_serious(officer, met_handler):
    allegation = _allegation(met_handler, category="powers_policies", subcategory="Use of force",
                             standards=("SPB-UOF",))
    subject = case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    assert not Alert.objects.exists()
    case_services.case_log(actor=met_handler, case_id=subject.case_id, on=dt.date(2024, 1, 16))
    case_services.case_record_under_sch3(actor=met_handler, case_id=subject.case_id, on=dt.date(2024, 1, 17),
                                         referral_categories=["MR-ASSAULT"])
    alert = Alert.objects.get()
    assert alert.reasons == ["Any mandatory referral category (PRA 2002 Sch 3 para 4; C&M Regs 2020 reg 4)"]


def test_open_application_force_is_told_until_the_application_closes(officer, met_handler):
    Application.objects.create(organisation=org("SUS"), person=officer, kind="transfer", opened_on=dt.date(2024, 1, 2))
    closed = Application.objects.create(organisation=org("ESS"), person=officer, kind="vetting",
                                        opened_on=dt.date(2023, 1, 2), closed_on=dt.date(2023, 3, 1))
    assert closed.closed_on
    allegation = _allegation(met_handler)
    case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    assert ("SUS", "vetting", "transfer_application") in _units(Alert.objects.get())
    assert "ESS" not in {code for code, _, _ in _units(Alert.objects.get())}


def test_iopc_recording_reaches_the_employer(officer):
    iopc = make_user(Role.IOPC_CASEWORKER, organisation="IOPC")
    case = case_services.case_record(actor=iopc, case_type="conduct_matter", came_to_attention_on=dt.date(2024, 2, 1),
                                     summary="Fictional matter.", organisation_id=org("MET").id)
    # An independent IOPC investigation: the IOPC keeps sight of the case (referred to it).
    type(case).objects.filter(pk=case.pk).update(referred_on=dt.date(2024, 2, 1), investigation_mode="independent")
    allegation = _allegation(iopc, case=case)
    case_services.subject_add(actor=iopc, allegation_id=allegation.id, person_id=officer.id)
    assert {code for code, _, _ in _units(Alert.objects.get())} == {"KEN"}


def test_outbox_rows_are_written_with_the_alert(officer, met_handler):
    hos = make_user(Role.HEAD_OF_STANDARDS, organisation="KEN", email="hos@ken.police.invalid")
    vetting = make_user(Role.VETTING_OFFICER, organisation="KEN", email="vetting@ken.police.invalid")
    make_user(Role.VETTING_OFFICER, organisation="KEN", email="", username="no-mail")
    endpoint = WebhookEndpoint.objects.create(organisation=org("KEN"), unit="standards",
                                              url="https://psd.ken.example/hook", secret="s" * 32)
    allegation = _allegation(met_handler)
    case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)

    messages = OutboxMessage.objects.select_related("recipient")
    assert {(m.channel, m.email or m.endpoint_id, m.recipient.unit) for m in messages} == {
        (Channel.EMAIL, hos.email, "standards"), (Channel.EMAIL, vetting.email, "vetting"),
        (Channel.WEBHOOK, endpoint.id, "standards")}
    assert len({m.idempotency_key for m in messages}) == 3
    assert all(m.status == "pending" and m.purpose == "alert" for m in messages)


def test_a_refused_change_leaves_no_alert(officer, met_handler):
    """The outbox is transactional: a change that rolls back takes its alert with it."""
    allegation = _allegation(met_handler)
    subject = case_services.subject_add(actor=met_handler, allegation_id=allegation.id, name_as_given="DS Penny")
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; the point is the rollback
        case_services.subject_link_person(actor=met_handler, subject_allegation_id=subject.id, person_id=officer.id,
                                          expected_version=subject.version + 5)
    assert not Alert.objects.exists() and not OutboxMessage.objects.exists()


def _assessed(met_handler, officer, severity):
    aa = make_user(Role.APPROPRIATE_AUTHORITY, organisation="MET")
    allegation = _allegation(met_handler, category="discreditable_conduct", subcategory="", standards=("SPB-DC",))
    subject = case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    case_services.subject_assess_severity(actor=aa, subject_allegation_id=subject.id, severity=severity,
                                          reasons="Fictional reasons.", on=dt.date(2024, 2, 1))
    return aa, subject


def test_gross_misconduct_severity_is_serious(officer, met_handler):
    _assessed(met_handler, officer, "gross_misconduct")
    assert Alert.objects.get().reasons == ["Severity assessed as gross misconduct"]


def test_severity_change_follows_up_only_alerted_allegations(officer, met_handler):
    aa, subject = _assessed(met_handler, officer, "misconduct")
    assert not Alert.objects.exists()
    case_services.subject_assess_severity(actor=aa, subject_allegation_id=subject.id, severity="gross_misconduct",
                                          reasons="New evidence.", on=dt.date(2024, 2, 5))
    assert list(Alert.objects.values_list("trigger", flat=True)) == [AlertTrigger.SERIOUS_ALLEGATION]
    case_services.subject_assess_severity(actor=aa, subject_allegation_id=subject.id, severity="misconduct",
                                          reasons="Reconsidered.", on=dt.date(2024, 2, 9))
    change = Alert.objects.get(trigger=AlertTrigger.SEVERITY_CHANGE)
    assert change.reasons == ["Severity changed from gross_misconduct to misconduct"]
    assert change.summary["entry"]["severity"] == "misconduct"


def test_transfer_gives_the_receiving_force_the_whole_history(officer, met_handler):
    allegation = _allegation(met_handler, category="individual_behaviours", subcategory="Impolite language / tone",
                             standards=("SPB-ARC",))
    case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    sussex_admin = make_user(Role.ADMINISTRATOR, organisation="SUS")
    workforce_services.person_transfer(actor=sussex_admin, person_id=officer.id, to_organisation_id=org("SUS").id,
                                       on=dt.date(2024, 5, 31), service_number="SX1234")
    alert = Alert.objects.get(trigger=AlertTrigger.TRANSFER)
    assert ("SUS", "standards", "receiving_force") in _units(alert)
    assert [e["category"] for e in alert.summary["history"]] == ["individual_behaviours"]


def test_acknowledge_and_inbox(officer, met_handler):
    allegation = _allegation(met_handler)
    case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    ken_vetting = make_user(Role.VETTING_OFFICER, organisation="KEN")
    ken_handler = make_user(Role.CASE_HANDLER, organisation="KEN")
    sus_vetting = make_user(Role.VETTING_OFFICER, organisation="SUS")

    [mine] = alerts.inbox_list(actor=ken_vetting)
    assert mine.unit == "vetting"
    assert [r.unit for r in alerts.inbox_list(actor=ken_handler)] == ["standards"]
    assert alerts.inbox_list(actor=sus_vetting) == []
    with pytest.raises(NotFound):
        alerts.alert_acknowledge(actor=sus_vetting, alert_id=mine.id)
    with pytest.raises(NotFound):  # the PSD cannot acknowledge for the vetting unit
        alerts.alert_acknowledge(actor=ken_handler, alert_id=mine.id)
    with pytest.raises(PermissionDenied):
        alerts.alert_acknowledge(actor=make_user(Role.INVESTIGATOR, organisation="KEN"), alert_id=mine.id)

    done = alerts.alert_acknowledge(actor=ken_vetting, alert_id=mine.id, note="Reviewed.")
    assert done.acknowledged_by == ken_vetting
    assert Event.objects.filter(action="register.alert.acknowledge", object_id=mine.id).count() == 1
    with pytest.raises(GuardFailed) as refused:
        alerts.alert_acknowledge(actor=ken_vetting, alert_id=mine.id)
    assert refused.value.code == "alert.already_acknowledged"
    assert alerts.inbox_list(actor=ken_vetting) == []
    assert len(alerts.inbox_list(actor=ken_vetting, open_only=False)) == 1


def test_escalation_after_two_working_days(officer, met_handler):
    hos = make_user(Role.HEAD_OF_STANDARDS, organisation="KEN", email="hos@ken.police.invalid")
    allegation = _allegation(met_handler)
    case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    vetting_copy = AlertRecipient.objects.get(unit="vetting")
    standards_copy = AlertRecipient.objects.get(unit="standards")
    alerts.alert_acknowledge(actor=hos, alert_id=standards_copy.id)

    # Raised on a Friday: due by the Tuesday (2 working days), escalated from the Wednesday.
    AlertRecipient.objects.update(acknowledge_by=dt.date(2024, 3, 12))
    tz = timezone.get_current_timezone()
    assert alerts.alerts_escalate_overdue(now=dt.datetime(2024, 3, 12, 18, 0, tzinfo=tz)) == 0
    assert alerts.alerts_escalate_overdue(now=dt.datetime(2024, 3, 13, 9, 0, tzinfo=tz)) == 1
    assert alerts.alerts_escalate_overdue(now=dt.datetime(2024, 3, 14, 9, 0, tzinfo=tz)) == 0  # once only

    vetting_copy.refresh_from_db()
    assert vetting_copy.escalated_at is not None
    escalation = OutboxMessage.objects.filter(purpose="escalation")
    assert [(m.channel, m.email) for m in escalation] == [(Channel.EMAIL, hos.email)]
    # The head of professional standards now sees the vetting unit's overdue copy in their inbox.
    assert vetting_copy.id in {r.id for r in alerts.inbox_list(actor=hos)}
    assert Event.objects.filter(action="register.alert.escalate").count() == 1


def test_acknowledge_by_counts_working_days(officer, met_handler):
    allegation = _allegation(met_handler)
    case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    from forewarn.core import calendar

    today = timezone.localdate()
    assert {r.acknowledge_by for r in AlertRecipient.objects.all()} == {calendar.add_working_days(today, 2)}


def test_rule_changes_by_national_administrators_only(officer, met_handler):
    from click.testing import CliRunner

    from forewarn.cli import main

    iopc_admin = make_user(Role.ADMINISTRATOR, organisation="IOPC", username="iopc-admin")
    make_user(Role.ADMINISTRATOR, organisation="MET", username="met-admin")
    runner = CliRunner()
    refused = runner.invoke(main, ["register", "rule-set", "--user", "met-admin", "--field", "category",
                                   "--value", "sexual_conduct", "--off"])
    assert refused.exit_code == 2 and "permission.denied" in refused.output
    assert AlertRule.objects.get(field="category", value="sexual_conduct").enabled
    bad = runner.invoke(main, ["register", "rule-set", "--user", "iopc-admin", "--field", "colour", "--value", "x"])
    assert bad.exit_code == 2 and "field:" in bad.output
    new_without_words = runner.invoke(main, ["register", "rule-set", "--user", "iopc-admin", "--field", "category",
                                             "--value", "vehicles"])
    assert new_without_words.exit_code == 2 and "description:" in new_without_words.output
    assert not AlertRule.objects.filter(value="vehicles").exists()

    done = runner.invoke(main, ["register", "rule-set", "--user", "iopc-admin", "--field", "category",
                                "--value", "vehicles", "--description", "Use of police vehicles"])
    assert done.exit_code == 0, done.output
    assert Event.objects.filter(action="register.rule.set", actor=iopc_admin).count() == 1
    listed = runner.invoke(main, ["register", "rules"])
    assert "Use of police vehicles" in listed.output

    # The new rule applies at once.
    allegation = _allegation(met_handler, category="vehicles", subcategory="", standards=("SPB-DR",))
    case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    assert Alert.objects.get().reasons == ["Use of police vehicles"]


def test_alert_records_the_audit_event_that_caused_it(officer, met_handler):
    allegation = _allegation(met_handler)
    subject = case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    event = Event.objects.get(action="subject.add", object_id=subject.id)
    assert event.data["alerts_raised"] == [Alert.objects.get().id]


def test_one_follow_up_per_person_for_a_change_touching_several_allegations(officer, met_handler):
    from forewarn.cases.lifecycle import CASE_SUSPENSION_MACHINE
    from forewarn.core.lifecycle import run_transition

    first = _allegation(met_handler)
    case = first.case
    second = _allegation(met_handler, category="discriminatory", subcategory="Race", case=case)
    for allegation in (first, second):
        case_services.subject_add(actor=met_handler, allegation_id=allegation.id, person_id=officer.id)
    assert Alert.objects.filter(trigger=AlertTrigger.SERIOUS_ALLEGATION).count() == 2
    aa = make_user(Role.APPROPRIATE_AUTHORITY, organisation="MET")
    # Straight to an investigation (the steps there are the lifecycle tests' business).
    type(case).objects.filter(pk=case.pk).update(status="under_investigation", status_since=dt.date(2024, 1, 20))
    run_transition(machine=CASE_SUSPENSION_MACHINE, obj_id=case.id, actor=aa, action="suspend",
                   payload={"reasons": "Criminal trial pending (fictional)."}, on=dt.date(2024, 2, 1))
    suspension = Alert.objects.get(trigger=AlertTrigger.SUSPENSION)
    assert suspension.reasons == ["Investigation suspended"]
    assert len(suspension.summary["entries"]) == 2 and suspension.subject_allegation_id is None
