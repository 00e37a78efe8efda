"""What recording a serious allegation costs in queries: the path the alert-latency benchmark times
(benchmarks/notification_latency.py; issue #4 §5 asks for 50 serious allegations a second), pinned so
it cannot grow back, and the shortcuts it takes shown to give the answers the long way gives.

`allegation_add`, then `subject_add` naming the person: every guarantee is in the count — the scoped
reads (deny by default), the lock that numbers allegations, the audit event of each change in its own
transaction, the register alert with its recipients and outbox rows in the subject's transaction, the
look-up of open disclosure schedules for the person.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forewarn.cases import services as case_services
from forewarn.cases.selectors import allegation_get_for_actor, case_get_for_actor
from forewarn.core.errors import NotFound
from forewarn.organisations.models import Role
from forewarn.register import alerts
from forewarn.register.models import Alert, Application, OutboxMessage, WebhookEndpoint
from tests.factories import AppointmentFactory, CaseFactory, PersonFactory, make_user, name_on_case, org

pytestmark = pytest.mark.django_db

# Statements, not counting transaction control (BEGIN/COMMIT, or the savepoints they are inside a test).
# allegation_add: the case (scoped in memory), its lock, the highest number, the insert, the audit
# append (PostgreSQL: SET CONSTRAINTS and the append function; SQLite: the chain head and the insert).
ALLEGATION_ADD = 6
# subject_add: the allegation with its case (scoped in memory), the person with their appointments,
# the insert; the register: open applications, the alert, its recipients, their webhooks, their
# e-mail addresses, the outbox rows; the disclosure schedules; the audit append (two, as above).
SUBJECT_ADD = 12
# Before this was pinned: 7 and 16 (the named-case ids and a filtered case read in each service, the
# case read again under lock, the person and their appointments apart, the employers read again).
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@pytest.fixture(autouse=True)
def _rules_cached(settings):
    """The serious-allegation rules as production keeps them: read once, cached for a few seconds
    (`alerts.enabled_rules`; the test settings turn the cache off)."""
    settings.FOREWARN_ALERT_RULES_CACHE_SECONDS = 60
    alerts.rules_cache_clear()
    yield
    alerts.rules_cache_clear()


def _statements(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]


def _world(*, past_appointments: int = 0, applications: int = 1, endpoints=("KEN", "SUS")):
    """A Met case handler (roles and organisation read, as they are after the first request), a Met
    case, and a serving Kent officer with an open vetting application with Sussex; a signed webhook
    for each unit of each force in `endpoints`. More past service and more applicant forces on demand."""
    handler = make_user(Role.CASE_HANDLER)
    assert handler.has_any_role({Role.CASE_HANDLER}) and handler.organisation.code == "MET"  # read once
    person = PersonFactory(given_name="Ottoline", family_name="Quarrendon", date_of_birth=dt.date(1984, 5, 9))
    AppointmentFactory(person=person, organisation=org("KEN"), start_date=dt.date(2015, 1, 5))
    for i, code in enumerate(["CNC", "ESS", "HAM", "TVP"][:past_appointments]):
        AppointmentFactory(person=person, organisation=org(code), start_date=dt.date(2005 + i, 1, 3),
                           end_date=dt.date(2005 + i, 12, 31), end_reason="transferred")
    for code in ["SUS", "SUR", "ESS", "HAM"][:applications]:
        Application.objects.create(person=person, organisation=org(code), kind="vetting", opened_on=dt.date(2026, 1, 5))
    for code in endpoints:
        for unit in ("standards", "vetting"):
            WebhookEndpoint.objects.create(organisation=org(code), unit=unit, secret="s" * 40,
                                           url=f"https://{code.lower()}.police.example/{unit}")
    alerts.enabled_rules()  # read once (see _rules_cached)
    return handler, CaseFactory(organisation=handler.organisation), person


def _record(handler, case, person) -> tuple[list[str], list[str]]:
    """Record a serious allegation against `person`; the statements of each service."""
    with CaptureQueriesContext(connection) as adding:
        allegation = case_services.allegation_add(
            actor=handler, case_id=case.id, category="sexual_conduct", subcategory="Sexual harassment",
            standards=["SPB-DC"], description="Fictional allegation.")
    with CaptureQueriesContext(connection) as naming:
        case_services.subject_add(actor=handler, allegation_id=allegation.id, person_id=person.id)
    return _statements(adding), _statements(naming)


def test_recording_a_serious_allegation_costs_the_pinned_number_of_statements():
    handler, case, person = _world()
    adding, naming = _record(handler, case, person)
    assert len(adding) == ALLEGATION_ADD, "\n".join(adding)
    assert len(naming) == SUBJECT_ADD, "\n".join(naming)
    # And it did everything: the alert reached Kent's two units and Sussex's vetting unit, by webhook.
    alert = Alert.objects.get(person=person)
    told = {(r.organisation.code, r.unit) for r in alert.recipients.select_related("organisation")}
    assert told == {("KEN", "standards"), ("KEN", "vetting"), ("SUS", "vetting")}
    assert OutboxMessage.objects.filter(recipient__alert=alert, channel="webhook").count() == 3


def test_the_count_does_not_grow_with_service_history_applications_or_receivers():
    handler, case, person = _world(past_appointments=4, applications=4, endpoints=("KEN", "SUS", "SUR", "ESS", "HAM"))
    adding, naming = _record(handler, case, person)
    assert (len(adding), len(naming)) == (ALLEGATION_ADD, SUBJECT_ADD), "\n".join(naming)
    alert = Alert.objects.get(person=person)
    assert alert.recipients.count() == 2 + 4  # Kent's two units, four applicants' vetting units
    assert OutboxMessage.objects.filter(recipient__alert=alert, channel="webhook").count() == 6


def test_a_person_with_no_appointment_costs_one_more_read_and_is_not_a_former_officer():
    """A person on no roster yet (a police staff applicant being vetted by Sussex): read alone."""
    handler, case, _ = _world()
    newcomer = PersonFactory(given_name="Perpetua", family_name="Lissington")
    Application.objects.create(person=newcomer, organisation=org("SUS"), kind="vetting", opened_on=dt.date(2026, 1, 5))
    adding, naming = _record(handler, case, newcomer)
    assert (len(adding), len(naming)) == (ALLEGATION_ADD, SUBJECT_ADD + 1), "\n".join(naming)
    subject = newcomer.subject_allegations.get()
    assert subject.is_former_officer is False and subject.left_service_on is None
    told = {(r.organisation.code, r.unit) for r in Alert.objects.get(person=newcomer).recipients.all()}
    assert told == {("SUS", "vetting")}


def test_employers_from_the_appointments_read_once_are_the_employers_the_query_finds():
    """`recipients_for` given the appointments the service read (the shortcut) and left to query them:
    the same units, whatever the dates and whether the organisation is a force."""
    person = PersonFactory()
    today = timezone.localdate()
    AppointmentFactory(person=person, organisation=org("KEN"), start_date=today - dt.timedelta(days=400))
    AppointmentFactory(person=person, organisation=org("SUS"), start_date=today - dt.timedelta(days=900),
                       end_date=today - dt.timedelta(days=1))  # left yesterday
    AppointmentFactory(person=person, organisation=org("SUR"), start_date=today - dt.timedelta(days=30),
                       end_date=today)  # leaves today: still employed today
    AppointmentFactory(person=person, organisation=org("ESS"), start_date=today + dt.timedelta(days=1))  # not yet
    AppointmentFactory(person=person, organisation=org("IOPC"), start_date=today - dt.timedelta(days=10))  # no force
    Application.objects.create(person=person, organisation=org("HAM"), kind="transfer", opened_on=today)
    loaded = list(person.appointments.select_related("organisation"))
    assert alerts.recipients_for(person.pk, today, appointments=loaded) == alerts.recipients_for(person.pk, today)
    assert {(r.organisation_id, r.unit) for r in alerts.recipients_for(person.pk, today)} == {
        (org("KEN").pk, "standards"), (org("KEN").pk, "vetting"), (org("SUR").pk, "standards"),
        (org("SUR").pk, "vetting"), (org("HAM").pk, "vetting")}


def test_a_former_officer_is_still_told_apart_from_the_appointments_read_once():
    handler, case, _ = _world()
    retired = PersonFactory(given_name="Barnaby", family_name="Wetherden")
    AppointmentFactory(person=retired, organisation=org("KEN"), start_date=dt.date(1995, 3, 1),
                       end_date=dt.date(2020, 6, 30), end_reason="retired")
    case_services.allegation_add(actor=handler, case_id=case.id, category="sexual_conduct",
                                 subcategory="Sexual harassment", description="Fictional allegation.")
    subject = case_services.subject_add(actor=handler, allegation_id=case.allegations.get().id, person_id=retired.id)
    assert subject.is_former_officer is True and subject.left_service_on == dt.date(2020, 6, 30)
    # Nobody employs a former officer today: the alert is kept for the history, with no recipient.
    assert Alert.objects.get(person=retired).recipients.count() == 0


def test_out_of_scope_records_are_not_found_and_cost_no_write():
    """Scope is judged in memory after reading the row by its id: another force's case or allegation is
    NotFound exactly as a missing id is, and a restricted case only for those named on it."""
    handler, _, person = _world()
    kent_case = CaseFactory(organisation=org("KEN"))
    kent_allegation = case_services.allegation_add(
        actor=make_user(Role.CASE_HANDLER, organisation="KEN"), case_id=kent_case.id, category="sexual_conduct",
        subcategory="Sexual harassment", description="Fictional allegation.")
    refused = [
        (lambda: case_get_for_actor(actor=handler, case_id=kent_case.id), f"No case with id {kent_case.id}."),
        (lambda: allegation_get_for_actor(actor=handler, allegation_id=kent_allegation.id),
         f"No allegation with id {kent_allegation.id}."),
        (lambda: case_services.allegation_add(actor=handler, case_id=kent_case.id, category="sexual_conduct",
                                              subcategory="Sexual harassment", description="Fictional."),
         f"No case with id {kent_case.id}."),
        # The allegation's own id, never its case's: the refusal says nothing of where it is filed.
        (lambda: case_services.subject_add(actor=handler, allegation_id=kent_allegation.id, person_id=person.id),
         f"No allegation with id {kent_allegation.id}."),
        (lambda: case_services.subject_add(actor=handler, allegation_id=kent_allegation.id + 1000, person_id=person.id),
         f"No allegation with id {kent_allegation.id + 1000}."),
    ]
    for call, message in refused:
        with pytest.raises(NotFound) as raised:
            call()
        assert raised.value.message == message
    assert kent_case.allegations.count() == 1 and not kent_allegation.subjects.exists()
    restricted = CaseFactory(organisation=handler.organisation, restricted=True, restriction_kind="anti_corruption")
    assert restricted.organisation_id == handler.organisation_id
    with pytest.raises(NotFound):
        case_get_for_actor(actor=handler, case_id=restricted.id)
    name_on_case(handler, restricted, "case_handler")
    assert case_get_for_actor(actor=handler, case_id=restricted.id) == restricted
