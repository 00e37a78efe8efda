"""The barred and advisory lists (issue #4 §4): how entries arise, the reporting clock, listing,
supersession, removal, publication, who may do what, and the audit events each change writes."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from django.utils import timezone

from forewarn.audit.models import Event
from forewarn.cases.lifecycle import SUBJECT_ALLEGATION_MACHINE, clocks_pause
from forewarn.cases.models import SubjectStatus
from forewarn.cases.selectors import overdue_clocks
from forewarn.core import calendar
from forewarn.core.errors import (
    GuardFailed,
    NotFound,
    PermissionDenied,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
)
from forewarn.core.lifecycle import run_transition
from forewarn.core.models import Clock
from forewarn.organisations.models import Role
from forewarn.proceedings import services as proceedings
from forewarn.proceedings.lifecycle import CHALLENGE_MACHINE, PROCEEDING_MACHINE
from forewarn.proceedings.models import Proceeding, ProceedingAllegation
from forewarn.register import lists
from forewarn.register.models import ListEntry, ListEntryStatus
from forewarn.workforce import services as workforce
from tests.factories import (
    AllegationFactory,
    AppointmentFactory,
    CaseFactory,
    PersonFactory,
    RankHeldFactory,
    SubjectAllegationFactory,
    change_events,
    make_user,
    org,
)
from tests.proceedings.builders import decided_proceeding, officer_allegations, proceeding_in

pytestmark = pytest.mark.django_db

S = ListEntryStatus
TODAY = timezone.localdate()
LIST_ACTIONS = ("list_entry.open", "list_entry.list", "list_entry.remove", "list_entry.publication")


# -- builders -------------------------------------------------------------------------------------------
@pytest.fixture
def aa(db):
    return make_user(Role.APPROPRIATE_AUTHORITY)


@pytest.fixture
def college(db):
    """A College of Policing administrator: keeps the lists once reported."""
    return make_user(Role.ADMINISTRATOR, organisation="COP")


@pytest.fixture
def met_admin(db):
    return make_user(Role.ADMINISTRATOR)


def list_events(*actions):
    return change_events().filter(action__in=actions or LIST_ACTIONS)


def notify(actor, proceeding, on=None):
    obj, _ = run_transition(machine=PROCEEDING_MACHINE, obj_id=proceeding.pk, action="outcome_notify", actor=actor,
                            on=on)
    return obj


def hearing_for(person, *, finding="gross_misconduct", sanction="dismissal_without_notice",
                notice_on=dt.date(2024, 4, 1), status="outcome_reported", case=None, **fields) -> Proceeding:
    """A hearing of `person` on two allegations, placed in `status` with its findings and outcome made."""
    subjects = officer_allegations(count=2, person=person, case=case, status=SubjectStatus.REFERRED_TO_PROCEEDINGS)
    subjects[1].allegation.standards = ["SPB-HI", "SPB-DC"]
    subjects[1].allegation.save()
    p = Proceeding.objects.create(case=subjects[0].case, person=person, form="hearing", status=status,
                                  status_since=notice_on, regime="R2020", notice_on=notice_on, sanction=sanction,
                                  **fields)
    ProceedingAllegation.objects.bulk_create([ProceedingAllegation(proceeding=p, subject_allegation=s, finding=finding)
                                              for s in subjects])
    return p


def officer(given="Marlowe", family="Quenby", *, rank="PS", number="MET4711", organisation="MET"):
    person = PersonFactory(given_name=given, family_name=family)
    RankHeldFactory(appointment=AppointmentFactory(person=person, service_number=number,
                                                   organisation=org(organisation)), rank=rank)
    return person


def dismissed(aa, *, on=dt.date(2024, 4, 10), **kwargs) -> ListEntry:
    p = notify(aa, hearing_for(kwargs.pop("person", None) or officer(), **kwargs), on=on)
    return ListEntry.objects.get(proceeding=p)


def report(aa, entry, on=None):
    kind_args = ({"proceeding_id": entry.proceeding_id} if entry.kind == "barred"
                 else {"subject_allegation_id": entry.subject_allegation_id})
    proceedings.list_referral_record(actor=aa, kind=entry.kind, reported_on=on or entry.decided_on,
                                     conduct_description="Sexual misconduct towards a victim of crime.", **kind_args)
    return ListEntry.objects.get(pk=entry.pk)


def listed_barred(aa, **kwargs) -> ListEntry:
    return report(aa, dismissed(aa, **kwargs))


def resigned(*, reason="resigned", on=dt.date(2024, 6, 3), subjects=1, status=SubjectStatus.UNDER_INVESTIGATION,
             person=None, role_type="officer"):
    """An officer with open allegations who leaves: returns (person, appointment)."""
    person = person or PersonFactory(given_name="Oriel", family_name="Paskin")
    appointment = AppointmentFactory(person=person, service_number="MET9001", role_type=role_type)
    RankHeldFactory(appointment=appointment, rank="PC")
    case = CaseFactory()
    for _ in range(subjects):
        SubjectAllegationFactory(allegation=AllegationFactory(case=case, standards=["SPB-HI"]), person=person,
                                 status=status, severity="gross_misconduct")
    workforce.appointment_end(actor=make_user(Role.ADMINISTRATOR), appointment_id=appointment.pk, on=on,
                              reason=reason)
    return person, appointment


# -- barred entries from dismissal ---------------------------------------------------------------------
def test_a_notified_dismissal_opens_an_awaiting_barred_entry_with_the_report_s_contents(aa):
    person = officer()
    p = notify(aa, hearing_for(person), on=dt.date(2024, 4, 10))
    entry = ListEntry.objects.get()
    assert (entry.kind, entry.basis, entry.status, entry.status_since) == ("barred", "dismissed", S.AWAITING_REPORT,
                                                                           dt.date(2024, 4, 10))
    assert (entry.person, entry.proceeding, entry.case, entry.organisation) == (person, p, p.case, p.case.organisation)
    assert (entry.name_at_listing, entry.rank, entry.service_number) == ("Marlowe Quenby", "PS", "MET4711")
    assert entry.standards == ["SPB-ARC", "SPB-DC", "SPB-HI"] and entry.gross_misconduct
    assert entry.decided_on == dt.date(2024, 4, 10)
    assert entry.report_due_on == calendar.add_working_days(dt.date(2024, 4, 10), 5) == dt.date(2024, 4, 17)
    # The entry's clock and the proceeding's statutory clock agree.
    assert Clock.objects.get(proceeding=p, kind="barred_list_report").due_on == entry.report_due_on
    event = list_events().get()
    assert (event.action, event.object_id, event.case_id, event.to_state) == (
        "list_entry.open", entry.pk, p.case_id, "awaiting_report")
    assert not entry.published and entry.reported_on is None and entry.review_not_before is None


def test_the_report_clock_counts_working_days_across_a_bank_holiday(aa):
    # Thursday 2 May 2024; Monday 6 May is the early May bank holiday: five working days end on Friday 10 May.
    entry = dismissed(aa, on=dt.date(2024, 5, 2))
    assert entry.report_due_on == dt.date(2024, 5, 10)
    christmas = dismissed(aa, on=dt.date(2024, 12, 20), person=officer("Tamsin", "Orrery", number="MET1"))
    assert christmas.report_due_on == dt.date(2024, 12, 31)  # 25 and 26 December are not working days


def test_would_have_been_dismissed_is_barred_too(aa):
    entry = dismissed(aa, sanction="would_have_been_dismissed", is_former_officer=True)
    assert (entry.kind, entry.basis, entry.gross_misconduct) == ("barred", "would_have_been_dismissed", True)


def test_standards_breached_are_those_of_the_proven_allegations(aa):
    p = hearing_for(officer())
    first, second = p.items.order_by("id")
    second.finding = "not_proven"
    second.save()
    notify(aa, p, on=dt.date(2024, 4, 10))
    assert ListEntry.objects.get().standards == ["SPB-ARC"]


@pytest.mark.parametrize("sanction", ["final_written_warning", "reduction_in_rank", "former_officer_nfa"])
def test_other_outcomes_open_no_entry(aa, sanction):
    notify(aa, hearing_for(officer(), sanction=sanction), on=dt.date(2024, 4, 10))
    assert not ListEntry.objects.exists() and not list_events().exists()


def test_an_unidentified_officer_opens_no_entry(aa):
    p = proceeding_in("outcome_reported", finding="gross_misconduct", sanction="dismissal_without_notice",
                      notice_on=dt.date(2024, 4, 1))
    Proceeding.objects.filter(pk=p.pk).update(person=None)
    notify(aa, p, on=dt.date(2024, 4, 10))
    assert not ListEntry.objects.exists()


# -- the report lists the entry ---------------------------------------------------------------------------
def test_the_aa_s_report_lists_the_waiting_entry_and_publishes_a_gross_misconduct_dismissal(aa):
    entry = report(aa, dismissed(aa), on=dt.date(2024, 4, 12))
    assert (entry.status, entry.status_since, entry.reported_on) == (S.LISTED, dt.date(2024, 4, 12),
                                                                     dt.date(2024, 4, 12))
    assert entry.referral.kind == "barred" and entry.referral.proceeding_id == entry.proceeding_id
    assert entry.published and entry.publish_until == dt.date(2029, 4, 10)
    assert entry.review_not_before == dt.date(2029, 4, 10)  # 5 years for gross misconduct
    assert ListEntry.objects.count() == 1
    event = list_events("list_entry.list").get()
    assert (event.from_state, event.to_state, event.object_id) == ("awaiting_report", "listed", entry.pk)
    assert event.data["published"] is True and event.data["late"] is False
    assert list_events().count() == 2  # open, then list: one event per change


def test_a_late_report_is_recorded_as_late(aa):
    entry = report(aa, dismissed(aa), on=dt.date(2024, 4, 18))
    assert entry.reported_on > entry.report_due_on
    assert list_events("list_entry.list").get().data["late"] is True


def test_a_dismissal_for_misconduct_is_listed_but_never_published(aa):
    entry = listed_barred(aa, finding="misconduct", final_written_warning_in_force=True)
    assert (entry.status, entry.gross_misconduct, entry.published, entry.publish_until) == (S.LISTED, False, False,
                                                                                           None)
    assert entry.review_not_before == dt.date(2029, 4, 10)  # "any other case" [R]


def test_a_report_with_no_waiting_entry_creates_a_listed_one(aa):
    p = decided_proceeding("outcome_notified", sanction="dismissal_without_notice", notified_on=dt.date(2024, 4, 10),
                           notice_on=dt.date(2024, 3, 1))
    assert not ListEntry.objects.exists()
    proceedings.list_referral_record(actor=aa, kind="barred", proceeding_id=p.pk, reported_on=dt.date(2024, 4, 11),
                                     conduct_description="Dishonesty.")
    entry = ListEntry.objects.get()
    assert (entry.status, entry.decided_on, entry.report_due_on, entry.reported_on) == (
        S.LISTED, dt.date(2024, 4, 10), dt.date(2024, 4, 17), dt.date(2024, 4, 11))
    assert entry.published and entry.person_id == p.person_id
    assert list(list_events().values_list("action", flat=True)) == ["list_entry.list"]


def test_a_further_report_does_not_list_twice(aa):
    entry = listed_barred(aa)
    proceedings.list_referral_record(actor=aa, kind="barred", proceeding_id=entry.proceeding_id,
                                     reported_on=dt.date(2024, 4, 20), conduct_description="Further report.")
    assert ListEntry.objects.count() == 1 and list_events("list_entry.list").count() == 1


# -- advisory entries from leaving ---------------------------------------------------------------------------
@pytest.mark.parametrize(("reason", "basis"), [("resigned", "resigned_during_investigation"),
                                               ("retired", "retired_during_investigation")])
def test_leaving_with_an_open_allegation_opens_an_advisory_entry(reason, basis):
    person, appointment = resigned(reason=reason)
    entry = ListEntry.objects.get()
    assert (entry.kind, entry.basis, entry.status, entry.person) == ("advisory", basis, S.AWAITING_REPORT, person)
    assert (entry.decided_on, entry.report_due_on) == (dt.date(2024, 6, 3), dt.date(2024, 6, 10))
    assert (entry.name_at_listing, entry.rank, entry.service_number) == ("Oriel Paskin", "PC", "MET9001")
    assert entry.subject_allegation.person == person and entry.standards == ["SPB-HI"]
    assert list(list_events().values_list("action", flat=True)) == ["list_entry.open"]


def test_one_advisory_entry_per_open_case():
    person, _ = resigned(subjects=2)
    other = CaseFactory(came_to_attention_on=dt.date(2024, 2, 1))
    SubjectAllegationFactory(allegation=AllegationFactory(case=other), person=person, status="under_investigation")
    appointment = AppointmentFactory(person=person, start_date=dt.date(2024, 7, 1), service_number="MET9002")
    workforce.appointment_end(actor=make_user(Role.ADMINISTRATOR), appointment_id=appointment.pk,
                              on=dt.date(2024, 8, 1), reason="resigned")
    # The first case's entry is still live, so leaving again opens only the second case's.
    assert sorted(ListEntry.objects.values_list("case_id", flat=True)) == sorted(
        {ListEntry.objects.order_by("id").first().case_id, other.pk})


@pytest.mark.parametrize(("kwargs", "why"), [
    ({"reason": "dismissed"}, "dismissal goes to the barred list"),
    ({"reason": "transferred"}, "a transfer is not leaving the police"),
    ({"status": SubjectStatus.NO_CASE_TO_ANSWER}, "the allegation was concluded"),
    ({"on": dt.date(2024, 1, 10)}, "left before the allegation came to attention (15 January)"),
    ({"role_type": "volunteer"}, "volunteers are listed on withdrawal of designation"),
])
def test_leaving_opens_no_advisory_entry_when(kwargs, why):
    resigned(**kwargs)
    assert not ListEntry.objects.exists(), why


def test_the_advisory_report_lists_the_entry_and_it_is_never_published(aa):
    resigned()
    entry = report(aa, ListEntry.objects.get(), on=dt.date(2024, 6, 5))
    assert (entry.status, entry.reported_on, entry.published, entry.review_not_before) == (
        S.LISTED, dt.date(2024, 6, 5), False, None)


# -- advisory superseded by barred (s88L(5)) -----------------------------------------------------------------
def test_listing_a_barred_entry_removes_the_person_s_advisory_entries(aa):
    person, _ = resigned()
    advisory = ListEntry.objects.get()
    barred = dismissed(aa, person=person, sanction="would_have_been_dismissed", is_former_officer=True,
                       notice_on=dt.date(2024, 9, 2), on=dt.date(2024, 10, 1))
    assert ListEntry.objects.get(pk=advisory.pk).status == S.AWAITING_REPORT  # not until the barred report
    barred = report(aa, barred, on=dt.date(2024, 10, 3))
    advisory.refresh_from_db()
    assert barred.status == S.LISTED
    assert (advisory.status, advisory.removal_reason, advisory.removed_on) == (S.REMOVED, "moved_to_barred_list",
                                                                               dt.date(2024, 10, 3))
    event = list_events("list_entry.remove").get()
    assert (event.object_id, event.from_state, event.data["removal_reason"]) == (advisory.pk, "awaiting_report",
                                                                                 "moved_to_barred_list")


# -- the advisory report clock (2017 Regs reg 12(1)) ----------------------------------------------------------
def advisory_clock(entry):
    return Clock.objects.get(case=entry.case, kind="advisory_list_report")


def test_leaving_starts_the_advisory_report_clock_on_the_case(aa):
    resigned(on=dt.date(2024, 6, 3))
    entry = ListEntry.objects.get()
    clock = advisory_clock(entry)
    assert (clock.subject_allegation_id, clock.started_on, clock.due_on, clock.stopped_on) == (
        entry.subject_allegation_id, dt.date(2024, 6, 3), entry.report_due_on, None)
    # The force's overdue page lists it (it was due on 10 June 2024).
    assert list(overdue_clocks(actor=aa).filter(kind="advisory_list_report")) == [clock]
    # Another force's staff do not see it.
    assert not overdue_clocks(actor=make_user(Role.APPROPRIATE_AUTHORITY, organisation="KEN")).exists()


def test_the_advisory_report_stops_its_clock(aa):
    resigned()
    entry = report(aa, ListEntry.objects.get(), on=dt.date(2024, 6, 12))
    assert advisory_clock(entry).stopped_on == dt.date(2024, 6, 12)
    assert not overdue_clocks(actor=aa).exists()


def test_removing_an_entry_awaiting_its_report_stops_the_clock(aa):
    resigned()
    entry = ListEntry.objects.get()
    lists.list_entry_remove(actor=aa, entry_id=entry.pk, reason="entered_in_error", note="Wrong officer.",
                            on=dt.date(2024, 6, 4))
    assert advisory_clock(entry).stopped_on == dt.date(2024, 6, 4)


def test_a_suspended_case_does_not_pause_the_list_report_clocks():
    resigned()
    entry = ListEntry.objects.get()
    Clock.objects.create(case=entry.case, kind="iopc_referral", started_on=dt.date(2024, 6, 3),
                         due_on=dt.date(2024, 6, 4))
    paused = clocks_pause(clocks=Clock.objects.filter(case=entry.case), on=dt.date(2024, 6, 5))
    assert paused == 1
    assert advisory_clock(entry).paused_on is None
    assert Clock.objects.get(kind="iopc_referral").paused_on == dt.date(2024, 6, 5)


# -- an allegation about someone who had already resigned or retired (s88I(1)(b)) -------------------------------
def former_officer(*, reason="resigned", left=dt.date(2023, 11, 30), role_type="officer", serving_elsewhere=False):
    person = PersonFactory(given_name="Ansel", family_name="Threlkeld")
    appointment = AppointmentFactory(person=person, service_number="MET7310", role_type=role_type,
                                     start_date=dt.date(2012, 4, 2), end_date=left, end_reason=reason)
    RankHeldFactory(appointment=appointment, rank="DC", start_date=dt.date(2012, 4, 2))
    if serving_elsewhere:
        AppointmentFactory(person=person, organisation=org("KEN"), role_type="staff", service_number="KENS12",
                           start_date=dt.date(2024, 2, 1))
    subject = SubjectAllegationFactory(allegation=AllegationFactory(standards=["SPB-DC"]), person=person)
    return person, subject  # the case came to attention on 15 January 2024


def assess(aa, subject, severity="gross_misconduct", action="assess_severity"):
    return subject_step(aa, subject, action, severity=severity, reasons="As alleged, it would justify dismissal.")


def test_gross_misconduct_alleged_after_resigning_opens_an_advisory_entry_with_its_clock(aa):
    person, subject = former_officer()
    assess(aa, subject)
    entry = ListEntry.objects.get()
    assert (entry.kind, entry.basis, entry.status, entry.person) == (
        "advisory", "allegation_after_resigning", S.AWAITING_REPORT, person)
    # What the report holds for s88I(1)(b) (reg 12(2)(e)): rank and number when last an officer.
    assert (entry.rank, entry.service_number, entry.gross_misconduct, entry.standards) == (
        "DC", "MET7310", True, ["SPB-DC"])
    assert (entry.decided_on, entry.report_due_on) == (TODAY, calendar.add_working_days(TODAY, 5))
    assert advisory_clock(entry).due_on == entry.report_due_on
    assert list(list_events().values_list("action", flat=True)) == ["list_entry.open"]
    # The force reports it like any advisory entry, and the no-case-to-answer route takes it off (s88L).
    entry = report(aa, entry, on=TODAY)
    assert entry.status == S.LISTED


def test_a_retired_officer_s_entry_says_so_and_reassessment_to_gross_misconduct_opens_it(aa):
    _, subject = former_officer(reason="retired")
    assess(aa, subject, severity="misconduct")
    assert not ListEntry.objects.exists()
    assess(aa, subject, action="reassess_severity")
    assert ListEntry.objects.get().basis == "allegation_after_retiring"
    assess(aa, subject, action="reassess_severity")  # a second assessment opens no second entry
    assert ListEntry.objects.count() == 1


@pytest.mark.parametrize(("kwargs", "why"), [
    ({"reason": "dismissed"}, "a dismissal is for the barred list"),
    ({"left": dt.date(2024, 2, 1)}, "left after it came to attention: s88I(1)(a), opened on leaving"),
    ({"role_type": "staff"}, "s88I(1)(b) is about former officers and special constables"),
    ({"serving_elsewhere": True}, "still serving with the police"),
])
def test_no_entry_after_leaving_when(aa, kwargs, why):
    _, subject = former_officer(**kwargs)
    assess(aa, subject)
    assert not ListEntry.objects.exists(), why


# -- advisory removal when the matter ends without a would-have-been-dismissed finding (s88L(1)-(4)) ----------
def subject_step(actor, subject, action, **payload):
    obj, _ = run_transition(machine=SUBJECT_ALLEGATION_MACHINE, obj_id=subject.pk, action=action, actor=actor,
                            payload=payload or None)
    return obj


def advisory_subjects(count=1, status=SubjectStatus.REPORT_SUBMITTED):
    person, _ = resigned(subjects=count, status=status)
    entry = ListEntry.objects.get()
    return entry, list(entry.case.subjects.order_by("id"))


def test_no_case_to_answer_on_every_allegation_removes_the_advisory_entry(aa):
    entry, (first, second) = advisory_subjects(count=2)
    subject_step(aa, first, "decide_no_case_to_answer", reasons="The evidence does not support it.")
    assert ListEntry.objects.get(pk=entry.pk).status == S.AWAITING_REPORT  # one allegation still open
    assert not list_events("list_entry.remove").exists()
    subject_step(aa, second, "decide_no_case_to_answer", reasons="Nor this one.")
    entry.refresh_from_db()
    assert (entry.status, entry.removal_reason, entry.removed_on) == (S.REMOVED, "no_proceedings", TODAY)
    assert "s88L(2)" in entry.removal_note
    event = list_events("list_entry.remove").get()
    assert (event.object_id, event.actor_id, event.data["removal_reason"]) == (entry.pk, aa.pk, "no_proceedings")
    assert advisory_clock(entry).stopped_on == TODAY


def test_a_listed_advisory_entry_comes_off_when_the_proceedings_are_withdrawn(aa):
    entry, (subject,) = advisory_subjects(status=SubjectStatus.CASE_TO_ANSWER)
    entry = report(aa, entry, on=dt.date(2024, 6, 5))
    subject_step(aa, subject, "withdraw_proceedings", reasons="The officer's account is corroborated.")
    entry.refresh_from_db()
    assert (entry.status, entry.removal_reason) == (S.REMOVED, "proceedings_withdrawn")
    assert list_events("list_entry.remove").get().from_state == "listed"


def concluded_hearing(entry, subject, *, sanction, status="outcome_reported"):
    """Proceedings on the leaver's allegation that found misconduct and decided `sanction`."""
    subject.status, subject.status_since = SubjectStatus.PROCEEDINGS_CONCLUDED, dt.date(2024, 9, 2)
    subject.save()
    p = Proceeding.objects.create(case=entry.case, person=entry.person, form="hearing", status=status,
                                  status_since=dt.date(2024, 9, 2), regime="R2020", notice_on=dt.date(2024, 9, 2),
                                  sanction=sanction, is_former_officer=True)
    ProceedingAllegation.objects.create(proceeding=p, subject_allegation=subject, finding="gross_misconduct")
    return p


