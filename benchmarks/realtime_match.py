"""Real-time matching benchmark (issue #5 §4): one new subject against a national workforce.

    python benchmarks/realtime_match.py                       # 150,000 people, PostgreSQL
    python benchmarks/realtime_match.py --database-url sqlite:////tmp/forewarn_realtime.sqlite3

Drops and recreates the named database, migrates, generates a fictional workforce of `--people`
people with the demo generator (and a token caseload), trains the subject model on it (timed), then
matches `--queries` subject descriptions derived from random appointments the way complainants give
them: a family name alone, with a rank title, an initial or the full name; sometimes a collar
number (sometimes with one digit wrong), the station, the rank, an age guessed within a few years,
the sex; the incident date inside the appointment. Each match is `linkage.realtime.propose` end to
end: the blocking queries in the database, building the records, and Splink scoring.

Reports latency (p50, p95, p99, max; the first 10 matches warm caches and are not counted), the
records scored, whether the true person was proposed first or in the top five, and what the default
thresholds would have done (automatic links, and how many were wrong). Replaces this benchmark's
section of docs/benchmarks.md for the same database engine and size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from national_scale import _fresh_database, _load_average, _machine  # noqa: E402

HEADING = "## Real-time matching"
TITLES = {"PC": "PC", "PS": "DS", "INSP": "DI", "CI": "DCI"}


def _description(rng: random.Random, appointment, person, rank: str | None, on: dt.date) -> dict:
    """A complainant's description of the officer serving in `appointment` on `on`."""
    family, given = person.family_name, person.given_name
    form = rng.random()
    if form < 0.35:
        name = family
    elif form < 0.6:
        name = f"{TITLES.get(rank or '', 'PC')} {family}"
    elif form < 0.8:
        name = f"{given[:1]}. {family}"
    else:
        name = f"{given} {family}"
    details = {"name": name, "organisation_code": appointment.organisation.code, "incident_date": on}
    number = (appointment.service_number or "").strip()
    if number and rng.random() < 0.6:
        if rng.random() < 0.1 and len(number) > 2:  # one digit misread
            position = rng.randrange(len(number))
            number = number[:position] + str((int(number[position]) + 1) % 10 if number[position].isdigit() else 7) \
                + number[position + 1:]
        details["number"] = number
    if appointment.station and rng.random() < 0.5:
        details["station"] = appointment.station
    if rank and rng.random() < 0.6:
        details["rank"] = rank
    if person.date_of_birth and rng.random() < 0.7:
        details["approximate_age"] = max(18, on.year - person.date_of_birth.year + rng.randint(-4, 4))
    if person.sex in ("M", "F") and rng.random() < 0.8:
        details["sex"] = person.sex
    return details


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def write_section(output: Path, text: str, *, key: str) -> None:
    """Replace the section for the same key (engine and size), or append."""
    current = output.read_text(encoding="utf-8") if output.exists() else ""
    marker = f"{HEADING} ({key})"
    start = current.find(marker)
    if start >= 0:
        end = current.find("\n## ", start + len(marker))
        current = current[:start].rstrip() + "\n\n" + (current[end + 1:] if end >= 0 else "")
    output.write_text(current.rstrip() + "\n\n" + text.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/forewarn_realtime")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="Print the section only.")
    parser.add_argument("--keep", action="store_true", help="Keep the PostgreSQL database afterwards.")
    parser.add_argument("--skip-load", action="store_true",
                        help="Match against the data already in the database (kept by --keep); no reload.")
    args = parser.parse_args()

    url = args.database_url
    if args.skip_load:
        pass
    elif url.startswith("postgres"):
        _fresh_database(url)
    else:
        Path(urlparse(url).path).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("FOREWARN_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forewarn.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from forewarn.demo import generate
    from forewarn.linkage import realtime
    from forewarn.linkage.identification import AMBIGUITY_MARGIN_BITS
    from forewarn.linkage.models import DEFAULT_AUTO_LINK_THRESHOLD, DEFAULT_REVIEW_THRESHOLD
    from forewarn.linkage.subjects import subject_model_train
    from forewarn.workforce.models import Appointment

    call_command("migrate", interactive=False, verbosity=0)
    from forewarn.linkage.models import SubjectModel
    from forewarn.workforce.models import Person

    if args.skip_load:
        people_total, load_seconds = Person.objects.count(), 0.0
        model, train_seconds = SubjectModel.objects.get(active=True), 0.0
    else:
        started = time.perf_counter()
        people_total = generate(people=args.people, allegations=2_000, seed=args.seed).people
        load_seconds = time.perf_counter() - started
        if connection.vendor == "postgresql":
            # As autovacuum would before long: the planner needs the statistics of a freshly loaded table.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        started = time.perf_counter()
        model = subject_model_train(note="realtime benchmark")
        train_seconds = time.perf_counter() - started

    rng = random.Random(args.seed)
    ids = list(Appointment.objects.filter(role_type="officer").values_list("id", flat=True))
    chosen = rng.sample(ids, min(len(ids), args.queries + 10))
    appointments = {a.pk: a for a in Appointment.objects.filter(pk__in=chosen)
                    .select_related("person", "organisation").prefetch_related("ranks")}
    today = dt.date.today()
    latencies, scored, first, top5, auto, auto_wrong, review, none = [], [], 0, 0, 0, 0, 0, 0
    load_before = _load_average()
    for position, appointment_id in enumerate(chosen):
        appointment = appointments[appointment_id]
        end = appointment.end_date or today
        span = max((end - appointment.start_date).days, 0)
        on = appointment.start_date + dt.timedelta(days=rng.randint(0, span))
        rank = realtime._rank_on([(r.start_date, r.rank) for r in appointment.ranks.all()], on)
        details = realtime.SubjectDetails(**_description(rng, appointment, appointment.person, rank, on))
        began = time.perf_counter()
        proposal = realtime.propose(details)
        elapsed = time.perf_counter() - began
        if position < 10:
            continue
        latencies.append(elapsed * 1000)
        scored.append(proposal.records_scored)
        people = [c.person_id for c in proposal.candidates]
        truth = appointment.person_id
        first += bool(people) and people[0] == truth
        top5 += truth in people
        best = proposal.candidates[0] if proposal.candidates else None
        margin = (best.match_weight - proposal.candidates[1].match_weight if len(proposal.candidates) > 1
                  else float("inf")) if best else 0
        if best and best.probability >= DEFAULT_AUTO_LINK_THRESHOLD and margin >= AMBIGUITY_MARGIN_BITS:
            auto += 1
            auto_wrong += best.person_id != truth
        elif best and best.probability >= DEFAULT_REVIEW_THRESHOLD:
            review += 1
        else:
            none += 1
    n = len(latencies)
    engine = connection.vendor
    key = f"{engine}, {args.people:,} people"
    text = "\n".join([
        f"{HEADING} ({key})",
        "",
        f"- Date: {dt.datetime.now():%Y-%m-%d %H:%M}; machine: {_machine()}; load average before the matches "
        f"{load_before}.",
        f"- Command: `python benchmarks/realtime_match.py --people {args.people} --queries {args.queries} "
        f"--database-url {urlparse(url).scheme}://…`",
        f"- Data: {people_total:,} fictional people ({Appointment.objects.count():,} appointments) generated in "
        f"{load_seconds:.0f} s; subject model v{model.version} trained on {model.people:,} appointment records in "
        f"{train_seconds:.1f} s.",
        f"- {n} matches (after 10 warm-up), each `linkage.realtime.propose` end to end (database blocking, "
        f"records, Splink scoring); records scored per match: median {statistics.median(scored):.0f}, "
        f"max {max(scored)}.",
        "",
        "| p50 | p95 | p99 | max |",
        "|---|---|---|---|",
        f"| {_percentile(latencies, 0.5):.0f} ms | **{_percentile(latencies, 0.95):.0f} ms** | "
        f"{_percentile(latencies, 0.99):.0f} ms | {max(latencies):.0f} ms |",
        "",
        f"- Target p95 ≤ 200 ms: {'met' if _percentile(latencies, 0.95) <= 200 else '**not met**'}.",
        f"- The true officer proposed first in {first}/{n} ({first / n:.1%}), among the top five in {top5}/{n} "
        f"({top5 / n:.1%}).",
        f"- At the default thresholds (auto {DEFAULT_AUTO_LINK_THRESHOLD}, review {DEFAULT_REVIEW_THRESHOLD}, lead "
        f"{AMBIGUITY_MARGIN_BITS:.0f} bits): {auto} linked automatically ({auto_wrong} wrongly), {review} to review, "
        f"{none} with no likely candidate. Descriptions: family name alone 35%, with a rank title 25%, initial 20%, "
        "full name 20%; number 60% (one in ten misread by a digit), station 50%, rank 60%, age ±4 years 70%, "
        "sex 80%.",
    ])
    print(text)
    if not args.no_write:
        write_section(args.output, text, key=key)
    if url.startswith("postgres") and not args.keep:
        connection.close()
        _drop(url)


def _drop(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}"')


if __name__ == "__main__":
    main()
