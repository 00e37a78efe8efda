"""A fictional national workforce, seeded and repeatable.

Shape (approximate, from Home Office *Police workforce, England and Wales* tables; figures tagged
[R] — rounded headcounts, not verified line by line): forces in proportion to their officer
numbers (the Met about a quarter of officers), about 70% officers, 25% staff and 5% specials,
ranks as in the national rank pyramid, about 3% of people with a transfer between forces and some
leavers. Names come from Faker en_GB: fictional people only.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from bisect import bisect
from dataclasses import dataclass, field

from faker import Faker

from forewarn.demo.bulk import Ids, Sink, Table, Writer, check_pool
from forewarn.organisations.models import Organisation, OrganisationKind
from forewarn.workforce.models import Appointment, EndReason, Person, Rank, RankHeld, RoleType

# Officer headcount by force, rounded to the hundred [R] (Home Office police workforce tables,
# March 2024, territorial forces plus BTP, CNC and MDP). Only the proportions matter here.
FORCE_WEIGHTS = {
    "MET": 34000, "GMP": 8000, "WMP": 7700, "WYP": 6100, "TVP": 5000, "NBR": 3800, "MER": 4000, "KEN": 4200,
    "ESS": 3700, "HAM": 3600, "DEV": 3600, "SWP": 3600, "LAN": 3500, "ASP": 3200, "SUS": 3200, "SYP": 3100,
    "BTP": 3100, "WMC": 2500, "MDP": 2600, "NOT": 2400, "HER": 2300, "LEI": 2300, "CHE": 2300, "SUR": 2200,
    "HUM": 2200, "DER": 2000, "STA": 1900, "NFK": 1900, "CAM": 1700, "NYP": 1600, "NWP": 1600, "NTH": 1500,
    "CLE": 1500, "GWE": 1500, "CNC": 1500, "DOR": 1400, "SUF": 1400, "BED": 1400, "DUR": 1300, "CUM": 1300,
    "GLO": 1300, "DYP": 1300, "LIN": 1200, "WIL": 1100, "WAR": 1000, "COL": 1000,
}
ROLE_WEIGHTS = {RoleType.OFFICER: 70, RoleType.STAFF: 25, RoleType.SPECIAL: 5}
# Officers below chief officer rank [R] (national rank pyramid, rounded): chief officers are
# placed one per force (CC, DCC) plus ACCs in proportion to size.
RANK_WEIGHTS = {Rank.CONSTABLE: 780, Rank.SERGEANT: 140, Rank.INSPECTOR: 50, Rank.CHIEF_INSPECTOR: 15,
                Rank.SUPERINTENDENT: 8, Rank.CHIEF_SUPERINTENDENT: 3}
RANK_LADDER = [r for r in Rank.values if r != Rank.STAFF_GRADE]
TRANSFER_SHARE = 0.03
LEAVER_SHARE = 0.08
LEAVING_WEIGHTS = {EndReason.RESIGNED: 50, EndReason.RETIRED: 40, EndReason.DISMISSED: 5, EndReason.OTHER: 5}
STATIONS = ["Central", "North", "South", "East", "West", "Harbour", "Airport", "Riverside", "Hillside", "Parkway"]


@dataclass
class Serving:
    """What the case generator needs about an appointment to name a plausible subject."""

    person_id: int
    role_type: str
    service_number: str
    rank: str
    start: dt.date
    end: dt.date | None
    name: str
    station: str


@dataclass
class Workforce:
    by_force: dict[int, list[Serving]] = field(default_factory=dict)
    people: int = 0
    appointments: int = 0
    rows: dict[str, int] = field(default_factory=dict)


class NamePool:
    """Faker is slow per call; draw pools once per seed and sample from them."""

    def __init__(self, rng: random.Random, seed: int, size: int = 600):
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        self.rng = rng
        self.female = [fake.first_name_female() for _ in range(size)]
        self.male = [fake.first_name_male() for _ in range(size)]
        self.family = [fake.last_name() for _ in range(size * 2)]
        for name, pool in (("female names", self.female), ("male names", self.male), ("family names", self.family)):
            check_pool(name, pool)

    def person(self, sex: str) -> tuple[str, str, str]:
        rand, pool, family = self.rng.random, self.female if sex == "F" else self.male, self.family
        given = pool[int(rand() * len(pool))]
        middle = pool[int(rand() * len(pool))] if rand() < 0.4 else ""
        return given, middle, family[int(rand() * len(family))]

    def full_name(self, rand) -> str:
        """A given and family name drawn with `rand` (a `random.Random().random`)."""
        given = self.female if rand() < 0.5 else self.male
        given = given[int(rand() * len(given))]
        return f"{given} {self.family[int(rand() * len(self.family))]}"


def _picker(rand, weights: dict):
    """A draw from `weights` (what random.choices does for one value, without its per-call overhead:
    a national workforce makes half a million draws)."""
    values, cum = list(weights), list(itertools.accumulate(weights.values()))
    total = cum[-1]
    return lambda: values[bisect(cum, rand() * total)]


def _between(rand, low: int, high: int) -> int:
    """An integer from low to high inclusive (random.randint, faster)."""
    return low + int(rand() * (high - low + 1))


PERSON_FIELDS = ("id", "given_name", "middle_names", "family_name", "date_of_birth", "sex", "version")
APPOINTMENT_FIELDS = ("id", "person_id", "organisation_id", "role_type", "service_number", "start_date", "end_date",
                      "end_reason", "station")
RANK_HELD_FIELDS = ("id", "appointment_id", "rank", "start_date", "acting")
CHIEF_OFFICER_FROM = RANK_LADDER.index(Rank.ASSISTANT_CHIEF_CONSTABLE)


def generate_workforce(*, rng: random.Random, names: NamePool, people: int, today: dt.date, now: dt.datetime,
                       progress=None) -> Workforce:
    """Generate `people` people with their appointments and ranks, and write them (see demo.bulk)."""
    forces = {o.code: o for o in Organisation.objects.filter(
        kind__in=[OrganisationKind.TERRITORIAL_FORCE, OrganisationKind.NATIONAL_FORCE])}
    weights = {code: w for code, w in FORCE_WEIGHTS.items() if code in forces}
    codes = list(weights)
    total_weight = sum(weights.values())
    rand = rng.random
    pick_force, pick_role = _picker(rand, weights), _picker(rand, ROLE_WEIGHTS)
    pick_rank, pick_leaving = _picker(rand, RANK_WEIGHTS), _picker(rand, LEAVING_WEIGHTS)
    numbers = {code: Appointment.objects.filter(organisation=forces[code]).count() for code in codes}
    # Each force's first officers generated are its chief officers (one CC, one DCC, ACCs by size),
    # where the force is large enough in this sample for that to be plausible.
    chiefs_left = {}
    for code in codes:
        expected_officers = people * 0.7 * weights[code] / total_weight
        acc = max(1, round(4 * weights[code] / 34000))
        chiefs_left[code] = ([Rank.CHIEF_CONSTABLE, Rank.DEPUTY_CHIEF_CONSTABLE] + [Rank.ASSISTANT_CHIEF_CONSTABLE] * acc
                             if expected_officers >= 50 else [])
    result = Workforce(by_force={forces[c].id: [] for c in codes})
    ids = {model: Ids(model) for model in (Person, Appointment, RankHeld)}
    person_ids, appointment_ids, rank_ids = ids[Person], ids[Appointment], ids[RankHeld]
    people_table = Table(Person, PERSON_FIELDS, now=now)
    appointments_table = Table(Appointment, APPOINTMENT_FIELDS, now=now)
    ranks_table = Table(RankHeld, RANK_HELD_FIELDS, now=now)
    prefixes = {RoleType.OFFICER: "", RoleType.STAFF: "S", RoleType.SPECIAL: "SC"}
    by_force = result.by_force
    timedelta = dt.timedelta

    def appoint(sink, person_id, code, role_type, rank, start, end, reason, name):
        org = forces[code]
        numbers[code] += 1
        number = f"{prefixes[role_type]}{100000 + numbers[code]}"
        station = STATIONS[int(rand() * len(STATIONS))]
        appointment_id = appointment_ids.take()
        sink.add(appointments_table, (appointment_id, person_id, org.id, role_type, number, start, end, reason,
                                      f"{station} ({code})"))
        # Rank history: staff hold the staff grade; officers climb the ladder to their rank (chief
        # officers usually join the force at rank, so their ladder starts lower); specials are constables.
        if role_type == RoleType.STAFF:
            steps = [Rank.STAFF_GRADE]
        elif role_type == RoleType.OFFICER:
            top = RANK_LADDER.index(rank)
            steps = RANK_LADDER[max(0, top - 2) if top >= CHIEF_OFFICER_FROM else 0: top + 1]
        else:
            steps = [Rank.CONSTABLE]
        span = max(((end or today) - start).days, 0)
        for i, step in enumerate(steps):
            day = start + timedelta(days=span * i // len(steps)) if i else start
            sink.add(ranks_table, (rank_ids.take(), appointment_id, step, day, False))
        by_force[org.id].append(Serving(person_id, role_type, number, rank, start, end, name, station))
        result.appointments += 1

    with Writer() as writer:
        sink = Sink(writer)
        for n in range(people):
            code = pick_force()
            role_type = pick_role()
            sex = "M" if rand() < (0.65 if role_type == RoleType.OFFICER else 0.4) else "F"
            given, middle, family = names.person(sex)
            age_at_start = _between(rand, 18, 45)
            start = today - timedelta(days=_between(rand, 30, 30 * 365))
            dob = start - timedelta(days=age_at_start * 365 + _between(rand, 0, 364))
            if role_type == RoleType.OFFICER:
                pending = chiefs_left[code]
                rank = pending.pop(0) if pending else pick_rank()
            else:
                rank = Rank.STAFF_GRADE if role_type == RoleType.STAFF else Rank.CONSTABLE
            person_id = person_ids.take()
            sink.add(people_table, (person_id, given, middle, family, dob, sex, 1))
            name = f"{given} {family}"
            roll = rand()
            served = (today - start).days
            if roll < TRANSFER_SHARE and served > 400:
                moved = start + timedelta(days=_between(rand, 180, served - 30))
                other = pick_force()
                other = other if other != code else rng.choice([c for c in codes if c != code])
                appoint(sink, person_id, code, role_type, rank, start, moved, EndReason.TRANSFERRED, name)
                appoint(sink, person_id, other, role_type, rank, moved + timedelta(days=1), None, "", name)
            elif roll < TRANSFER_SHARE + LEAVER_SHARE and served > 60:
                left = start + timedelta(days=_between(rand, 30, served - 1))
                reason = pick_leaving()
                appoint(sink, person_id, code, role_type, rank, start, left, reason, name)
            else:
                appoint(sink, person_id, code, role_type, rank, start, None, "", name)
            result.people += 1
            if progress and n % 1000 == 999:
                progress(1000)
        sink.flush()
    for model_ids in ids.values():
        model_ids.commit_sequence()
    result.rows = dict(writer.written)
    if progress:
        progress(people % 1000)
    return result
