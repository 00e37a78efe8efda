"""A person's cross-force register history (issue #4 §1): every kind of item, from two forces, in a
fixed number of queries, and one audited read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forewarn.audit.models import Event, EventKind
from forewarn.cases.lifecycle import SUBJECT_ALLEGATION_MACHINE, SUBJECT_CRIMINAL_MACHINE
from forewarn.core.lifecycle import run_transition
from forewarn.organisations.models import Role, User
from forewarn.proceedings.models import Proceeding, ProceedingAllegation
from forewarn.register import checks
from forewarn.register.history import person_register_history
from forewarn.register.models import Application, ListEntry
from forewarn.workforce.models import PersonName
from tests.factories import (
    READ_AUDIT_QUERIES,
    AllegationFactory,
    AppointmentFactory,
    CaseFactory,
    PersonFactory,
    RankHeldFactory,
    SubjectAllegationFactory,
    make_user,
    org,
)

pytestmark = pytest.mark.django_db

# What the history costs whatever the person's record: person, role codes, organisation, names,
# appointments and ranks, applications, subject-allegations, disclosure requests, case scope (named
# ids and the case query), outcomes, audit events, checks, list entries; then the read audit.
HISTORY_QUERIES = 14 + READ_AUDIT_QUERIES


def _officer():
    person = PersonFactory(given_name="Rosalind", family_name="Ashworth-Vane", date_of_birth=dt.date(1982, 11, 3))
    PersonName.objects.create(person=person, given_name="Rosalind", family_name="Pell", used_from=dt.date(2000, 1, 1),
                              used_until=dt.date(2011, 6, 30), reason="Marriage")
    kent = AppointmentFactory(person=person, organisation=org("KEN"), start_date=dt.date(2004, 4, 1),
                              end_date=dt.date(2011, 3, 31), end_reason="transferred", service_number="KX4411")
    RankHeldFactory(appointment=kent, rank="PC", start_date=dt.date(2004, 4, 1))
    RankHeldFactory(appointment=kent, rank="PS", start_date=dt.date(2009, 1, 5))
    met = AppointmentFactory(person=person, organisation=org("MET"), start_date=dt.date(2011, 4, 1),
                             service_number="MT2207")
    RankHeldFactory(appointment=met, rank="PS", start_date=dt.date(2011, 4, 1))
    return person


def _kent_dismissal(person):
    """A Kent allegation heard and proven: gross misconduct, dismissed; on the barred list."""
    case = CaseFactory(organisation=org("KEN"), came_to_attention_on=dt.date(2010, 2, 1))
    allegation = AllegationFactory(case=case, number=1, category="discriminatory_behaviour", subcategory="",
                                   standards=["SPB-ED"])
    subject = SubjectAllegationFactory(allegation=allegation, person=person, status="proceedings_concluded",
                                       severity="gross_misconduct", finding="gross_misconduct")
    proceeding = Proceeding.objects.create(case=case, person=person, form="hearing", status="final",
                                           status_since=dt.date(2011, 2, 1), regime=case.regime,
                                           notice_on=dt.date(2010, 10, 1), sanction="dismissal_without_notice",
                                           sanction_effective_on=dt.date(2011, 2, 1))
    ProceedingAllegation.objects.create(proceeding=proceeding, subject_allegation=subject, finding="gross_misconduct")
    ListEntry.objects.create(person=person, kind="barred", basis="dismissed", status="listed",
                             status_since=dt.date(2011, 2, 8), organisation=org("KEN"), case=case,
                             subject_allegation=subject, name_at_listing=person.full_name, decided_on=dt.date(2011, 2, 1),
                             report_due_on=dt.date(2011, 2, 8), reported_on=dt.date(2011, 2, 7), standards=["SPB-ED"],
                             gross_misconduct=True)
    return subject


def _met_allegation(person, met_aa):
    """A Met allegation assessed, reassessed, and delayed for criminal proceedings (audited steps)."""
    case = CaseFactory(organisation=org("MET"), came_to_attention_on=dt.date(2024, 3, 1))
    allegation = AllegationFactory(case=case, number=1, category="use_of_force", subcategory="", standards=["SPB-UF"])
    subject = SubjectAllegationFactory(allegation=allegation, person=person)
    for action, severity, on in (("assess_severity", "misconduct", dt.date(2024, 3, 4)),
                                 ("reassess_severity", "gross_misconduct", dt.date(2024, 3, 20))):
        run_transition(machine=SUBJECT_ALLEGATION_MACHINE, obj_id=subject.pk, action=action, actor=met_aa,
                       payload={"severity": severity, "reasons": "Fictional assessment."}, on=on)
    run_transition(machine=SUBJECT_CRIMINAL_MACHINE, obj_id=subject.pk, action="suspend_for_criminal_proceedings",
                   actor=met_aa, payload={"reasons": "Charged with assault."}, on=dt.date(2024, 4, 2))
    return subject


def test_every_kind_of_item_from_two_forces():
    person = _officer()
    met_aa = make_user(Role.APPROPRIATE_AUTHORITY, organisation="MET")
    kent_subject = _kent_dismissal(person)
    met_subject = _met_allegation(person, met_aa)
    met_vetting = make_user(Role.VETTING_OFFICER, organisation="MET")
    check = checks.register_check_run(actor=met_vetting, lawful_basis="vetting_review",
                                      purpose="Vetting review after adverse information.", application_kind="vetting",
                                      person_id=person.pk)
    Application.objects.create(organisation=org("TVP"), person=person, kind="transfer", opened_on=dt.date.today())
    head = make_user(Role.HEAD_OF_STANDARDS, organisation="MET")

    history = person_register_history(actor=head, person_id=person.pk)

    assert [(n["family_name"], n["current"]) for n in history.names] == [("Ashworth-Vane", True), ("Pell", False)]
    assert history.names[1]["reason"] == "Marriage"
    assert [(a["organisation"]["code"], a["service_number"], a["end_reason"]) for a in history.appointments] == [
        ("KEN", "KX4411", "transferred"), ("MET", "MT2207", "")]
    assert [r["rank"] for r in history.appointments[0]["ranks"]] == ["PC", "PS"]
    # The Met employs her, and its check opened a vetting application.
    assert history.relationships == ["employs", "vetting_application"] and not history.basis_missing

    met, kent = history.entries  # newest first
    assert (met["subject_allegation_id"], kent["subject_allegation_id"]) == (met_subject.pk, kent_subject.pk)
    # The Met's own case: the file (the head of standards has it in scope); Kent's: the entry.
    assert met["case_id"] == met_subject.case_id and met["basis"] == ["employs", "owns_case", "vetting_application"]
    assert kent["case_id"] is None and kent["basis"] == ["employs", "vetting_application"]
    assert [(s["step"], s["severity"], s["previous"], s["by"]["code"]) for s in met["severity_history"]] == [
        ("assessed", "misconduct", "", "MET"), ("reassessed", "gross_misconduct", "misconduct", "MET")]
    assert [(s["on"], s["step"]) for s in met["suspensions"]] == [("2024-04-02", "suspend_for_criminal_proceedings")]
    assert met["suspended"] is True
    assert (kent["finding"], kent["outcome"]["sanction"], kent["outcome"]["finding"]) == (
        "gross_misconduct", "dismissal_without_notice", "gross_misconduct")
    assert kent["category"] == "discriminatory_behaviour" and kent["standards"] == ["SPB-ED"]
    assert [(e["kind"], e["status"], e["organisation"]["code"]) for e in history.list_entries] == [
        ("barred", "listed", "KEN")]
    # Vetting events: the Met's own application and check, never Thames Valley's application.
    assert [a["kind"] for a in history.applications] == ["vetting"]
    assert [c["id"] for c in history.checks] == [check.pk]
    assert history.checks[0]["evidence"] == [f"person id {person.pk} matched"]
    assert history.counts == {"entries": 2, "withheld": 0, "case_files": 1, "list_entries": 1, "applications": 1,
                              "checks": 1}


def test_a_listed_entry_is_shown_to_every_register_reader_an_unreported_one_only_to_its_force():
    person = _officer()
    subject = _kent_dismissal(person)
    ListEntry.objects.filter(person=person).update(status="awaiting_report")
    stranger = make_user(Role.VETTING_OFFICER, organisation="NBR")
    assert person_register_history(actor=stranger, person_id=person.pk).list_entries == []
    kent = make_user(Role.HEAD_OF_STANDARDS, organisation="KEN")
    assert [e["status"] for e in person_register_history(actor=kent, person_id=person.pk).list_entries] == [
        "awaiting_report"]
    ListEntry.objects.filter(person=person).update(status="listed")
    assert len(person_register_history(actor=stranger, person_id=person.pk).list_entries) == 1
    # The stranger still sees no allegation: a list entry is not a basis for the history.
    assert person_register_history(actor=stranger, person_id=person.pk).entries == [] and subject


def test_the_read_is_audited_once_with_what_was_shown():
    person = _officer()
    _kent_dismissal(person)
    head = make_user(Role.HEAD_OF_STANDARDS, organisation="MET")
    before = Event.objects.count()
    person_register_history(actor=head, person_id=person.pk)
    (event,) = Event.objects.filter(pk__gt=before) if before else Event.objects.all()
    assert (event.kind, event.action, event.object_type, event.object_id, event.actor_id) == (
        EventKind.READ, "person.read", "workforce.person", person.pk, head.pk)
    assert event.data["register_history"] is True and event.data["entries"] == 1
    assert event.data["relationships"] == ["employs"]


def _queries(person_id: int, user_id: int) -> int:
    user = User.objects.get(pk=user_id)  # fresh: nothing cached on the instance
    with CaptureQueriesContext(connection) as captured:
        person_register_history(actor=user, person_id=person_id)
    return len(captured.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_history(django_assert_max_num_queries):
    met_aa = make_user(Role.APPROPRIATE_AUTHORITY, organisation="MET")
    head = make_user(Role.HEAD_OF_STANDARDS, organisation="MET")
    small = _officer()
    _met_allegation(small, met_aa)
    large = _officer()
    for _ in range(3):
        _kent_dismissal(large)
        _met_allegation(large, met_aa)
    for code in ("SUR", "ESS", "CNC"):
        case = CaseFactory(organisation=org(code))
        SubjectAllegationFactory(allegation=AllegationFactory(case=case, number=1), person=large)
        AppointmentFactory(person=large, organisation=org(code), start_date=dt.date(2001, 1, 1),
                           end_date=dt.date(2002, 1, 1))
    vetting = make_user(Role.VETTING_OFFICER, organisation="MET")
    for _ in range(3):
        checks.register_check_run(actor=vetting, lawful_basis="vetting_review", purpose="Annual integrity review.",
                                  application_kind="vetting", person_id=large.pk)
    assert len(person_register_history(actor=head, person_id=large.pk).entries) == 9
    assert _queries(small.pk, head.pk) == _queries(large.pk, head.pk)
    fresh = User.objects.get(pk=head.pk)
    with django_assert_max_num_queries(HISTORY_QUERIES):
        person_register_history(actor=fresh, person_id=large.pk)