def test_proceedings_concluded_without_a_would_have_been_dismissed_finding_remove_it_when_notified(aa):
    entry, (concluded, other) = advisory_subjects(count=2)
    hearing = concluded_hearing(entry, concluded, sanction="former_officer_nfa")
    # The other allegation closes first: the hearing's outcome is not yet notified, so nothing is known.
    subject_step(aa, other, "decide_no_case_to_answer", reasons="Unfounded.")
    assert ListEntry.objects.get(pk=entry.pk).status == S.AWAITING_REPORT
    notify(aa, hearing)
    entry.refresh_from_db()
    assert (entry.status, entry.removal_reason) == (S.REMOVED, "concluded_without_dismissal")


def test_a_would_have_been_dismissed_finding_keeps_the_advisory_entry_until_the_barred_listing(aa):
    entry, (subject,) = advisory_subjects()
    hearing = notify(aa, concluded_hearing(entry, subject, sanction="would_have_been_dismissed"))
    assert ListEntry.objects.get(pk=entry.pk).status == S.AWAITING_REPORT
    report(aa, ListEntry.objects.get(kind="barred", proceeding=hearing), on=TODAY)
    entry.refresh_from_db()
    assert (entry.status, entry.removal_reason) == (S.REMOVED, "moved_to_barred_list")


