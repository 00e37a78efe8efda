"""Fictional demonstration data: a national workforce, a case load, demo users and scenario cases.

Everything is seeded (`random.Random(seed)`, Faker en_GB seeded from the same seed) so the same
command gives the same data. No real person appears: names are Faker's.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

DEFAULT_PEOPLE = 20_000
DEFAULT_YEARS = 3


@dataclass
class GenerateResult:
    people: int
    appointments: int
    cases: int
    allegations: int
    seconds: float  # the whole load, from the start to the commit
    rows: dict[str, int] = field(default_factory=dict)
    # Wall seconds by stage: workforce, cases (generated and written), indexes (rebuilt and
    # validated, every loaded table's), commit.
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def workforce_seconds(self) -> float:
        return self.stages.get("workforce", 0.0)

    @property
    def allegations_per_second(self) -> float:
        return self.allegations / self.seconds if self.seconds else 0.0

    @property
    def caseload_allegations_per_second(self) -> float:
        """Allegations per second of the load without the workforce stage (index rebuild and commit included)."""
        seconds = self.seconds - self.workforce_seconds
        return self.allegations / seconds if seconds > 0 else 0.0


# Loads at least this large run with worker processes and rebuild indexes on PostgreSQL.
LARGE_LOAD_CASES = 20_000


def generate(
    *,
    people: int = DEFAULT_PEOPLE,
    years: int = DEFAULT_YEARS,
    seed: int = 1,
    allegations: int | None = None,
    today: dt.date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = None,
    rebuild_indexes: bool | None = None,
) -> GenerateResult:
    """Generate a workforce of `people` and `years` of cases (or about `allegations` allegations).

    `progress(stage, done_increment, total)` is called as work proceeds (for a progress bar).
    `workers`: processes generating cases (default: one per CPU for a large load on a system that
    can fork, else none); the data are the same whatever the number. `rebuild_indexes`: on
    PostgreSQL, drop the loaded tables' secondary indexes and constraints for the load and rebuild
    and re-validate them before commit (default: for a large load). The load takes its tables'
    locks (and the audit chain's) until it commits: other writers to those tables wait.
    """
    from forewarn.audit.models import Event
    from forewarn.audit.services import chain_head_locked
    from forewarn.cases.models import Allegation, Case, Party, SubjectAllegation
    from forewarn.core.models import Clock
    from forewarn.demo import bulk
    from forewarn.demo.caseload import ALLEGATIONS_PER_CASE, cases_for, generate_caseload
    from forewarn.demo.workforce import NamePool, generate_workforce
    from forewarn.workforce.models import Appointment, Person, RankHeld

    if people < 50:
        raise ValueError("people: at least 50")
    started = time.perf_counter()
    today = today or timezone.localdate()
    now = timezone.now()
    rng = random.Random(seed)
    names = NamePool(rng, seed)
    mean = sum(k * w for k, w in ALLEGATIONS_PER_CASE.items()) / sum(ALLEGATIONS_PER_CASE.values())
    n_cases = round(allegations / mean) if allegations else cases_for(people=people, years=years)
    if allegations:
        # Spread the requested volume over enough years to stay near the national rate.
        years = max(1, round(n_cases / max(cases_for(people=people, years=1), 1)))
    large = n_cases >= LARGE_LOAD_CASES
    if workers is None:
        workers = (os.cpu_count() or 1) if large and "fork" in multiprocessing.get_all_start_methods() else 0
    if rebuild_indexes is None:
        rebuild_indexes = large
    entities = [Person, Appointment, RankHeld, Case, Party, Allegation, SubjectAllegation, Clock]
    stages: dict[str, float] = {}
    mark = started

    def stage(name: str) -> None:
        nonlocal mark
        stages[name], mark = time.perf_counter() - mark, time.perf_counter()

    with bulk.gc_paused(), transaction.atomic():
        bulk.load_settings()
        # Lock order as in the services (records, then the chain lock, then the audit table), so a
        # concurrent service call waits for the load instead of deadlocking with it.
        bulk.lock_tables(entities, mode="ACCESS EXCLUSIVE" if rebuild_indexes else "EXCLUSIVE")
        chain_head = chain_head_locked()
        bulk.lock_tables([Event], mode="ACCESS EXCLUSIVE" if rebuild_indexes else "EXCLUSIVE")
        with bulk.indexes_deferred([*entities[3:], Event], enabled=rebuild_indexes):
            workforce_indexes = bulk.DeferredIndexes(entities[:3], enabled=rebuild_indexes)
            workforce = generate_workforce(rng=rng, names=names, people=people, today=today, now=now,
                                           progress=(lambda n: progress("people", n, people)) if progress else None)
            stage("workforce")
            # The workforce's indexes are rebuilt while the worker processes plan the cases.
            caseload = generate_caseload(
                seed=seed, names=names, workforce=workforce, n_cases=n_cases, today=today, window=365 * years,
                now=now, chain_head=chain_head, workers=workers, while_planning=workforce_indexes.rebuild,
                progress=(lambda n: progress("cases", n, n_cases)) if progress else None)
            stage("cases")
        stage("indexes")
    stage("commit")
    return GenerateResult(people=workforce.people, appointments=workforce.appointments, cases=caseload.cases,
                          allegations=caseload.allegations, seconds=time.perf_counter() - started,
                          rows={**workforce.rows, **caseload.rows}, stages=stages)


# -- demo users ----------------------------------------------------------------------------------
# (username, organisation code, roles, what the user is for)
DEMO_USERS = [
    ("met-handler", "MET", ["case_handler"], "Metropolitan Police case handler"),
    ("met-aa", "MET", ["appropriate_authority"], "Metropolitan Police appropriate authority"),
    ("met-investigator", "MET", ["investigator"], "Metropolitan Police investigator"),
    ("met-vetting", "MET", ["vetting_officer"], "Metropolitan Police vetting officer"),
    ("met-panel", "MET", ["panel_member"], "Metropolitan Police misconduct panel member"),
    ("met-admin", "MET", ["administrator"], "Metropolitan Police administrator"),
    ("met-hos", "MET", ["head_of_standards"], "Metropolitan Police head of professional standards"),
    ("kent-handler", "KEN", ["case_handler"], "Kent Police case handler"),
    ("iopc-caseworker", "IOPC", ["iopc_caseworker"], "IOPC caseworker"),
    # The College keeps the barred and advisory lists: publishes, withholds and removes entries.
    ("college-admin", "COP", ["administrator"], "College of Policing administrator (barred and advisory lists)"),
    # Professional standards departments that load the scenario cases (every force role).
    ("met-psd", "MET", ["case_handler", "appropriate_authority", "investigator", "panel_member", "administrator",
                        "head_of_standards"],
     "Metropolitan Police professional standards (all force roles)"),
    ("kent-psd", "KEN", ["case_handler", "appropriate_authority", "investigator", "panel_member", "administrator"],
     "Kent Police professional standards (all force roles)"),
    ("ess-psd", "ESS", ["case_handler", "appropriate_authority", "investigator", "panel_member", "administrator"],
     "Essex Police professional standards (all force roles)"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    organisation: str
    roles: tuple[str, ...]
    description: str
    otp_secret: str = ""  # base32, for an authenticator app; or `forewarn otp code --user NAME`


def demo_users_create() -> list[DemoUser]:
    """Create (or reset) the demo users with fresh random passwords and authenticators; returns their
    sign-in details.

    Every member of staff needs a second factor, demo users too. Each gets a confirmed TOTP device
    whose secret is printed with the password: add it to an authenticator app, or (development only)
    print the current code with `FOREWARN_DEBUG=1 forewarn otp code --user NAME`.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from forewarn.organisations.authentication import DEVICE_NAME, otp_secret_base32
    from forewarn.organisations.models import Organisation, User, UserRole

    created = []
    with transaction.atomic():
        for username, code, roles, description in DEMO_USERS:
            org = Organisation.objects.get(code=code)
            user, _ = User.objects.get_or_create(username=username, defaults={"organisation": org})
            user.organisation = org
            user.first_name, user.last_name = description.split(" ")[0], "(demo)"
            user.email = f"{username}@example.police.uk"
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save()
            UserRole.objects.filter(user=user).exclude(role__in=roles).delete()
            for role in roles:
                UserRole.objects.get_or_create(user=user, role=role)
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
            created.append(DemoUser(username, password, code, tuple(roles), description, otp_secret_base32(device)))
    return created


DEMO_INVESTIGATIONS = 10  # cases under investigation met-investigator is named on
DEMO_PANELS = 3  # open proceedings met-panel sits on


def demo_assignments() -> None:
    """Give the demo investigator and panel member something to see (idempotent).

    Investigators see only the cases they are named on, and panel members only the proceedings they
    sit on while those are open (organisations.permissions), so without this they would see nothing.
    Done through the same services the web app uses, as the Met's professional standards user.
    """
    from forewarn.cases.models import Case, CaseStatus
    from forewarn.cases.restriction import case_participant_add
    from forewarn.organisations.models import User
    from forewarn.organisations.permissions import PANEL_CLOSED_STATUSES
    from forewarn.proceedings.models import Proceeding
    from forewarn.proceedings.panel import panel_member_add

    psd = User.objects.get(username="met-psd")
    investigator = User.objects.get(username="met-investigator")
    panel = User.objects.get(username="met-panel")
    if not investigator.case_participations.exists():
        investigating = [CaseStatus.UNDER_INVESTIGATION, CaseStatus.INVESTIGATION_REPORTED]
        for case_id in (Case.objects.filter(organisation__code="MET", restricted=False, status__in=investigating)
                        .values_list("id", flat=True)[:DEMO_INVESTIGATIONS]):
            case_participant_add(actor=psd, case_id=case_id, user_id=investigator.id, role="investigator")
    if not panel.panel_seats.exists():
        for proceeding_id in (Proceeding.objects.filter(case__organisation__code="MET")
                              .exclude(status__in=PANEL_CLOSED_STATUSES)
                              .values_list("id", flat=True)[:DEMO_PANELS]):
            panel_member_add(actor=psd, proceeding_id=proceeding_id, user_id=panel.id, role="member")


def demo_actors() -> dict:
    """The scenario loaders by organisation code (created by demo_users_create)."""
    from forewarn.organisations.models import User

    by_name = {"MET": "met-psd", "KEN": "kent-psd", "ESS": "ess-psd", "IOPC": "iopc-caseworker"}
    return {code: User.objects.get(username=username) for code, username in by_name.items()}
