"""Audit trail benchmark, on PostgreSQL: what auditing costs a request, and how fast the chain verifies.

    python benchmarks/audit.py --database-url postgres://postgres@127.0.0.1:5432/forewarn_audit_bench

1. Overhead per request: times the case-detail API (`GET /api/cases/<id>`, a case with three
   parties, so each request appends four read events to the chain) and, inside each request, the
   time spent appending audit events (`audit.services._append`: chain lock, head read, insert,
   commit). Target: p95 of the audit time per request < 2 ms.
2. `forewarn audit verify` throughput: appends `--events` sealed events by COPY, then times
   `audit.selectors.chain_verify()` over the whole table (on PostgreSQL the database recomputes each
   hash from the stored content and Python compares). Target ≥ 100,000 events/s.

Drops and recreates the named database. Appends a dated section to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from national_scale import _fresh_database, _machine  # noqa: E402 - after the path set-up


def _percentiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[max(int(len(values) * 0.95) - 1, 0)]


def _bulk_events(count: int, *, case_id: int, actor_id: int, organisation_id: int) -> None:
    """Append `count` sealed read events by COPY, in chain order, holding the chain lock."""
    from django.db import connection, transaction
    from django.utils import timezone

    from forewarn.audit import chain
    from forewarn.audit.services import chain_head_locked

    columns = ("occurred_at", "occurred_on", "actor_id", "organisation_id", "kind", "action", "object_type",
               "object_id", "case_id", "from_state", "to_state", "data", "changes", "reason", "correlation_id",
               "ip_address", "user_agent", "prev_hash", "hash")
    sql = f"COPY audit_event ({', '.join(columns)}) FROM STDIN"
    now, today = timezone.now(), timezone.localdate()

    with transaction.atomic():
        head = chain_head_locked()
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for start in range(0, count, 50_000):
                rows = [{"occurred_at": now, "occurred_on": today, "actor_id": actor_id,
                         "organisation_id": organisation_id, "kind": "read", "action": "case.read",
                         "object_type": "cases.case", "object_id": case_id, "case_id": case_id,
                         "reason": "", "correlation_id": f"bench{start + i:012d}", "ip_address": "10.0.0.1",
                         "user_agent": "benchmark", "data": {"n": start + i}}
                        for i in range(min(50_000, count - start))]
                head = chain.seal(rows, head)
                for row in rows:
                    copy.write_row([row[c] for c in columns])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/forewarn_audit_bench")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()

    _fresh_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    # As in production: debug off (debug mode logs every query, which costs more than the audit).
    os.environ["FOREWARN_DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-" + os.urandom(24).hex())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forewarn.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from forewarn.audit import services as audit_services
    from forewarn.audit.models import Event
    from forewarn.audit.selectors import chain_verify
    from forewarn.cases.services import case_record, party_add
    from forewarn.organisations.models import Organisation, Role, User, UserRole
    from forewarn.organisations.services import api_token_issue

    call_command("migrate", interactive=False, verbosity=0)
    met = Organisation.objects.get(code="MET")
    user = User.objects.create(username="bench-handler", organisation=met)
    UserRole.objects.create(user=user, role=Role.CASE_HANDLER)
    case = case_record(actor=user, case_type="complaint", came_to_attention_on=dt.date(2026, 1, 5),
                       summary="Benchmark complaint (fictional).")
    for name in ("Ann Example", "Bob Example", "Cy Example"):
        party_add(actor=user, case_id=case.id, role="witness", full_name=name)
    _, secret = api_token_issue(actor=user, user_id=user.id, name="bench", scopes=["read"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_HOST="127.0.0.1")

    # 1. Audit time inside each request.
    spent: list[float] = []
    original = audit_services._append

    def timed_append(rows, **kwargs):
        started = time.perf_counter()
        try:
            return original(rows, **kwargs)
        finally:
            spent.append((time.perf_counter() - started) * 1000)

    audit_services._append = timed_append
    per_request, totals, statuses = [], [], {}
    for _ in range(args.requests):
        spent.clear()
        started = time.perf_counter()
        response = client.get(f"/api/cases/{case.id}")
        totals.append((time.perf_counter() - started) * 1000)
        per_request.append(sum(spent))
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    audit_services._append = original
    reads_per_request = Event.objects.filter(kind="read").count() / args.requests
    audit_p50, audit_p95 = _percentiles(per_request)
    total_p50, total_p95 = _percentiles(totals)
    if set(statuses) != {200}:
        raise SystemExit(f"requests failed: {statuses}")
    print(f"audit per request: p50 {audit_p50:.2f} ms, p95 {audit_p95:.2f} ms "
          f"(request p50 {total_p50:.1f} ms, p95 {total_p95:.1f} ms; {reads_per_request:.0f} read events each)")

    # 2. Verification throughput.
    started = time.perf_counter()
    _bulk_events(args.events, case_id=case.id, actor_id=user.id, organisation_id=met.id)
    load_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE audit_event")
    total_events = Event.objects.count()
    started = time.perf_counter()
    result = chain_verify()
    verify_seconds = time.perf_counter() - started
    rate = result.checked / verify_seconds
    print(f"verify: {result.checked:,} events in {verify_seconds:.1f} s = {rate:,.0f} events/s, ok={result.ok}")
    assert result.ok and result.checked == total_events

    section = f"""
## Audit trail — run of {dt.date.today().isoformat()}

- Machine: {_machine()}; PostgreSQL {connection.pg_version // 10000} on the same machine; debug off; load average
  before the run {os.getloadavg()[0]:.1f} (other work was running on the machine).
- Command: `python benchmarks/audit.py --requests {args.requests} --events {args.events}`

| measure | p50 | p95 | target |
|---|---|---|---|
| audit time inside one case-detail API request ({reads_per_request:.0f} read events: case + 3 parties; statuses {statuses}) | {audit_p50:.2f} ms | {audit_p95:.2f} ms | p95 < 2 ms: **{"met" if audit_p95 < 2 else "not met"}** |
| whole request, for scale | {total_p50:.1f} ms | {total_p95:.1f} ms | |

- `forewarn audit verify` (`chain_verify`): {result.checked:,} events in {verify_seconds:.1f} s =
  **{rate:,.0f} events/s** (target ≥ 100,000/s: **{"met" if rate >= 100_000 else "not met"}**); chain intact.
  The {args.events:,} events were sealed and written by COPY in {load_seconds:.1f} s
  ({args.events / load_seconds:,.0f} events/s).
"""
    with Path(args.output).open("a", encoding="utf-8") as handle:
        handle.write(section)
    print(f"Appended to {args.output}")


if __name__ == "__main__":
    main()