def test_a_would_have_been_dismissed_finding_substituted_on_appeal_removes_the_advisory_entry(aa):
    entry, (subject,) = advisory_subjects()
    hearing = concluded_hearing(entry, subject, sanction="would_have_been_dismissed")
    notify(aa, hearing, on=TODAY - dt.timedelta(days=3))
    handler = make_user(Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY)
    pat = proceedings.challenge_lodge(actor=handler, proceeding_id=hearing.pk, route="pat",
                                      applicant="The former officer", grounds="Too severe.", lodged_on=TODAY)
    run_transition(machine=CHALLENGE_MACHINE, obj_id=pat.pk, action="substitute", actor=handler,
                   payload={"reasons": "Misconduct, not gross misconduct: no further action.",
                            "substituted_sanction": "former_officer_nfa"})
    entry.refresh_from_db()
    assert (entry.status, entry.removal_reason) == (S.REMOVED, "concluded_without_dismissal")
    assert ListEntry.objects.get(kind="barred").removal_reason == "appeal_allowed"


def test_a_refused_closing_step_removes_nothing(aa):
    entry, (subject,) = advisory_subjects()
    with pytest.raises(PermissionDenied):
        subject_step(make_user(Role.CASE_HANDLER), subject, "decide_no_case_to_answer", reasons="No.")
    assert ListEntry.objects.get(pk=entry.pk).status == S.AWAITING_REPORT
    assert not list_events("list_entry.remove").exists()


