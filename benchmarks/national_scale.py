"""National-scale benchmark: load rate and page/API latency at national volume, on PostgreSQL.

    python benchmarks/national_scale.py --people 150000 --allegations 1000000 \
        --database-url postgres://postgres@127.0.0.1:5432/forewarn_bench

Drops and recreates the named database, migrates, generates fictional data with the demo
generator (three times by default, `--loads`, each into a fresh database: on a shared virtual
machine one load varies by about 10%, so the median is reported with each load), reports the load rate (allegations/s = allegations loaded / wall seconds of the load,
with and without the workforce stage), the load's stages and the CPU seconds each process spent,
verifies the audit hash chain over the loaded events, then times ~200 requests each of a case
page, a person page, the case-list API and the register's cross-force person history API with django.test.Client (signed in as a Metropolitan
Police professional standards user) and appends the figures, with the machine, its load average
and the date, to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
        ram = f"{kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration):
        ram = "RAM unknown"
    return f"{cpu}, {os.cpu_count()} cores, {ram}, Python {platform.python_version()}"


def _fresh_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _load_average() -> str:
    return " / ".join(f"{n:.2f}" for n in os.getloadavg())


def _backend_cpu(pid: int) -> float | None:
    """CPU seconds of a local PostgreSQL backend (None when the server is not on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sign_in(client, user) -> None:
    """A session as the two sign-in steps leave it: password, then the demo user's authenticator."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from forewarn.organisations.authentication import otp_confirmed_device, session_start

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = otp_confirmed_device(user=user).persistent_id
    session_start(session)
    session.save()


def _time(client, urls: list[str]) -> dict:
    times, statuses = [], {}
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    times.sort()
    return {"n": len(times), "p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1],
            "statuses": statuses}


def _load(args) -> dict:
    """Generate the data set into the (fresh, migrated) database: the load's figures, audit chain verified."""
    import resource

    from django.db import connection

    from forewarn.audit.selectors import chain_verify
    from forewarn.demo import generate

    print(f"Generating {args.people:,} people and about {args.allegations:,} allegations…", flush=True)
    load_before = _load_average()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu_before = (time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN), _backend_cpu(backend))
    result = generate(people=args.people, allegations=args.allegations, seed=args.seed)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    backend_after = _backend_cpu(backend)
    cpu = {"this process (workforce, sealing the audit events, COPY thread)": time.process_time() - cpu_before[0],
           "worker processes (cases)": children.ru_utime + children.ru_stime - cpu_before[1].ru_utime
           - cpu_before[1].ru_stime}
    if backend_after is not None:
        cpu["PostgreSQL backend (COPY, index builds, constraint checks; not its parallel index workers)"] = (
            backend_after - cpu_before[2])
    load_after = _load_average()
    with connection.cursor() as cursor:
        # What autovacuum does soon after a bulk load in production: statistics, and the visibility
        # map that lets counts be answered from an index alone. Not counted in the load time.
        cursor.execute("VACUUM ANALYZE")
    started = time.perf_counter()
    verification = chain_verify()
    verify_seconds = time.perf_counter() - started
    if not verification.ok:
        raise SystemExit(f"audit chain broken at event {verification.broken_at}: {verification.problem}")
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.stages.items())
    print(f"Loaded {result.allegations:,} allegations in {result.seconds:.1f} s overall "
          f"({result.allegations_per_second:,.0f}/s); without the workforce stage "
          f"{result.caseload_allegations_per_second:,.0f}/s; stages: {stages}", flush=True)
    print(f"CPU seconds: {', '.join(f'{k} {v:.1f}' for k, v in cpu.items())}; load average before "
          f"{load_before}, after {load_after}; audit chain verified ({verification.checked:,} events, "
          f"{verify_seconds:.1f} s)", flush=True)
    return {"result": result, "cpu": cpu, "stages": stages, "load_before": load_before, "load_after": load_after,
            "verified": verification.checked, "verify_seconds": verify_seconds}


