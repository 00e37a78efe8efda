"""Alert latency: from the commit of a serious allegation to a local webhook receiver holding the signed
notification, while serious allegations are recorded at a steady rate (issue #4 §5: p95 < 2 s at
50 allegations/s for 5 minutes), on PostgreSQL.

    python benchmarks/notification_latency.py --rate 50 --seconds 300 \
        --database-url postgres://postgres@127.0.0.1:5432/forewarn_latency

Drops and recreates the named database and migrates. Creates a fictional workforce (serving officers
in several forces, some with open vetting applications elsewhere) and a signed webhook endpoint for
every force's professional standards department and vetting unit, all pointing at a local receiver
(a separate process that verifies each signature and records each idempotency key with the time it
arrived). Starts `forewarn worker` as a separate process, then records serious allegations through
the same services the web and API call (`allegation_add`, `subject_add`: real transactions, audit
events and outbox rows) from several processes, on a fixed schedule. An allegation's commit time is
taken when `subject_add` returns (after COMMIT); each webhook's latency is its arrival time at the
receiver minus that. Appends the figures, machine and date to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
SECRET = "benchmark-webhook-secret-0123456789abcdef"
FORCES = ["KEN", "SUS", "ESS", "HAM", "TVP", "SUR"]


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def _fresh_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the receiver (a process of its own, so it does not compete for this one's interpreter) ----------
def receiver_main(port: int, log_path: str) -> None:
    """Verify each signed POST and append `key alert_id arrival_time` to the log."""
    import hashlib
    import hmac
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    log = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the server
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            arrived = time.time()
            timestamp = self.headers.get("X-Forewarn-Timestamp", "")
            expected = "v1=" + hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, self.headers.get("X-Forewarn-Signature", "")):
                self.send_response(401)
                self.end_headers()
                return
            alert_id = json.loads(body)["alert"]["id"]
            with lock:
                log.write(f"{self.headers.get('Idempotency-Key')} {alert_id} {arrived:.6f}\n")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


# -- the run -----------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="Serious allegations recorded per second.")
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=3, help="Processes recording allegations.")
    parser.add_argument("--workers", type=int, default=1, help="`forewarn worker` processes.")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/forewarn_latency")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--receiver", nargs=2, metavar=("PORT", "LOG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        receiver_main(int(args.receiver[0]), args.receiver[1])
        return

    _fresh_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("FOREWARN_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forewarn.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.db.models import Count

    from forewarn.cases import services as case_services
    from forewarn.cases.models import Case, CaseStatus, CaseType
    from forewarn.core.regimes import regime_for
    from forewarn.organisations.models import Organisation, Role, User, UserRole
    from forewarn.register.models import Alert, Application, OutboxMessage, WebhookEndpoint
    from forewarn.workforce.models import Appointment, Person

    call_command("migrate", interactive=False, verbosity=0)
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=[*FORCES, "MET"])}
    recorder = User.objects.create(username="bench-recorder", organisation=orgs["MET"])
    UserRole.objects.create(user=recorder, role=Role.CASE_HANDLER)
    people = Person.objects.bulk_create([Person(given_name=f"Bench{i}", family_name=f"Officer{i}",
                                                date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=i % 5000))
                                         for i in range(args.people)])
    Appointment.objects.bulk_create([Appointment(person=p, organisation=orgs[FORCES[i % len(FORCES)]],
                                                 service_number=f"B{i:06d}", start_date=dt.date(2015, 1, 5))
                                     for i, p in enumerate(people)])
    # One person in ten also has an open vetting application with another force (a third recipient).
    Application.objects.bulk_create([Application(person=p, organisation=orgs[FORCES[(i + 1) % len(FORCES)]],
                                                 kind="vetting", opened_on=dt.date(2026, 1, 5))
                                     for i, p in enumerate(people) if i % 10 == 0])
    port = _free_port()
    for code in FORCES:
        for unit in ("standards", "vetting"):
            WebhookEndpoint.objects.create(organisation=orgs[code], unit=unit, secret=SECRET,
                                           url=f"http://127.0.0.1:{port}/{code.lower()}/{unit}")
    total = int(args.rate * args.seconds)
    cases = Case.objects.bulk_create([
        Case(organisation=orgs["MET"], reference=f"MET-2026-{i:05d}", case_type=CaseType.COMPLAINT,
             status=CaseStatus.RECEIVED, status_since=dt.date(2026, 1, 5), regime=regime_for(dt.date(2026, 1, 5)),
             came_to_attention_on=dt.date(2026, 1, 5), summary="Fictional benchmark case.")
        for i in range(total + 1)])
    connection.close()

    log_path = ROOT / "var" / f"latency-{os.getpid()}.log"
    log_path.parent.mkdir(exist_ok=True)
    log_path.write_text("")
    env = {**os.environ, "FOREWARN_OUTBOX_BACKOFF_SECONDS": "1"}
    receiver = subprocess.Popen([sys.executable, __file__, "--receiver", str(port), str(log_path)], env=env)
    forewarn = str(Path(sys.executable).with_name("forewarn"))
    workers = [subprocess.Popen([forewarn, "worker", "--poll-interval", "0.2"], env=env,
                                stdout=subprocess.DEVNULL) for _ in range(args.workers)]
    time.sleep(2)  # let the receiver and workers start listening before the clock starts

    case_ids = [c.id for c in cases]
    person_ids = [p.id for p in people]
    started = time.time() + 1.0
    results = multiprocessing.get_context("fork").Queue()

    def record(k: int) -> None:
        """Process k of n records allegations k, k + n, k + 2n… on the shared schedule (forked: each
        process has its own interpreter and database connection, so Python's lock does not cap the rate)."""
        committed: dict[int, float] = {}
        behind: list[float] = []
        for i in range(k, total, args.processes):
            delay = started + i / args.rate - time.time()
            if delay > 0:
                time.sleep(delay)
            else:
                behind.append(-delay)
            allegation = case_services.allegation_add(
                actor=recorder, case_id=case_ids[i], category="sexual_conduct", subcategory="Sexual harassment",
                standards=["SPB-DC"], description="Fictional benchmark allegation.")
            subject = case_services.subject_add(actor=recorder, allegation_id=allegation.id,
                                                person_id=person_ids[i % len(person_ids)])
            committed[subject.id] = time.time()
        connections.close_all()
        results.put((committed, behind))

    connections.close_all()
    recorders = [multiprocessing.get_context("fork").Process(target=record, args=(k,)) for k in range(args.processes)]
    for r in recorders:
        r.start()
    committed: dict[int, float] = {}
    behind: list[float] = []
    for _ in recorders:
        done, late = results.get()
        committed.update(done)
        behind += late
    for r in recorders:
        r.join()
    recorded_seconds = time.time() - started
    expected = OutboxMessage.objects.filter(channel="webhook").count()
    deadline = time.time() + 120
    while time.time() < deadline and sum(1 for _ in log_path.open()) < expected:
        time.sleep(0.5)
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        w.wait(timeout=30)
    receiver.terminate()

    subject_of = dict(Alert.objects.values_list("id", "subject_allegation_id"))
    arrivals: dict[str, tuple[int, float]] = {}
    seen = 0
    for line in log_path.read_text().splitlines():
        key, alert_id, arrived = line.split()
        seen += 1
        arrivals.setdefault(key, (int(alert_id), float(arrived)))
    latencies = sorted((arrived - committed[subject_of[alert_id]]) * 1000
                       for alert_id, arrived in arrivals.values() if subject_of.get(alert_id) in committed)
    statuses = dict(OutboxMessage.objects.filter(channel="webhook").values("status").annotate(n=Count("id"))
                    .values_list("status", "n"))
    p = (lambda q: latencies[max(0, int(len(latencies) * q) - 1)]) if latencies else (lambda q: float("nan"))
    achieved = len(committed) / recorded_seconds
    met = "met" if latencies and p(0.95) < 2000 and achieved >= args.rate * 0.95 else "not met"
    summary = (f"{len(committed):,} serious allegations in {recorded_seconds:.0f} s ({achieved:.1f}/s; "
               f"scheduled {args.rate:g}/s, {len(behind):,} recorded late, worst {max(behind, default=0) * 1000:.0f} ms); "
               f"{expected:,} webhooks owed, {len(arrivals):,} delivered ({seen - len(arrivals)} duplicates seen); "
               f"latency p50 {p(0.5):.0f} ms, p95 {p(0.95):.0f} ms, p99 {p(0.99):.0f} ms, max {p(1.0):.0f} ms")
    print(summary)
    section = f"""
## Alert latency run of {dt.date.today().isoformat()} — {args.rate:g} serious allegations/s for {args.seconds} s

- Machine: {_machine()}; PostgreSQL {connection.pg_version // 10000} on the same machine; everything
  (database, {args.processes} recording processes, {args.workers} `forewarn worker`, the receiver) shares it.
- Command: `python benchmarks/notification_latency.py --rate {args.rate:g} --seconds {args.seconds} --workers {args.workers}`
- Recorded: {len(committed):,} serious allegations through `allegation_add` + `subject_add` in {recorded_seconds:.0f} s
  (**{achieved:.1f}/s**; {len(behind):,} started behind schedule, worst by {max(behind, default=0) * 1000:.0f} ms).
- Webhooks: {expected:,} owed (the employing force's PSD and vetting unit, plus a vetting unit with an open
  application for one person in ten), {len(arrivals):,} delivered and verified, {seen - len(arrivals)} duplicate
  arrivals; outbox states {statuses}.
- Commit → signed webhook at the receiver: p50 **{p(0.5):.0f} ms**, p95 **{p(0.95):.0f} ms**, p99 {p(0.99):.0f} ms,
  max {p(1.0):.0f} ms. Target p95 < 2 s at 50/s: **{met}**.
"""
    output = Path(args.output)
    with output.open("a", encoding="utf-8") as handle:
        handle.write(section)
    log_path.unlink()
    print(f"Appended to {output}")


if __name__ == "__main__":
    main()
