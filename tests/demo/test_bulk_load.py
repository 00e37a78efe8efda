"""The bulk load behind `forewarn generate`: audit chain, worker processes, COPY text, index rebuild."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from forewarn.audit.models import Event
from forewarn.audit.selectors import chain_verify
from forewarn.audit.services import event_record
from forewarn.cases.models import Allegation, Case, Party, SubjectAllegation
from forewarn.core.models import Clock
from forewarn.demo import bulk, caseload, generate
from forewarn.organisations.models import Organisation
from forewarn.workforce.models import Appointment, Person, RankHeld

TODAY = dt.date(2026, 11, 21)
LOADED = [Person, Appointment, RankHeld, Case, Party, Allegation, SubjectAllegation, Clock, Event]


def test_generated_events_continue_the_audit_chain(db):
    org = Organisation.objects.get(code="MET")
    before = event_record(actor=None, action="test.before", obj=org)
    generated = generate(people=200, years=1, seed=5, today=TODAY)
    after = event_record(actor=None, action="test.after", obj=org)

    first, last = Event.objects.filter(action="case.open").order_by("id")[:: generated.cases - 1]
    assert first.prev_hash == before.hash and first.id > before.id
    assert Event.objects.get(prev_hash=last.hash) == after
    result = chain_verify()
    assert result.ok, result.problem
    assert result.checked == Event.objects.count() == generated.cases + 2
    assert result.last_hash == after.hash


def _snapshot(run_ids: dict) -> dict:
    """The rows one run generated, with ids made relative to the run's first id of each table."""

    def rel(model, value):
        return None if value is None else value - run_ids[model]

    def rows(model, *fields):
        return list(model.objects.filter(id__gte=run_ids[model]).order_by("id").values_list(*fields))

    return {
        "cases": [(rel(Case, i), ref.rsplit("-", 1)[0], *rest) for i, ref, *rest in rows(
            Case, "id", "reference", "organisation_id", "case_type", "status", "status_since", "regime",
            "came_to_attention_on", "incident_date", "incident_location", "summary", "handling_route",
            "special_procedures", "recorded_on", "referred_on", "investigation_mode", "outcome_summary", "version")],
        "allegations": [(rel(Case, c), *rest) for c, *rest in rows(
            Allegation, "case_id", "number", "category", "subcategory", "standards", "description")],
        "subjects": [(rel(Case, c), rel(Allegation, a), rel(Person, p), *rest) for c, a, p, *rest in rows(
            SubjectAllegation, "case_id", "allegation_id", "person_id", "name_as_given", "rank_as_given",
            "station_as_given", "description_as_given", "status", "status_since", "severity", "notice_served_on")],
        "parties": [(rel(Case, c), name) for c, name in rows(Party, "case_id", "full_name")],
        "clocks": [(rel(Case, c), *rest) for c, *rest in rows(Clock, "case_id", "kind", "started_on", "due_on")],
        "events": [(rel(Case, c), *rest) for c, *rest in rows(Event, "case_id", "occurred_on", "to_state", "data")],
    }


