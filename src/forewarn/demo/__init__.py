"""Fictional demonstration data: a national workforce, a case load, demo users and scenario cases.

Everything is seeded (`random.Random(seed)`, Faker en_GB seeded from the same seed) so the same
command gives the same data. No real person appears: names are Faker's.
"""

from __future__ import annotations

import datetime as dt
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
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def allegations_per_second(self) -> float:
        return self.allegations / self.seconds if self.seconds else 0.0


def generate(
    *,
    people: int = DEFAULT_PEOPLE,
    years: int = DEFAULT_YEARS,
    seed: int = 1,
    allegations: int | None = None,
    today: dt.date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> GenerateResult:
    """Generate a workforce of `people` and `years` of cases (or about `allegations` allegations).

    `progress(stage, done_increment, total)` is called as work proceeds (for a progress bar).
    """
    from forewarn.demo.bulk import Sink
    from forewarn.demo.caseload import ALLEGATIONS_PER_CASE, CaseloadGenerator, cases_for
    from forewarn.demo.workforce import NamePool, generate_workforce

    if people < 50:
        raise ValueError("people: at least 50")
    today = today or timezone.localdate()
    rng = random.Random(seed)
    names = NamePool(rng, seed)
    mean = sum(k * w for k, w in ALLEGATIONS_PER_CASE.items()) / sum(ALLEGATIONS_PER_CASE.values())
    n_cases = round(allegations / mean) if allegations else cases_for(people=people, years=years)
    if allegations:
        # Spread the requested volume over enough years to stay near the national rate.
        years = max(1, round(n_cases / max(cases_for(people=people, years=1), 1)))
    window = 365 * years
    started = time.perf_counter()
    sink = Sink()
    with transaction.atomic():
        workforce = generate_workforce(sink=sink, rng=rng, names=names, people=people, today=today,
                                       progress=(lambda n: progress("people", n, people)) if progress else None)
        sink.flush()
        generator = CaseloadGenerator(sink=sink, rng=rng, names=names, workforce=workforce, today=today)
        for i in range(n_cases):
            generator.case(today - dt.timedelta(days=rng.randint(1, window)))
            if progress and i % 1000 == 999:
                progress("cases", 1000, n_cases)
        sink.flush()
        generator.save_counters()
        if progress:
            progress("cases", n_cases % 1000, n_cases)
    return GenerateResult(people=workforce.people, appointments=workforce.appointments, cases=generator.cases,
                          allegations=generator.allegations, seconds=time.perf_counter() - started,
                          rows=dict(sink.written))


# -- demo users ----------------------------------------------------------------------------------
# (username, organisation code, roles, what the user is for)
DEMO_USERS = [
    ("met-handler", "MET", ["case_handler"], "Metropolitan Police case handler"),
    ("met-aa", "MET", ["appropriate_authority"], "Metropolitan Police appropriate authority"),
    ("met-investigator", "MET", ["investigator"], "Metropolitan Police investigator"),
    ("met-vetting", "MET", ["vetting_officer"], "Metropolitan Police vetting officer"),
    ("met-panel", "MET", ["panel_member"], "Metropolitan Police misconduct panel member"),
    ("met-admin", "MET", ["administrator"], "Metropolitan Police administrator"),
    ("kent-handler", "KEN", ["case_handler"], "Kent Police case handler"),
    ("iopc-caseworker", "IOPC", ["iopc_caseworker"], "IOPC caseworker"),
    # Professional standards departments that load the scenario cases (every force role).
    ("met-psd", "MET", ["case_handler", "appropriate_authority", "investigator", "panel_member", "administrator"],
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


def demo_actors() -> dict:
    """The scenario loaders by organisation code (created by demo_users_create)."""
    from forewarn.organisations.models import User

    by_name = {"MET": "met-psd", "KEN": "kent-psd", "ESS": "ess-psd", "IOPC": "iopc-caseworker"}
    return {code: User.objects.get(username=username) for code, username in by_name.items()}