def test_the_college_may_record_a_withdrawal_itself(aa, college):
    entry = report(aa, ListEntry.objects.get(pk=resigned()[0].list_entries.get().pk), on=dt.date(2024, 6, 5))
    lists.list_entry_remove(actor=college, entry_id=entry.pk, reason="proceedings_withdrawn",
                            note="The force reported the withdrawal by letter.", on=dt.date(2024, 7, 1))
    assert ListEntry.objects.get(pk=entry.pk).removal_reason == "proceedings_withdrawn"


# -- removal -----------------------------------------------------------------------------------------------
def test_the_college_removes_a_listed_entry_with_a_reason_and_a_note(aa, college):
    entry = listed_barred(aa)
    removed = lists.list_entry_remove(actor=college, entry_id=entry.pk, reason="review_succeeded",
                                      note="Review panel decision of 3 March (fictional).",
                                      expected_version=entry.version)
    assert (removed.status, removed.removal_reason, removed.removed_on, removed.published) == (
        S.REMOVED, "review_succeeded", TODAY, False)
    event = list_events("list_entry.remove").get()
    assert (event.reason, event.actor_id, event.from_state) == ("Review panel decision of 3 March (fictional).",
                                                               college.pk, "listed")
    with pytest.raises(TransitionNotAllowed):  # removed twice
        lists.list_entry_remove(actor=college, entry_id=entry.pk, reason="entered_in_error", note="Again.")
    assert list_events("list_entry.remove").count() == 1


