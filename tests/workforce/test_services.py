import datetime as dt

import pytest

from forewarn.audit.models import Event
from forewarn.core.errors import NotFound, PermissionDenied, ValidationFailed
from forewarn.organisations.models import Role
from forewarn.workforce import services
from forewarn.workforce.models import Appointment, Person, PersonName, RankHeld
from tests.factories import AppointmentFactory, PersonFactory, RankHeldFactory, make_user, only_refused, org


@pytest.fixture
def admin(db):
    return make_user(Role.ADMINISTRATOR)


@pytest.fixture
def kent_admin(db):
    return make_user(Role.ADMINISTRATOR, organisation="KEN")


def test_person_create_writes_person_and_event(admin):
    person = services.person_create(actor=admin, given_name=" Amira ", family_name="Holt", sex="F",
                                    date_of_birth=dt.date(1990, 3, 4))
    assert (person.given_name, person.family_name, person.sex) == ("Amira", "Holt", "F")
    event = Event.objects.get(action="person.create")
    assert event.object_id == person.pk and event.actor == admin


@pytest.mark.parametrize("kwargs, field", [
    ({"given_name": "", "family_name": "Holt"}, "given_name"),
    ({"given_name": "A", "family_name": "Holt", "sex": "X"}, "sex"),
    ({"given_name": "A", "family_name": "Holt", "date_of_birth": dt.date(2030, 1, 1)}, "date_of_birth"),
])
def test_person_create_refuses_bad_input_and_writes_nothing(admin, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(actor=admin, **kwargs)
    assert exc.value.field == field
    assert not Person.objects.exists() and only_refused()


def test_person_create_needs_administrator(handler):
    with pytest.raises(PermissionDenied):
        services.person_create(actor=handler, given_name="A", family_name="B")
    assert not Person.objects.exists()


def test_person_rename_keeps_history(admin):
    person = PersonFactory(given_name="Jo", family_name="Smith")
    services.person_rename(actor=admin, person_id=person.pk, given_name="Jo", family_name="Marsh",
                           on=dt.date(2019, 6, 1), reason="marriage")
    person.refresh_from_db()
    old = PersonName.objects.get(person=person)
    assert person.family_name == "Marsh" and person.version == 2
    assert (old.family_name, old.used_until, old.reason) == ("Smith", dt.date(2019, 5, 31), "marriage")
    assert Event.objects.get(action="person.rename").data == {"family_name": ["Smith", "Marsh"]}


def test_person_rename_same_name_refused(admin):
    person = PersonFactory(given_name="Jo", family_name="Smith")
    with pytest.raises(ValidationFailed):
        services.person_rename(actor=admin, person_id=person.pk, given_name="Jo", family_name="Smith")
    assert not PersonName.objects.exists()


def test_appointment_start_and_end(admin):
    person = PersonFactory()
    appointment = services.appointment_start(actor=admin, person_id=person.pk, organisation_id=org("MET").pk,
                                             start_date=dt.date(2015, 1, 5), service_number="MET123", rank="PS")
    assert appointment.current_rank == "PS"
    services.appointment_end(actor=admin, appointment_id=appointment.pk, on=dt.date(2022, 11, 1),
                             reason="resigned")
    appointment.refresh_from_db()
    assert (appointment.end_date, appointment.end_reason) == (dt.date(2022, 11, 1), "resigned")
    assert list(Event.objects.values_list("action", flat=True)) == ["appointment.start", "appointment.end"]


def test_appointment_start_in_other_force_is_refused(kent_admin):
    person = PersonFactory()
    with pytest.raises(PermissionDenied):
        services.appointment_start(actor=kent_admin, person_id=person.pk, organisation_id=org("MET").pk,
                                   start_date=dt.date(2015, 1, 5))
    assert not Appointment.objects.exists()


def test_appointment_start_refuses_overlap_and_number_in_use(admin):
    current = AppointmentFactory(service_number="4242")
    with pytest.raises(ValidationFailed) as exc:
        services.appointment_start(actor=admin, person_id=current.person_id, organisation_id=org("MET").pk,
                                   start_date=dt.date(2020, 1, 1))
    assert exc.value.code == "appointment.overlaps"
    other = PersonFactory()
    with pytest.raises(ValidationFailed) as exc:
        services.appointment_start(actor=admin, person_id=other.pk, organisation_id=org("MET").pk,
                                   start_date=dt.date(2020, 1, 1), service_number="4242")
    assert exc.value.code == "appointment.number_in_use"
    assert Appointment.objects.count() == 1


def test_appointment_end_refuses_bad_reason_and_date(admin):
    appointment = AppointmentFactory(start_date=dt.date(2015, 1, 1))
    with pytest.raises(ValidationFailed) as exc:
        services.appointment_end(actor=admin, appointment_id=appointment.pk, on=dt.date(2020, 1, 1), reason="sacked")
    assert exc.value.field == "reason"
    with pytest.raises(ValidationFailed) as exc:
        services.appointment_end(actor=admin, appointment_id=appointment.pk, on=dt.date(2014, 1, 1),
                                 reason="retired")
    assert exc.value.field == "on"
    with pytest.raises(NotFound):
        services.appointment_end(actor=admin, appointment_id=999_999, on=dt.date(2020, 1, 1), reason="retired")
    appointment.refresh_from_db()
    assert appointment.end_date is None


def test_person_transfer_ends_and_starts_next_day(kent_admin):
    met = AppointmentFactory(organisation=org("MET"), start_date=dt.date(2012, 4, 1))
    RankHeldFactory(appointment=met, rank="PS", start_date=dt.date(2012, 4, 1))
    new = services.person_transfer(actor=kent_admin, person_id=met.person_id, to_organisation_id=org("KEN").pk,
                                   on=dt.date(2018, 3, 31), service_number="K777")
    met.refresh_from_db()
    assert (met.end_date, met.end_reason) == (dt.date(2018, 3, 31), "transferred")
    assert (new.organisation.code, new.start_date, new.service_number) == ("KEN", dt.date(2018, 4, 1), "K777")
    assert new.current_rank == "PS"  # rank carried over unless given
    assert set(Event.objects.values_list("action", flat=True)) == {"appointment.end", "appointment.transfer_in"}


def test_person_transfer_by_a_third_force_is_refused(admin):
    kent = AppointmentFactory(organisation=org("KEN"))
    with pytest.raises(PermissionDenied):
        services.person_transfer(actor=admin, person_id=kent.person_id, to_organisation_id=org("ESS").pk,
                                 on=dt.date(2018, 3, 31), service_number="E1")
    kent.refresh_from_db()
    assert kent.end_date is None and Appointment.objects.count() == 1


def test_person_transfer_to_same_force_rolls_back(admin):
    met = AppointmentFactory(organisation=org("MET"))
    with pytest.raises(ValidationFailed):
        services.person_transfer(actor=admin, person_id=met.person_id, to_organisation_id=org("MET").pk,
                                 on=dt.date(2018, 3, 31), service_number="M2")
    met.refresh_from_db()
    assert met.end_date is None and only_refused()


def test_rank_change(admin):
    appointment = AppointmentFactory(start_date=dt.date(2010, 9, 1))
    RankHeldFactory(appointment=appointment, rank="PC", start_date=dt.date(2010, 9, 1))
    services.rank_change(actor=admin, appointment_id=appointment.pk, rank="PS", on=dt.date(2016, 2, 1))
    assert appointment.current_rank == "PS"
    with pytest.raises(ValidationFailed):
        services.rank_change(actor=admin, appointment_id=appointment.pk, rank="STAFF", on=dt.date(2017, 2, 1))
    with pytest.raises(ValidationFailed):
        services.rank_change(actor=admin, appointment_id=appointment.pk, rank="INSP", on=dt.date(2009, 2, 1))
    assert RankHeld.objects.filter(appointment=appointment).count() == 2


# -- CSV import ----------------------------------------------------------------------------------
MAPPING = {"given_name": "First", "family_name": "Surname", "date_of_birth": "DOB", "sex": "Sex",
           "service_number": "Number", "rank": "Rank", "start_date": "Joined", "role_type": "Type",
           "end_date": "Left", "end_reason": "Why"}
HEADER = "First,Surname,DOB,Sex,Number,Rank,Joined,Type,Left,Why\n"


def write(tmp_path, body: str, name="people.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_import_inserts_people_appointments_ranks(admin, tmp_path):
    path = write(tmp_path, "Ada,Lane,1985-02-03,F,M1,PS,2009-09-01,officer,,\n"
                           "Ben,Orr,1990-12-12,male,M2,,2012-01-01,staff,2020-05-01,retired\n")
    seen = []
    result = services.people_import_csv(actor=admin, path=path, mapping=MAPPING, organisation_code="MET",
                                        progress=seen.append)
    assert (result.rows, result.people, result.dry_run) == (2, 2, False)
    assert seen == [2]
    ada = Appointment.objects.get(service_number="M1")
    ben = Appointment.objects.get(service_number="M2")
    assert (ada.person.family_name, ada.current_rank, ada.organisation.code) == ("Lane", "PS", "MET")
    assert (ben.current_rank, ben.end_reason, ben.person.sex) == ("STAFF", "retired", "M")
    assert Event.objects.get(action="workforce.import").data["people"] == 2


def test_import_dry_run_writes_nothing(admin, tmp_path):
    path = write(tmp_path, "Ada,Lane,1985-02-03,F,M1,PS,2009-09-01,officer,,\n")
    result = services.people_import_csv(actor=admin, path=path, mapping=MAPPING, organisation_code="MET",
                                        dry_run=True)
    assert result.rows == 1 and result.dry_run
    assert not Person.objects.exists() and not Event.objects.exists()


@pytest.mark.parametrize("body, where", [
    ("Ada,Lane,03/02/1985,F,M1,PS,2009-09-01,officer,,\n", "people.csv:3:DOB:"),
    ("Ada,,1985-02-03,F,M1,PS,2009-09-01,officer,,\n", "people.csv:3:Surname: required"),
    ("Ada,Lane,1985-02-03,Q,M1,PS,2009-09-01,officer,,\n", "people.csv:3:Sex:"),
    ("Ada,Lane,1985-02-03,F,M1,GENERAL,2009-09-01,officer,,\n", "people.csv:3:Rank:"),
    ("Ada,Lane,1985-02-03,F,M1,PS,2009-09-01,officer,2001-01-01,resigned\n", "people.csv:3:Left: before"),
    ("Ada,Lane,1985-02-03,F,M1,PS,2009-09-01,officer,2011-01-01,\n", "people.csv:3:Why:"),
    ("Ada,Lane,1985-02-03,F,M1,PS,2009-09-01,officer,,\nBo,Ray,1985-02-03,F,M1,PC,2009-09-01,officer,,\n",
     "people.csv:4:Number: M1 is already used on row 3"),
])
def test_import_bad_row_names_file_row_column_and_writes_nothing(admin, tmp_path, body, where):
    path = write(tmp_path, "Good,Row,1980-01-01,M,M0,PC,2005-01-01,officer,,\n" + body)
    with pytest.raises(ValidationFailed) as exc:
        services.people_import_csv(actor=admin, path=path, mapping=MAPPING, organisation_code="MET")
    assert where in exc.value.message
    assert not Person.objects.exists() and not Appointment.objects.exists() and only_refused()


def test_import_refuses_number_held_in_database(admin, tmp_path):
    AppointmentFactory(service_number="M1")
    path = write(tmp_path, "Ada,Lane,1985-02-03,F,M1,PS,2009-09-01,officer,,\n")
    with pytest.raises(ValidationFailed) as exc:
        services.people_import_csv(actor=admin, path=path, mapping=MAPPING, organisation_code="MET")
    assert "people.csv:2:Number: M1 is already held" in exc.value.message
    assert Person.objects.count() == 1


def test_import_refuses_other_force_rows(admin, tmp_path):
    mapping = {**MAPPING, "organisation": "Force"}
    path = tmp_path / "p.csv"
    path.write_text("First,Surname,DOB,Sex,Number,Rank,Joined,Type,Left,Why,Force\n"
                    "Ada,Lane,1985-02-03,F,K1,PS,2009-09-01,officer,,,KEN\n")
    with pytest.raises(ValidationFailed) as exc:
        services.people_import_csv(actor=admin, path=path, mapping=mapping)
    assert "p.csv:2:Force: you can import your own force's workforce only" in exc.value.message
    assert not Person.objects.exists()


def test_import_mapping_errors(admin, tmp_path):
    path = write(tmp_path, "")
    with pytest.raises(ValidationFailed) as exc:
        services.people_import_csv(actor=admin, path=path, mapping={**MAPPING, "shoe_size": "X"},
                                   organisation_code="MET")
    assert exc.value.code == "import.unknown_field"
    with pytest.raises(ValidationFailed) as exc:
        services.people_import_csv(actor=admin, path=path, mapping={**MAPPING, "given_name": "Forename"},
                                   organisation_code="MET")
    assert "people.csv:1:Forename: column not in the header" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        services.people_import_csv(actor=admin, path=path, mapping=MAPPING)
    assert "organisation" in exc.value.message


def test_import_needs_administrator(handler, tmp_path):
    path = write(tmp_path, "Ada,Lane,1985-02-03,F,M1,PS,2009-09-01,officer,,\n")
    with pytest.raises(PermissionDenied):
        services.people_import_csv(actor=handler, path=path, mapping=MAPPING, organisation_code="MET")
    assert not Person.objects.exists()


def test_import_large_file_in_batches(admin, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH", 7)
    body = "".join(f"P{i},Q{i},1980-01-01,M,N{i},PC,2005-01-01,officer,,\n" for i in range(30))
    seen = []
    result = services.people_import_csv(actor=admin, path=write(tmp_path, body), mapping=MAPPING,
                                        organisation_code="MET", progress=seen.append)
    assert result.people == 30 and Appointment.objects.count() == 30 and RankHeld.objects.count() == 30
    assert seen == [7, 14, 21, 28, 30]
