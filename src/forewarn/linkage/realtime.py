"""Real-time matching of one subject description against the workforce (issue #5 §1 and §4).

Two steps, so that a match costs the same against 150,000 people as against 1,500:

1. *Blocking in the database*: the appointments worth scoring are found with indexed queries — the
   people with that family name (current or former name), the appointment with that collar number in
   that force, and the appointments at that station of that force. At most `MAX_RECORDS` go on.
2. *Scoring with Splink* (`subjects.Scorer`, the active subject model): each appointment is scored
   against the description, and each person keeps their best-scoring appointment and name.

The result is the candidates with a probability and the evidence in words, strongest first.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import Lower

from forewarn.linkage import normalise
from forewarn.linkage.subjects import WORDS, scorer
from forewarn.workforce.models import Appointment, Person, PersonName, RankHeld

# Appointments scored per match, at most (a common family name is ranked in the database by how much
# of the description each appointment shares: the force, the initial, the number, the station).
MAX_RECORDS = 100
# Candidates kept per match, and the lowest probability worth showing a person.
MAX_CANDIDATES = 5
MIN_PROBABILITY = 0.01


@dataclass(frozen=True)
class SubjectDetails:
    """What is known of a subject officer (every part optional)."""

    name: str = ""
    rank: str = ""
    number: str = ""
    station: str = ""
    approximate_age: int | None = None
    birth_date: dt.date | None = None
    sex: str = ""
    organisation_code: str = ""
    incident_date: dt.date | None = None


@dataclass
class ScoredCandidate:
    person_id: int
    appointment_id: int | None
    probability: float
    match_weight: float
    evidence: list[dict[str, Any]]


@dataclass
class Proposal:
    model_version: int
    record: dict[str, Any]
    candidates: list[ScoredCandidate] = field(default_factory=list)
    records_scored: int = 0
    seconds: float = 0.0


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def subject_record(details: SubjectDetails) -> dict[str, Any]:
    """The description as a record in the subject model's columns (normalised like the batch inputs)."""
    given, _middle, family, _suffix = normalise.split_full_name(details.name or "")
    sex, _known = normalise.sex(details.sex or "")
    on = details.incident_date
    birth_year = details.birth_date.year if details.birth_date else None
    if birth_year is None and details.approximate_age:
        birth_year = (on or dt.date.today()).year - int(details.approximate_age)
    return {
        "unique_id": "subject", "family_name": family, "given_name": given.split()[0] if given else None,
        "badge_number": normalise.badge_number(details.number) if details.number else None,
        "organisation": (details.organisation_code or "").lower() or None,
        "station": normalise.text(details.station or ""), "rank": details.rank or None,
        "birth_year": birth_year, "sex": sex, "serving_on": _iso(on), "start_date": None, "end_date": None,
    }


_tf_total: tuple[float, int] = (0.0, 0)


def _people_total() -> int:
    """People on the register, counted at most once a minute per process (counting is a scan)."""
    global _tf_total
    at, total = _tf_total
    ttl = getattr(settings, "FOREWARN_REGISTER_SIZE_CACHE_SECONDS", 60.0)
    if time.monotonic() - at >= ttl or not total:
        _tf_total = (time.monotonic(), max(Person.objects.count(), 1))
    return _tf_total[1]


def _family_frequencies(names: set[str]) -> dict[str, float]:
    """Each family name's share of the workforce (Splink's term frequency), from the database."""
    names = {n for n in names if n}
    if not names:
        return {}
    total = _people_total()
    counts = dict(Person.objects.annotate(family=Lower("family_name")).filter(family__in=names)
                  .values_list("family").annotate(n=Count("id")).values_list("family", "n"))
    return {name: max(counts.get(name, 0), 1) / total for name in names}


def _rank_on(ranks: list[tuple[dt.date, str]], on: dt.date | None) -> str | None:
    """The rank held on a day, from (start date, rank) pairs oldest first; the latest if no day."""
    held = [rank for start, rank in ranks if on is None or start <= on]
    return held[-1] if held else (ranks[0][1] if ranks else None)


@dataclass(frozen=True)
class AppointmentRow:
    """What a record is built from: plain values, not model instances (building thousands of those,
    with their prefetched ranks, cost more than scoring)."""

    id: int
    person_id: int
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    sex: str
    organisation_code: str
    service_number: str
    station: str
    start_date: dt.date
    end_date: dt.date | None
    ranks: list[tuple[dt.date, str]]


ROW_FIELDS = ("id", "person_id", "person__given_name", "person__family_name", "person__date_of_birth", "person__sex",
              "organisation__code", "service_number", "station", "start_date", "end_date")