def _next_ids() -> dict:
    return {model: (model.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
            for model in (Case, Allegation, SubjectAllegation, Person, Party, Clock, Event)}


def _first_ids(after: dict) -> dict:
    """The first id of each table a run wrote (sequences may have moved past MAX(id)+1)."""
    return {model: model.objects.filter(id__gte=start).order_by("id").values_list("id", flat=True).first()
            for model, start in after.items()}


def test_worker_processes_generate_the_same_data_as_one_process(db, monkeypatch):
    monkeypatch.setattr(caseload, "CHUNK", 25)  # several chunks, out of order between two workers
    runs = []
    for workers in (0, 2):
        ids = _next_ids()
        result = generate(people=300, years=1, seed=11, today=TODAY, workers=workers)
        runs.append((result, _snapshot(_first_ids(ids))))
    (one, alone), (two, parallel) = runs
    assert (one.cases, one.allegations, one.rows) == (two.cases, two.allegations, two.rows)
    assert one.cases > 3 * 25
    assert alone == parallel
    assert alone["parties"] and alone["subjects"]
    assert chain_verify().ok


def test_ids_references_and_sequences_continue_after_a_load(db):
    generate(people=100, years=1, seed=2, today=TODAY)
    case = Case.objects.order_by("-id").first()
    # The next case written through the ORM takes the next id from the sequence, not one the load used.
    created = Case.objects.create(organisation=case.organisation, reference="TEST-1", case_type="complaint",
                                  status="received", status_since=TODAY, regime="2020",
                                  came_to_attention_on=TODAY, summary="A test case.")
    assert created.id == case.id + 1
    assert Allegation.objects.values("case_id", "number").distinct().count() == Allegation.objects.count()


def test_copy_text_escapes_what_needs_it():
    table = bulk.Table(Party, ("id", "case_id", "role", "full_name", "version"), now=None)
    plain = table.copy_text([(1, 2, "complainant", "Ann Lee", 1)])
    assert plain.startswith("1\t2\tcomplainant\tAnn Lee\t1\t") and plain.endswith("\n")
    assert plain.count("\t") == len(table.columns) - 1
    awkward = table.copy_text([(1, 2, "complainant", "Ann\tLee\\Jr\nSnr", 1), (3, 2, "complainant", "Bo", 1)])
    assert "\tAnn\\tLee\\\\Jr\\nSnr\t" in awkward
    assert awkward.count("\n") == 2


def test_a_table_refuses_a_field_its_model_lacks():
    with pytest.raises(ValueError, match="cases.Party has no field nickname"):
        bulk.Table(Party, ("id", "nickname"), now=None)


def test_text_needing_escapes_loads_exactly(db):
    name = "O'Brien\tX\\N\nZ"
    table = bulk.Table(Person, ("id", "given_name", "family_name", "sex", "version"), now=timezone.now())
    person_id = bulk.Ids(Person).take()
    with bulk.Writer() as writer:
        writer.rows(table, [(person_id, name, "\\N", "F", 1)])
    person = Person.objects.get(pk=person_id)
    assert (person.given_name, person.family_name, person.middle_names, person.date_of_birth) == (
        name, "\\N", "", None)


def _schema() -> tuple[set, set]:
    tables = [m._meta.db_table for m in LOADED]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [tables])
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
                       "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])", [tables])
        constraints = set(cursor.fetchall())
    return indexes, constraints


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="indexes are rebuilt on PostgreSQL only")
def test_a_load_with_rebuilt_indexes_restores_every_index_and_constraint(db):
    indexes, constraints = _schema()
    assert len(indexes) > 30 and any(c[2].startswith("FOREIGN KEY") for c in constraints)
    generate(people=150, years=1, seed=4, today=TODAY, rebuild_indexes=True)
    assert _schema() == (indexes, constraints)
    assert all(validated for *_, validated in constraints)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="indexes are rebuilt on PostgreSQL only")
def test_a_row_breaking_a_foreign_key_fails_the_load_and_restores_the_schema(db):
    before = _schema()
    with pytest.raises(IntegrityError), transaction.atomic():
        with bulk.indexes_deferred(LOADED):
            assert len(_schema()[0]) < len(before[0])
            with connection.cursor() as cursor:  # an allegation of a case that does not exist
                cursor.execute("INSERT INTO cases_allegation (created_at, updated_at, version, case_id, number, "
                               "category, subcategory, standards, description) "
                               "VALUES (now(), now(), 1, 987654321, 1, 'other', '', '[]', 'x')")
    assert _schema() == before
    assert not Allegation.objects.filter(case_id=987654321).exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="indexes are rebuilt on PostgreSQL only")
def test_a_failed_load_restores_the_schema(db):
    before = _schema()
    with pytest.raises(RuntimeError, match="generator failed"), transaction.atomic():
        with bulk.indexes_deferred(LOADED):
            raise RuntimeError("generator failed")
    assert _schema() == before


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="indexes are rebuilt on PostgreSQL only")
def test_a_rebuild_overlapping_other_work_raises_its_error_in_the_load(db):
    """`generate` rebuilds the workforce's indexes in a thread while the cases are planned: a row
    breaking a workforce constraint still fails the load, and the schema comes back whole."""
    before = _schema()
    planned = []
    with pytest.raises(IntegrityError), transaction.atomic():
        deferred = bulk.DeferredIndexes([RankHeld])
        RankHeld.objects.create(appointment_id=987654321, rank="PC", start_date=TODAY)  # no such appointment
        with bulk.overlapping(deferred.rebuild):
            planned.append("planned")  # the block runs beside the rebuild
    assert planned == ["planned"]
    assert _schema() == before
    assert not RankHeld.objects.filter(appointment_id=987654321).exists()