def test_the_reporting_force_removes_an_entry_made_in_error_before_reporting_it(aa):
    entry = dismissed(aa)
    lists.list_entry_remove(actor=aa, entry_id=entry.pk, reason="entered_in_error", note="Wrong officer linked.")
    assert ListEntry.objects.get(pk=entry.pk).status == S.REMOVED


def _refused(call, error, *, field=None):
    before = Event.objects.filter(kind="change").count()
    with pytest.raises(error) as err:
        call()
    assert Event.objects.filter(kind="change").count() == before
    assert Event.objects.filter(kind="refused").exists()
    if field:
        assert err.value.field == field
    return err.value


def test_removal_refusals_write_nothing(aa, college, met_admin):
    entry = listed_barred(aa)
    waiting = dismissed(aa, person=officer("Ivo", "Stannard", number="MET2"))
    kent_aa = make_user(Role.APPROPRIATE_AUTHORITY, organisation="KEN")
    vetting = make_user(Role.VETTING_OFFICER)

    def remove(actor, e=entry, **kw):
        args = {"reason": "review_succeeded", "note": "n", **kw}
        return lambda: lists.list_entry_remove(actor=actor, entry_id=e.pk, **args)

    _refused(remove(vetting), PermissionDenied)  # wrong role
    _refused(remove(kent_aa, waiting, reason="entered_in_error"), NotFound)  # another force's entry
    _refused(remove(met_admin), NotFound)  # a force administrator does not keep the list
    _refused(remove(aa), NotFound)  # reported: the College holds it now
    _refused(remove(college, waiting, reason="entered_in_error"), NotFound)  # not yet reported to the College
    _refused(remove(college, note=""), ValidationFailed, field="note")
    _refused(remove(college, reason=""), ValidationFailed, field="reason")
    _refused(remove(college, reason="no_proceedings"), ValidationFailed, field="reason")  # an advisory reason
    _refused(remove(college, on=TODAY + dt.timedelta(days=1)), ValidationFailed, field="on")
    _refused(remove(college, expected_version=entry.version - 1), StaleVersion)
    assert ListEntry.objects.get(pk=entry.pk).status == S.LISTED


