import datetime as dt

import pytest

from forewarn.cases.models import CaseStatus, SubjectStatus
from forewarn.demo import demo_actors, demo_users_create
from forewarn.demo.scenarios import load_scenarios, scenarios_loaded
from forewarn.proceedings.models import ChallengeStatus, ListKind, ProceedingStatus, Sanction


@pytest.fixture
def loaded(db):
    demo_users_create()
    return load_scenarios(demo_actors())


def test_scenario_a_reads_back(loaded):
    a = loaded["a"]
    hearing, rehearing = a["hearing"], a["rehearing"]
    hearing.refresh_from_db()
    rehearing.refresh_from_db()
    assert hearing.status == ProceedingStatus.REMITTED
    assert hearing.sanction == Sanction.FINAL_WRITTEN_WARNING
    assert [f["explanation"] for f in hearing.personal_mitigation] == ["Otherwise excellent service record"]
    assert rehearing.remitted_from_id == hearing.id and rehearing.is_former_officer
    assert rehearing.sanction == Sanction.WOULD_HAVE_BEEN_DISMISSED
    assert [c.status for c in hearing.challenges.order_by("lodged_on")] == [
        ChallengeStatus.APPEALED_ONWARD, ChallengeStatus.ALLOWED_REMITTED]
    assert a["referral"].kind == ListKind.BARRED and a["referral"].person_id == a["person"].id
    subjects = a["case"].subjects.all()
    assert subjects.count() == 8
    assert {s.status for s in subjects} == {SubjectStatus.PROCEEDINGS_CONCLUDED}
    assert a["second_case"].subjects.get().person_id == a["person"].id
    a["second_case"].refresh_from_db()
    assert a["second_case"].status == CaseStatus.RECORDED
    assert a["person"].appointments.get().end_reason == "resigned"
    assert scenarios_loaded()


def test_scenario_b_two_forces(loaded):
    b = loaded["b"]
    b["case"].refresh_from_db()
    assert b["case"].status == CaseStatus.NO_FURTHER_ACTION
    b["subject"].refresh_from_db()
    assert b["subject"].person_id == b["person"].id
    codes = [a.organisation.code for a in b["person"].appointments.order_by("start_date")]
    assert codes == ["KEN", "ESS"]
    assert b["kent_appointment"].organisation.code == "KEN"


def test_scenario_d_advisory_list(loaded):
    from forewarn.cases.selectors import overdue_clocks
    from forewarn.organisations.models import User
    from forewarn.register.models import ListEntry

    owed, cleared = loaded["d"]["owed"], loaded["d"]["cleared"]
    entry = ListEntry.objects.get(person=owed["person"])
    assert (entry.kind, entry.basis, entry.status) == ("advisory", "resigned_during_investigation", "awaiting_report")
    kent = User.objects.get(username="kent-psd")
    assert entry.case_id in set(overdue_clocks(actor=kent).filter(kind="advisory_list_report")
                                .values_list("case_id", flat=True))
    removed = ListEntry.objects.get(person=cleared["person"])
    assert (removed.status, removed.removal_reason, removed.reported_on) == (
        "removed", "no_proceedings", dt.date(2025, 3, 19))