def appointment_rows(appointments) -> list[AppointmentRow]:
    """The rows of an Appointment queryset (two queries: the appointments, then their ranks)."""
    values = list(appointments.values_list(*ROW_FIELDS))
    ranks: dict[int, list[tuple[dt.date, str]]] = {}
    for appointment_id, start, rank in (RankHeld.objects.filter(appointment_id__in=[v[0] for v in values])
                                        .order_by("start_date", "id").values_list("appointment_id", "start_date",
                                                                                  "rank")):
        ranks.setdefault(appointment_id, []).append((start, rank))
    return [AppointmentRow(*v, ranks=ranks.get(v[0], [])) for v in values]


def appointment_records(appointments: list[AppointmentRow], *, on: dt.date | None,
                        former_names: dict[int, list[tuple[int, str, str]]] | None = None) -> list[dict[str, Any]]:
    """Records for appointments: one per appointment and name used (former names: (id, given, family))."""
    records = []
    for a in appointments:
        names = [(a.given_name, a.family_name, "")]
        names += [(given, family, f":n{name_id}") for name_id, given, family in (former_names or {}).get(a.person_id, [])]
        base = {
            "badge_number": normalise.badge_number(a.service_number) if a.service_number else None,
            "organisation": a.organisation_code.lower(),
            "station": normalise.text(a.station or ""),
            "rank": _rank_on(a.ranks, on),
            "birth_year": a.date_of_birth.year if a.date_of_birth else None,
            "sex": a.sex if a.sex in ("M", "F") else None,
            "serving_on": None, "start_date": _iso(a.start_date), "end_date": _iso(a.end_date),
        }
        for given, family, suffix in names:
            given_n = normalise.name(given or "")
            records.append({**base, "unique_id": f"{a.id}{suffix}", "family_name": normalise.name(family),
                            "given_name": given_n.split()[0] if given_n else None})
    return records


_organisations: dict[str, int | None] = {}


def _organisation_id(code: str) -> int | None:
    """An organisation's id by its code (reference data, loaded by migration: cached per process)."""
    if code not in _organisations:
        from forewarn.organisations.models import Organisation

        _organisations[code] = Organisation.objects.filter(code=code.upper()).values_list("id", flat=True).first()
    return _organisations[code]


def _blocked_appointments(record: dict[str, Any]) -> list[AppointmentRow]:
    """The appointments worth scoring (see the module's docstring), at most MAX_RECORDS.

    Each block is one indexed look-up (people with the family name, current or former, and their
    appointments; the number in the force; the station in the force, current on the day). Their
    appointments are ranked by how much of the description they share (the force, the initial, the
    number, the station, serving on the day) and the best MAX_RECORDS are loaded: a common family
    name costs a sort of a few thousand small rows, not thousands of records to score.
    """
    family, given, org, number, station, on = (record["family_name"], record["given_name"], record["organisation"],
                                               record["badge_number"], record["station"], record["serving_on"])
    org_id = _organisation_id(org) if org else None
    on_day = dt.date.fromisoformat(on) if on else None
    columns = ("id", "person_id", "organisation_id", "service_number", "station", "start_date", "end_date")
    rows: dict[int, tuple] = {}
    initials: set[int] = set()
    if family:
        people = Person.objects.annotate(family=Lower("family_name")).filter(family=family)
        former = PersonName.objects.annotate(family=Lower("family_name")).filter(family=family).values("person_id")
        # The closest first: the people who share the initial too (or, with no initial, the force's
        # appointments); then, while there is room, anyone else of that name (a common name on a
        # national register is thousands of people, and the database stops at the limit).
        if given:
            with_initial = people.annotate(given=Lower("given_name")).filter(given__startswith=given[:1])
            initials = set(with_initial.values_list("id", flat=True))
            closest = Appointment.objects.filter(person_id__in=initials)
        elif org_id:
            closest = Appointment.objects.filter(person_id__in=people.values("id"), organisation_id=org_id)
        else:
            closest = Appointment.objects.filter(person_id__in=people.values("id"))
        rows.update((r[0], r) for r in closest.values_list(*columns)[:MAX_RECORDS * 2])
        for found in (people.values("id"), former):
            if len(rows) >= MAX_RECORDS:
                break
            rows.update((r[0], r) for r in Appointment.objects.filter(person_id__in=found)
                        .values_list(*columns)[:MAX_RECORDS])
    named = {r[1] for r in rows.values()}
    if org_id and number:
        rows.update((r[0], r) for r in Appointment.objects.filter(
            organisation_id=org_id, service_number__in={number, number.zfill(len(number) + 1), number.zfill(6)})
            .values_list(*columns))
    if org_id and station:
        at_station = Appointment.objects.annotate(station_l=Lower("station")).filter(organisation_id=org_id,
                                                                                      station_l=station)
        if on_day:
            at_station = at_station.filter(start_date__lte=on_day).filter(Q(end_date__isnull=True)
                                                                           | Q(end_date__gte=on_day))
        rows.update((r[0], r) for r in at_station.values_list(*columns)[:MAX_RECORDS * 2])

    def closeness(row: tuple) -> tuple:
        _id, person_id, organisation_id, service_number, row_station, start, end = row
        points = 8 * (person_id in named) + 2 * (person_id in initials) + 2 * (organisation_id == org_id)
        points += 8 * (bool(number) and organisation_id == org_id
                       and normalise.badge_number(service_number or "") == number)
        points += 3 * (bool(station) and organisation_id == org_id and normalise.text(row_station or "") == station)
        points += 1 * (on_day is not None and start <= on_day and (end is None or end >= on_day))
        return (-points, _id)

    ids = [r[0] for r in sorted(rows.values(), key=closeness)[:MAX_RECORDS]]
    return appointment_rows(Appointment.objects.filter(pk__in=ids).order_by("person_id", "start_date", "id"))