# -- publication ---------------------------------------------------------------------------------------------
def test_the_college_withholds_and_republishes(aa, college):
    entry = listed_barred(aa)
    assert lists.barred_list_public_search(family_name="quenby").get() == entry
    withheld = lists.list_entry_publication_set(actor=college, entry_id=entry.pk, publish=False,
                                                reason="other_investigations", note="A linked criminal inquiry.")
    assert (withheld.published, withheld.publication_withheld_reason) == (False, "other_investigations")
    assert not lists.barred_list_public_search(family_name="quenby").exists()
    event = list_events("list_entry.publication").get()
    assert (event.data["published"], event.data["withheld_reason"], event.reason) == (
        False, "other_investigations", "A linked criminal inquiry.")
    again = lists.list_entry_publication_set(actor=college, entry_id=entry.pk, publish=True)
    assert again.published and again.publish_until == dt.date(2029, 4, 10) and not again.publication_withheld_reason
    assert lists.barred_list_public_search(family_name="Quenby").get() == entry
    assert list_events("list_entry.publication").count() == 2


def test_publication_refusals(aa, college):
    entry = listed_barred(aa)
    misconduct = listed_barred(aa, person=officer("Ivo", "Stannard", number="MET2"), finding="misconduct",
                               final_written_warning_in_force=True)
    resigned()
    advisory = report(aa, ListEntry.objects.get(kind="advisory"), on=dt.date(2024, 6, 5))
    waiting = dismissed(aa, person=officer("Cass", "Wetherby", number="MET3"))

    def publish(actor, e, **kw):
        return lambda: lists.list_entry_publication_set(actor=actor, entry_id=e.pk, **kw)

    _refused(publish(college, entry, publish=False), ValidationFailed, field="reason")
    _refused(publish(college, entry, publish=False, reason="because"), ValidationFailed, field="reason")
    assert _refused(publish(college, entry, publish=True), GuardFailed).code == "list_entry.already_published"
    assert _refused(publish(college, advisory, publish=True), GuardFailed).code == "list_entry.not_publishable"
    assert _refused(publish(college, misconduct, publish=True), GuardFailed).code == "list_entry.not_publishable"
    assert _refused(publish(aa, waiting, publish=True), TransitionNotAllowed).code == "list_entry.not_listed"
    _refused(publish(make_user(Role.VETTING_OFFICER), entry, publish=True), PermissionDenied)
    ListEntry.objects.filter(pk=entry.pk).update(published=False, publish_until=dt.date(2020, 1, 1))
    assert _refused(publish(college, entry, publish=True), GuardFailed).code == "list_entry.publication_period_ended"


