"""Vetting and transfer checks (issue #4 §3): exact identifiers with evidence, name history, previous
forces, no match, refusals that write nothing, applications opened, reused and closed, and the audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from forewarn.audit.models import Event, EventKind
from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed
from forewarn.organisations.models import Role
from forewarn.register import checks
from forewarn.register.models import Application, RegisterCheck
from forewarn.workforce.models import PersonName
from tests.factories import (
    AllegationFactory,
    AppointmentFactory,
    CaseFactory,
    PersonFactory,
    SubjectAllegationFactory,
    change_events,
    make_user,
    only_refused,
    org,
)

pytestmark = pytest.mark.django_db

BORN = dt.date(1979, 7, 23)


@pytest.fixture
def vetting():
    return make_user(Role.VETTING_OFFICER, organisation="TVP")


@pytest.fixture
def officer():
    """Jo Smith, formerly Joanna Brown: a Kent special 2006-2009, then a Met constable (fictional)."""
    person = PersonFactory(given_name="Jo", family_name="Smith", date_of_birth=BORN)
    PersonName.objects.create(person=person, given_name="Joanna", family_name="Brown", used_from=dt.date(2001, 5, 1),
                              used_until=dt.date(2012, 8, 31), reason="Deed poll")
    AppointmentFactory(person=person, organisation=org("KEN"), role_type="special", start_date=dt.date(2006, 3, 1),
                       end_date=dt.date(2009, 2, 28), end_reason="resigned")
    AppointmentFactory(person=person, organisation=org("MET"), start_date=dt.date(2012, 9, 1))
    case = CaseFactory(organisation=org("KEN"))
    SubjectAllegationFactory(allegation=AllegationFactory(case=case, number=1, category="sexual_conduct"),
                             person=person)
    return person


def _check(actor, **identifiers):
    identifiers.setdefault("lawful_basis", "recruitment_vetting")
    identifiers.setdefault("purpose", "Recruitment vetting, PC applicant TV/2025/0118.")
    identifiers.setdefault("application_kind", "vetting")
    return checks.register_check_run(actor=actor, **identifiers)


def _matched(check) -> list[int]:
    return [m["person_id"] for m in check.matches]


def test_names_and_date_of_birth_match_exactly_with_evidence(vetting, officer):
    PersonFactory(given_name="Jo", family_name="Smith", date_of_birth=dt.date(1979, 7, 24))  # a day apart
    PersonFactory(given_name="Joe", family_name="Smith", date_of_birth=BORN)  # another given name
    check = _check(vetting, given_name="JO", family_name="smith", date_of_birth=BORN, reference="TV/2025/0118")
    assert _matched(check) == [officer.pk]
    assert check.matches[0]["evidence"] == [
        "date of birth 23 July 1979 matched", "given name 'Jo' and family name 'Smith' matched the current name"]
    assert check.query == {"person_id": None, "given_name": "JO", "family_name": "smith",
                           "date_of_birth": "1979-07-23", "previous_forces": [], "reference": "TV/2025/0118"}
    assert (check.lawful_basis, check.application_kind, check.organisation.code) == (
        "recruitment_vetting", "vetting", "TVP")
    assert list(check.matched_people.values_list("pk", flat=True)) == [officer.pk]


def test_a_former_name_matches_and_says_when_it_was_used(vetting, officer):
    check = _check(vetting, given_name="Joanna", family_name="Brown", date_of_birth=BORN)
    assert _matched(check) == [officer.pk]
    assert "given name 'Joanna' and family name 'Brown' matched a name used 2001–2012 (Deed poll)" in (
        check.matches[0]["evidence"])
    # Names are matched as a whole: a current given name with a former family name is not a name she used.
    assert _matched(_check(vetting, given_name="Jo", family_name="Brown", date_of_birth=BORN)) == []


def test_previous_forces_must_include_one_she_served_in(vetting, officer):
    check = _check(vetting, given_name="Jo", family_name="Smith", date_of_birth=BORN, previous_forces=["ken", "CNC"])
    assert _matched(check) == [officer.pk]
    assert check.matches[0]["evidence"][-1] == "served in KEN 2006–2009"
    assert check.query["previous_forces"] == ["CNC", "KEN"]
    assert _matched(_check(vetting, given_name="Jo", family_name="Smith", date_of_birth=BORN,
                           previous_forces=["CNC"])) == []


def test_a_person_id_matches_that_person(vetting, officer):
    check = _check(vetting, person_id=officer.pk, application_kind="transfer", lawful_basis="transfer_vetting")
    assert _matched(check) == [officer.pk] and check.matches[0]["evidence"] == [f"person id {officer.pk} matched"]
    # With other identifiers too, every one of them must match.
    assert _matched(_check(vetting, person_id=officer.pk, given_name="Jo", family_name="Smith",
                           date_of_birth=dt.date(1980, 1, 1))) == []


def test_no_match_is_recorded_and_opens_nothing(vetting, officer):
    check = _check(vetting, given_name="Nobody", family_name="Atall", date_of_birth=BORN)
    assert check.matches == [] and not Application.objects.filter(organisation=org("TVP")).exists()
    event = change_events().get(action="register.check")
    assert event.object_id == check.pk and event.data["matches"] == [] and event.reason == check.purpose


def test_a_match_opens_an_application_once_and_the_check_is_audited(vetting, officer):
    first = _check(vetting, given_name="Jo", family_name="Smith", date_of_birth=BORN, reference="TV-1")
    application = Application.objects.get(organisation=org("TVP"), person=officer)
    assert (application.kind, application.reference, application.opened_by, application.is_open) == (
        "vetting", "TV-1", vetting, True)
    assert first.matches[0]["application_id"] == application.pk and first.matches[0]["application_opened"]
    second = _check(vetting, person_id=officer.pk)
    assert second.matches[0]["application_id"] == application.pk and not second.matches[0]["application_opened"]
    assert Application.objects.filter(organisation=org("TVP"), person=officer).count() == 1
    # A transfer application is a different application.
    third = _check(vetting, person_id=officer.pk, application_kind="transfer")
    assert third.matches[0]["application_id"] != application.pk
    actions = list(change_events().order_by("id").values_list("action", "object_id"))
    assert actions == [
        ("register.application.open", application.pk), ("register.check", first.pk),
        ("register.check", second.pk),
        ("register.application.open", third.matches[0]["application_id"]), ("register.check", third.pk)]
    opened = change_events().filter(action="register.application.open").first()
    assert opened.data["check_id"] == first.pk and opened.data["person_id"] == officer.pk


def test_showing_the_result_reads_each_person_and_gives_the_history(vetting, officer):
    other = PersonFactory(given_name="Jo", family_name="Smith", date_of_birth=BORN)
    check = _check(vetting, given_name="Jo", family_name="Smith", date_of_birth=BORN)
    assert _matched(check) == [officer.pk, other.pk]
    shown_check, shown = checks.check_result(actor=vetting, check_id=check.pk)
    assert shown_check == check
    assert [m.person_id for m in shown] == [officer.pk, other.pk]
    # The check's application gave Thames Valley sight of the Kent entry.
    assert [e["category"] for e in shown[0].history.entries] == ["sexual_conduct"]
    assert shown[0].history.relationships == ["vetting_application"] and shown[1].history.entries == []
    reads = Event.objects.filter(kind=EventKind.READ, object_type="workforce.person").order_by("id")
    assert list(reads.values_list("object_id", "actor_id")) == [(officer.pk, vetting.pk), (other.pk, vetting.pk)]


REFUSALS = [
    ({"lawful_basis": ""}, "lawful_basis", "validation.required"),
    ({"lawful_basis": "curiosity"}, "lawful_basis", "validation.choice"),
    ({"purpose": ""}, "purpose", "validation.required"),
    ({"purpose": "vetting"}, "purpose", "validation.too_short"),
    ({"application_kind": "promotion"}, "application_kind", "validation.choice"),
    ({"given_name": ""}, "given_name", "check.too_few_identifiers"),
    ({"family_name": ""}, "family_name", "check.too_few_identifiers"),
    ({"date_of_birth": None}, "date_of_birth", "check.too_few_identifiers"),
    ({"date_of_birth": timezone.localdate() + dt.timedelta(days=1)}, "date_of_birth", "date.in_future"),
    ({"previous_forces": ["XYZ"]}, "previous_forces", "validation.unknown_organisation"),
    ({"given_name": "x" * 101}, "given_name", "validation.too_long"),
]


@pytest.mark.parametrize(("change", "field", "code"), REFUSALS)
def test_refusals_name_the_field_and_write_nothing(vetting, officer, change, field, code):
    identifiers = {"given_name": "Jo", "family_name": "Smith", "date_of_birth": BORN, **change}
    with pytest.raises(ValidationFailed) as refused:
        _check(vetting, **identifiers)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert not RegisterCheck.objects.exists() and not Application.objects.exists()
    assert only_refused(1)


def test_every_missing_field_is_listed_at_once(vetting):
    with pytest.raises(ValidationFailed) as refused:
        checks.register_check_run(actor=vetting, lawful_basis="", purpose="", application_kind="vetting")
    assert [e["field"] for e in refused.value.context["errors"]] == [
        "lawful_basis", "purpose", "given_name", "family_name", "date_of_birth"]


def test_an_unknown_person_id_is_refused(vetting):
    with pytest.raises(ValidationFailed) as refused:
        _check(vetting, person_id=987_654_321)
    assert refused.value.field == "person_id" and only_refused(1)


def test_only_a_force_vetting_officer_checks(officer):
    for user in (make_user(Role.HEAD_OF_STANDARDS, organisation="TVP"), make_user(Role.VETTING_OFFICER,
                                                                                   organisation="IOPC")):
        with pytest.raises(PermissionDenied):
            _check(user, person_id=officer.pk)
    assert not RegisterCheck.objects.exists()


def test_a_check_and_an_application_belong_to_their_force(vetting, officer):
    check = _check(vetting, person_id=officer.pk)
    essex = make_user(Role.VETTING_OFFICER, organisation="ESS")
    with pytest.raises(NotFound):
        checks.check_get_for_actor(actor=essex, check_id=check.pk)
    with pytest.raises(NotFound):
        checks.application_close(actor=essex, application_id=check.matches[0]["application_id"], outcome="granted")
    assert checks.applications_list(actor=essex) == []
    assert [a.pk for a in checks.applications_list(actor=vetting)] == [check.matches[0]["application_id"]]


def test_closing_an_application(vetting, officer):
    application = checks.application_open(actor=vetting, person_id=officer.pk, kind="vetting",
                                          reason="Applicant for a police staff post.", reference="S-9")
    with pytest.raises(GuardFailed) as twice:
        checks.application_open(actor=vetting, person_id=officer.pk, kind="vetting", reason="Again, by mistake.")
    assert twice.value.code == "application.already_open"
    closed = checks.application_close(actor=vetting, application_id=application.pk, outcome="granted",
                                      reason="Cleared.")
    assert (closed.closed_on, closed.outcome, closed.closed_by) == (timezone.localdate(), "granted", vetting)
    event = change_events().get(action="register.application.close")
    assert (event.from_state, event.to_state, event.reason) == ("open", "granted", "Cleared.")
    with pytest.raises(GuardFailed):
        checks.application_close(actor=vetting, application_id=application.pk, outcome="refused")
    assert checks.applications_list(actor=vetting) == []
    assert [a.pk for a in checks.applications_list(actor=vetting, include_closed=True)] == [application.pk]


def test_the_readme_tour_check_on_the_demo_scenario():
    """README: met-vetting checks Stuart Pellow (scenario B) and sees Kent's entry; kent-psd decides the request."""
    from forewarn.demo import demo_actors, demo_users_create
    from forewarn.demo.scenarios import load_scenarios
    from forewarn.organisations.models import User
    from forewarn.register import disclosures

    demo_users_create()
    scenario = load_scenarios(demo_actors())["b"]
    met_vetting = User.objects.get(username="met-vetting")
    check = _check(met_vetting, given_name="Stuart", family_name="Pellow", date_of_birth=dt.date(1985, 8, 30),
                   previous_forces=["KEN"], application_kind="transfer", lawful_basis="transfer_vetting")
    assert _matched(check) == [scenario["person"].pk]
    assert check.matches[0]["evidence"][-1] == "served in KEN 2011–2018"
    _, (shown,) = checks.check_result(actor=met_vetting, check_id=check.pk)
    (entry,) = shown.history.entries
    assert entry["organisation"]["code"] == "KEN" and entry["may_request_disclosure"]
    request = disclosures.disclosure_request(actor=met_vetting, subject_allegation_id=entry["subject_allegation_id"],
                                             reason="Transfer vetting: the Kent allegation.")
    decided = disclosures.disclosure_decide(actor=User.objects.get(username="kent-psd"), disclosure_id=request.pk,
                                            grant=True, reason="Relevant to the transfer decision.")
    assert decided.status == "granted" and decided.case == scenario["case"]