def _evidence(row: dict[str, Any], labels: dict[str, dict[int, str]]) -> list[dict[str, Any]]:
    """Each compared field: how it compared, in words, and its match weight (Splink's `mw_<field>`,
    plus the term-frequency adjustment: agreeing on a rare family name weighs more)."""
    parts = []
    for field_name, what in WORDS.items():
        gamma = row.get(f"gamma_{field_name}")
        if gamma is None or gamma == -1:
            continue
        weight = float(row.get(f"mw_{field_name}") or 0.0) + float(row.get(f"mw_tf_adj_{field_name}") or 0.0)
        parts.append({"field": field_name, "what": what,
                      "words": labels.get(field_name, {}).get(int(gamma), f"level {gamma}"),
                      "weight": round(weight, 2)})
    parts.sort(key=lambda p: -abs(p["weight"]))
    return parts


def propose(details: SubjectDetails, *, limit: int = MAX_CANDIDATES) -> Proposal:
    """Candidate people for a description, strongest first (reads only: no audit, no write)."""
    started = time.perf_counter()
    active = scorer()
    record = subject_record(details)
    appointments = _blocked_appointments(record)
    former: dict[int, list[tuple[int, str, str]]] = {}
    if appointments:
        for person_id, *name in (PersonName.objects.filter(person_id__in={a.person_id for a in appointments})
                                 .values_list("person_id", "id", "given_name", "family_name")):
            former.setdefault(person_id, []).append(tuple(name))
    records = appointment_records(appointments, on=details.incident_date, former_names=former)
    frequencies = _family_frequencies({record["family_name"], *(r["family_name"] for r in records)})
    for item in (record, *records):
        item["tf_family_name"] = frequencies.get(item["family_name"])
    rows = active.score(record, records, prior=1 / max(_people_total(), 2))
    by_appointment = {str(a.id): a for a in appointments}
    best: dict[int, tuple[float, dict]] = {}
    for row in rows:
        appointment_key = str(row.get("unique_id_r") if row.get("unique_id_l") == "subject" else row.get("unique_id_l"))
        appointment = by_appointment.get(appointment_key.split(":")[0])
        if appointment is None:
            continue
        probability = float(row["match_probability"])
        if probability > best.get(appointment.person_id, (-1.0, {}))[0]:
            best[appointment.person_id] = (probability, {**row, "_appointment": appointment.id})
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    candidates = [ScoredCandidate(person_id=person_id, appointment_id=row["_appointment"], probability=probability,
                                  match_weight=float(row["match_weight"]), evidence=_evidence(row, active.labels))
                  for person_id, (probability, row) in ranked[:limit] if probability >= MIN_PROBABILITY]
    return Proposal(model_version=active.version, record=record, candidates=candidates, records_scored=len(records),
                    seconds=time.perf_counter() - started)


def workforce_records(*, on: dt.date | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Every appointment as a record (current names only), for estimating the model's u probabilities."""
    appointments = Appointment.objects.order_by("id")
    records: list[dict[str, Any]] = []
    last = 0
    while True:  # in chunks: a national workforce is millions of rows
        chunk = appointment_rows(appointments.filter(id__gt=last)[:20_000])
        if not chunk:
            return records
        records += appointment_records(chunk, on=on)
        last = chunk[-1].id
        if limit and len(records) >= limit:
            return records[:limit]