# -- automatic removal when a dismissal is overturned ---------------------------------------------------------
def test_a_dismissal_substituted_on_appeal_comes_off_the_barred_list(aa):
    entry = listed_barred(aa, on=TODAY - dt.timedelta(days=3), notice_on=TODAY - dt.timedelta(days=30))
    handler = make_user(Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY)
    pat = proceedings.challenge_lodge(actor=handler, proceeding_id=entry.proceeding_id, route="pat",
                                      applicant="The officer", grounds="Sanction too severe.", lodged_on=TODAY)
    run_transition(machine=CHALLENGE_MACHINE, obj_id=pat.pk, action="substitute", actor=handler,
                   payload={"reasons": "A final written warning suffices.", "substituted_sanction": "final_written_warning"})
    entry.refresh_from_db()
    assert (entry.status, entry.removal_reason, entry.removed_on, entry.published) == (S.REMOVED, "appeal_allowed",
                                                                                      TODAY, False)
    assert "final written warning" in entry.removal_note.lower()
    assert not lists.barred_list_public_search(family_name="Quenby").exists()
    assert list_events("list_entry.remove").count() == 1


def test_a_quashed_dismissal_comes_off_the_barred_list(aa):
    entry = dismissed(aa, on=TODAY - dt.timedelta(days=3), notice_on=TODAY - dt.timedelta(days=30))
    handler = make_user(Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY)
    jr = proceedings.challenge_lodge(actor=handler, proceeding_id=entry.proceeding_id, route="judicial_review",
                                     applicant="The officer", grounds="Unfair hearing.", lodged_on=TODAY)
    run_transition(machine=CHALLENGE_MACHINE, obj_id=jr.pk, action="remit", actor=handler,
                   payload={"reasons": "Quashed: procedural unfairness."})
    entry.refresh_from_db()
    assert (entry.status, entry.removal_reason) == (S.REMOVED, "appeal_allowed")


def test_a_substitution_that_keeps_a_dismissal_keeps_the_entry(aa):
    entry = listed_barred(aa, on=TODAY - dt.timedelta(days=3), notice_on=TODAY - dt.timedelta(days=30))
    handler = make_user(Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY)
    pat = proceedings.challenge_lodge(actor=handler, proceeding_id=entry.proceeding_id, route="pat",
                                      applicant="The officer", grounds="g", lodged_on=TODAY)
    run_transition(machine=CHALLENGE_MACHINE, obj_id=pat.pk, action="dismiss", actor=handler,
                   payload={"reasons": "Appeal dismissed."})
    assert ListEntry.objects.get(pk=entry.pk).status == S.LISTED


# -- the transition table --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("source", "target"), list(itertools.product(S.values, S.values)))
def test_every_pair_is_allowed_or_refused_as_the_table_says(aa, college, source, target):
    entry = dismissed(aa)
    if source != S.AWAITING_REPORT:
        entry = report(aa, entry)
    if source == S.REMOVED:
        entry = lists.list_entry_remove(actor=college, entry_id=entry.pk, reason="entered_in_error", note="n")
    assert entry.status == source
    events = Event.objects.filter(kind="change").count()
    action = lists.TRANSITIONS.get((source, target))
    if action is None:
        with pytest.raises(TransitionNotAllowed):
            lists._check_transition(entry, target)
        return
    if target == S.LISTED:
        entry = report(aa, entry)
        new = ["list_referral.record", "list_entry.list"]
    else:
        holder = aa if source == S.AWAITING_REPORT else college
        entry = lists.list_entry_remove(actor=holder, entry_id=entry.pk, reason="entered_in_error", note="n")
        new = ["list_entry.remove"]
    assert entry.status == target
    assert list(Event.objects.filter(kind="change").order_by("id")[events:].values_list("action", flat=True)) == new


def test_the_table_names_only_the_audit_actions_the_alerts_listen_for():
    assert {f"list_entry.{a}" for a in lists.TRANSITIONS.values()} | {"list_entry.open"} <= set(LIST_ACTIONS)


def test_the_docs_draw_every_transition():
    text = (Path(__file__).resolve().parents[2] / "docs" / "lists.md").read_text(encoding="utf-8")
    for (source, target), action in lists.TRANSITIONS.items():
        assert f"    {source} --> {target} : list_entry.{action}\n" in text
    for (source, target) in itertools.product(S.values, S.values):
        if (source, target) not in lists.TRANSITIONS:
            assert f"{source} --> {target}" not in text