def _loads_text(loads: list[dict]) -> tuple[str, str]:
    """The data set's size, and the load section: each load, their median against the target, the
    median load's stages and CPU."""
    ranked = sorted(loads, key=lambda load: load["result"].allegations_per_second)
    median = ranked[(len(ranked) - 1) // 2]  # the lower median when the count is even
    result = median["result"]
    met = "met" if result.allegations_per_second >= 20_000 else "not met"
    runs = "\n".join(
        f"| {number} | {load['result'].seconds:.1f} | {load['result'].allegations_per_second:,.0f} | "
        f"{load['result'].caseload_allegations_per_second:,.0f} | {load['stages']} | {load['load_before']} |"
        for number, load in enumerate(loads, 1))
    cpu_lines = "\n".join(f"  - {name}: {seconds:.1f} s" for name, seconds in median["cpu"].items())
    text = f"""- Generated: {result.people:,} people, {result.appointments:,} appointments, {result.cases:,} cases,
  {result.allegations:,} allegations ({sum(result.rows.values()):,} rows in all), {len(loads)} times, each
  into a fresh database.
- Load (allegations loaded / wall seconds of the load, to commit), each load:

| load | seconds | allegations/s | without the workforce stage | stages (wall) | load average before |
|---|---|---|---|---|---|
{runs}

- Median of the {len(loads)} loads: **{result.allegations_per_second:,.0f} allegations/s** with the workforce stage
  included ({result.seconds:.1f} s); {result.caseload_allegations_per_second:,.0f} allegations/s without it.
  Target ≥ 20,000 allegations/s: **{met}**.
- CPU seconds spent during the median load:
{cpu_lines}
- Audit chain verified after each load ({median['verified']:,} events, {median['verify_seconds']:.1f} s after the
  median load)."""
    return f"{result.people:,} people, {result.allegations:,} allegations", text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--allegations", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/forewarn_bench")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--skip-load", action="store_true",
                        help="Time the requests against the data set already in the database (no reload).")
    parser.add_argument("--loads", type=int, default=3,
                        help="Load the data set this many times, each into a fresh database, and report each "
                             "load and their median (one load on a shared virtual machine varies by +-10%%); "
                             "the requests are timed against the last.")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("FOREWARN_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forewarn.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from forewarn.cases.models import Case
    from forewarn.demo import demo_users_create
    from forewarn.organisations.models import User
    from forewarn.workforce.models import Appointment

    if args.skip_load:
        from forewarn.cases.models import Allegation
        from forewarn.workforce.models import Person

        call_command("migrate", interactive=False, verbosity=0)
        sizes = f"{Person.objects.count():,} people, {Allegation.objects.count():,} allegations"
        load_text = "- Load: skipped (`--skip-load`: requests timed against the data set already loaded)."
    else:
        loads = []
        for number in range(1, args.loads + 1):
            connection.close()
            _fresh_database(args.database_url)
            call_command("migrate", interactive=False, verbosity=0)
            print(f"Load {number} of {args.loads}:", flush=True)
            loads.append(_load(args))
        sizes, load_text = _loads_text(loads)

    demo_users_create()
    client = Client()
    _sign_in(client, User.objects.get(username="met-psd"))
    rng = random.Random(args.seed)
    met_cases = list(Case.objects.filter(organisation__code="MET").values_list("id", flat=True)[:50_000])
    met_people = list(Appointment.objects.filter(organisation__code="MET").values_list("person_id", flat=True)[:50_000])
    # People with a history (one or more allegations), for the register history API (issue #4 §5).
    from forewarn.cases.models import SubjectAllegation

    with_history = list(SubjectAllegation.objects.filter(person_id__in=met_people[:20_000])
                        .values_list("person_id", flat=True).distinct()[:5_000]) or met_people
    n = args.requests
    timings = {
        "case page `/cases/<id>/`": _time(client, [f"/cases/{rng.choice(met_cases)}/" for _ in range(n)]),
        "person page `/people/<id>/`": _time(client, [f"/people/{rng.choice(met_people)}/" for _ in range(n)]),
        "case-list API `/api/cases`": _time(client, ["/api/cases"] * n),
        "register history API `/api/register/people/<id>` (target p95 < 50 ms)": _time(
            client, [f"/api/register/people/{rng.choice(with_history)}" for _ in range(n)]),
    }
    for name, t in timings.items():
        print(f"{name}: p50 {t['p50']:.1f} ms, p95 {t['p95']:.1f} ms, statuses {t['statuses']}")

    rows = "\n".join(f"| {name} | {t['n']} | {t['p50']:.1f} | {t['p95']:.1f} | "
                     f"{', '.join(f'{k}×{v}' for k, v in sorted(t['statuses'].items()))} |"
                     for name, t in timings.items())
    section = f"""
## Run of {dt.date.today().isoformat()} — {sizes}

- Machine: {_machine()}; PostgreSQL {connection.pg_version // 10000} on the same machine.
- Load average (1/5/15 min) when the requests were timed: {_load_average()}.
- Command: `python benchmarks/national_scale.py --people {args.people} --allegations {args.allegations}{" --skip-load" if args.skip_load else f" --loads {args.loads}"}`
{load_text}

| request (signed in as Met PSD, {n} requests) | n | p50 ms | p95 ms | HTTP statuses |
|---|---|---|---|---|
{rows}
"""
    output = Path(args.output)
    if not output.exists():
        output.write_text("# Benchmarks\n\nFigures are appended by `python benchmarks/national_scale.py`.\n")
    with output.open("a", encoding="utf-8") as handle:
        handle.write(section)
    print(f"Appended to {output}")


if __name__ == "__main__":
    main()