# -- who sees what ----------------------------------------------------------------------------------------------
def test_visibility_of_entries_by_organisation_and_role(aa, college, met_admin):
    listed = listed_barred(aa)
    waiting = dismissed(aa, person=officer("Ivo", "Stannard", number="MET2"))
    kent_vetting = make_user(Role.VETTING_OFFICER, organisation="KEN")
    met_vetting = make_user(Role.VETTING_OFFICER)
    iopc = make_user(Role.IOPC_CASEWORKER, organisation="IOPC")
    panel = make_user(Role.PANEL_MEMBER)

    def seen(actor):
        return set(lists.list_entries_for_actor(actor=actor).values_list("pk", flat=True))

    assert seen(met_vetting) == seen(aa) == {listed.pk, waiting.pk}
    assert seen(kent_vetting) == seen(iopc) == {listed.pk}  # the list is national; the pending report is not
    assert seen(college) == {listed.pk}
    assert seen(met_admin) == seen(panel) == set()
    with pytest.raises(NotFound):
        lists.list_entry_get_for_actor(actor=kent_vetting, entry_id=waiting.pk)
    assert lists.list_entry_get_for_manager(actor=aa, entry_id=waiting.pk) == waiting
    assert lists.list_entry_get_for_manager(actor=college, entry_id=listed.pk) == listed
    for actor, entry in ((aa, listed), (college, waiting), (kent_vetting, listed), (met_admin, waiting)):
        with pytest.raises(NotFound):
            lists.list_entry_get_for_manager(actor=actor, entry_id=entry.pk)


def test_filters_and_the_overdue_count(aa):
    late = dismissed(aa, on=dt.date(2024, 4, 10))
    on_time = listed_barred(aa, person=officer("Ivo", "Stannard", number="MET2"))
    resigned()
    vetting = make_user(Role.VETTING_OFFICER)

    def ids(**kw):
        return set(lists.list_entries_for_actor(actor=vetting, **kw).values_list("pk", flat=True))

    advisory = ListEntry.objects.get(kind="advisory").pk
    assert ids(kind="barred") == {late.pk, on_time.pk} and ids(kind="advisory") == {advisory}
    assert ids(status="listed") == {on_time.pk}
    assert ids(overdue=True) == {late.pk, advisory}  # both waiting past their due dates
    assert ids(q="stannard") == {on_time.pk}
    assert lists.overdue_count(actor=vetting) == 2
    assert lists.overdue_count(actor=make_user(Role.VETTING_OFFICER, organisation="KEN")) == 0
    with pytest.raises(ValidationFailed):
        lists.list_entries_for_actor(actor=vetting, kind="secret")


def test_reading_an_entry_is_audited(aa):
    entry = dismissed(aa)
    lists.list_entry_read(actor=aa, entry_id=entry.pk)
    read = Event.objects.get(kind="read")
    assert (read.action, read.object_id, read.actor_id, read.case_id) == ("listentry.read", entry.pk, aa.pk,
                                                                          entry.case_id)


# -- the public search --------------------------------------------------------------------------------------------
def public_entry(name="Marlowe Quenby", **fields) -> ListEntry:
    """A listed, published gross misconduct barred entry, unless `fields` say otherwise."""
    case = CaseFactory()
    values = {"person": PersonFactory(), "kind": "barred", "basis": "dismissed", "status": "listed",
              "status_since": dt.date(2024, 4, 12), "organisation": case.organisation, "case": case,
              "name_at_listing": name, "rank": "PS", "standards": ["SPB-DC"], "gross_misconduct": True,
              "decided_on": dt.date(2024, 4, 10), "report_due_on": dt.date(2024, 4, 17),
              "reported_on": dt.date(2024, 4, 12), "published": True, "publish_until": TODAY + dt.timedelta(days=30),
              **fields}
    return ListEntry.objects.create(**values)


def test_the_public_search_shows_only_published_gross_misconduct_barred_entries():
    shown = public_entry()
    public_entry(publish_until=TODAY - dt.timedelta(days=1))  # publication period over
    public_entry(published=False, publication_withheld_reason="national_security")
    public_entry(kind="advisory", basis="resigned_during_investigation", published=True)  # never public
    public_entry(gross_misconduct=False)
    public_entry(status="awaiting_report", reported_on=None)
    public_entry(status="removed", removal_reason="appeal_allowed")
    assert list(lists.barred_list_public_search(family_name="Quenby")) == [shown]
    assert list(lists.barred_list_public_search(given_name="MARLOWE")) == [shown]
    assert list(lists.barred_list_public_search(given_name="marlowe", family_name=" quenby ")) == [shown]
    assert ListEntry.objects.filter(lists.public_q()).count() == 1


def test_the_public_search_matches_whole_names_and_refuses_an_empty_search():
    ann = public_entry("Ann Loveday")
    public_entry("Joanne Loveday-Smith")
    assert list(lists.barred_list_public_search(given_name="ann")) == [ann]
    assert not lists.barred_list_public_search(family_name="love").exists()
    assert not lists.barred_list_public_search().exists()
    assert not lists.barred_list_public_search(given_name="  ", family_name="").exists()
    edge = public_entry("Edge Case", publish_until=TODAY)  # the last day of publication still shows
    assert list(lists.barred_list_public_search(family_name="case")) == [edge]


def test_the_public_row_holds_nothing_but_the_published_fields():
    row = lists.public_row(public_entry(standards=["SPB-DC", "SPB-HI"]))
    assert row == {"name": "Marlowe Quenby", "force": "Metropolitan Police Service", "rank": "Sergeant",
                   "decided_on": dt.date(2024, 4, 10), "standards": ["Discreditable conduct", "Honesty and integrity"],
                   "basis": "Dismissed"}
