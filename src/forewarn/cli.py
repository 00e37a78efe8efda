"""The `forewarn` command line. Thin: every command calls the same services as the web and API.

Domain errors become a one-line message on stderr and exit code 2; bad usage exits 2 (click);
an unexpected error exits 1 with its traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forewarn.settings")
    import django

    django.setup()


class DomainErrorsExit(click.Group):
    """Turn a DomainError anywhere in a command into `error: <code>: <message>` and exit 2."""

    def invoke(self, ctx):
        from forewarn.core.errors import DomainError

        try:
            return super().invoke(ctx)
        except DomainError as exc:
            click.echo(f"error: {exc.code}: {exc.message}", err=True)
            sys.exit(2)


@click.group(cls=DomainErrorsExit)
def main() -> None:
    """Forewarn: police complaints and misconduct, England and Wales."""


@main.command()
def migrate() -> None:
    """Create or update the database schema (and load the organisations)."""
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the web app and API (development server; use a WSGI server such as gunicorn in production)."""
    _setup_django()
    from django.core.management import call_command

    call_command("runserver", f"{host}:{port}", use_reloader=False)


def _actor(username: str):
    """The user a command acts as: the same permission checks as the web and API apply."""
    from forewarn.core.errors import NotFound
    from forewarn.organisations.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(f"No active user '{username}'.", field="user")
    return user


def _progress_bar(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="", leave=False, disable=None)


@main.command()
@click.option("--people", default=20_000, show_default=True, type=click.IntRange(min=50))
@click.option("--years", default=3, show_default=True, type=click.IntRange(1, 30))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--allegations", default=None, type=click.IntRange(min=1),
              help="Generate about this many allegations instead of --years of cases.")
def generate(people: int, years: int, seed: int, allegations: int | None) -> None:
    """Generate a fictional national workforce and case load (seeded, repeatable)."""
    _setup_django()
    result = _generate(people=people, years=years, seed=seed, allegations=allegations)
    click.echo(f"Generated {result.people:,} people ({result.appointments:,} appointments), {result.cases:,} cases, "
               f"{result.allegations:,} allegations in {result.seconds:.1f} s "
               f"({result.allegations_per_second:,.0f} allegations/s).")


def _generate(**kwargs):
    from forewarn.demo import generate as demo_generate

    bars: dict = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            bars[stage] = _progress_bar(total, stage)
        bars[stage].update(done)

    try:
        return demo_generate(progress=progress, **kwargs)
    finally:
        for bar in bars.values():
            bar.close()


@main.command()
@click.option("--people", default=2_000, show_default=True, type=click.IntRange(min=50))
@click.option("--years", default=3, show_default=True, type=click.IntRange(1, 30))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--serve/--no-serve", default=True, help="Serve on 127.0.0.1:8000 afterwards.")
@click.option("--port", default=8000, show_default=True, type=int)
def demo(people: int, years: int, seed: int, serve: bool, port: int) -> None:
    """Set up a demo database in var/ with fictional data, scenario cases and demo users; then serve."""
    os.environ.setdefault("FOREWARN_DEBUG", "1")
    _setup_django()
    from django.core.management import call_command

    from forewarn.demo import demo_actors, demo_assignments, demo_users_create
    from forewarn.demo.scenarios import load_scenarios, scenarios_loaded
    from forewarn.workforce.models import Person

    call_command("migrate", interactive=False, verbosity=0)
    users = demo_users_create()
    # Idempotent: a second run keeps the data and only resets the demo passwords.
    if not Person.objects.exists():
        result = _generate(people=people, years=years, seed=seed)
        click.echo(f"Loaded {result.people:,} people and {result.cases:,} cases "
                   f"({result.allegations:,} allegations) in {result.seconds:.1f} s.")
    if not scenarios_loaded():
        from forewarn.linkage.subjects import subject_model_train

        # The subject model's u probabilities from this workforce, before the scenarios match subjects.
        model = subject_model_train(note="demo workforce")
        click.echo(f"Trained subject model v{model.version} on {model.people:,} appointment records.")
        load_scenarios(demo_actors())
        click.echo("Loaded the scenario cases.")
    demo_assignments()
    click.echo("\nDemo users (fictional; passwords and authenticator keys are new on every run):")
    for user in users:
        click.echo(f"  {user.username:<18} {user.password:<18} {user.description}")
        click.echo(f"  {'':<18} authenticator key {user.otp_secret}")
    click.echo("\nAfter the password, Forewarn asks for a 6-digit code. Add the user's key to an authenticator app,\n"
               "or print the current code with: FOREWARN_DEBUG=1 .venv/bin/forewarn otp code --user met-psd")
    if serve:
        click.echo(f"\nServing on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)


def _parse_map(value: str) -> dict[str, str]:
    mapping = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        field, sep, column = part.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise click.BadParameter(f"'{part}' is not field=column", param_hint="--map")
        mapping[field.strip()] = column.strip()
    return mapping


@main.command(name="import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--map", "mapping", required=True, help="field=column,… e.g. given_name=Forename,family_name=Surname")
@click.option("--organisation", default=None, help="Force code for every row (e.g. MET).")
@click.option("--date-format", default="%Y-%m-%d", show_default=True)
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="Act as this administrator (or FOREWARN_USER).")
def import_people(path: str, mapping: str, organisation: str | None, date_format: str, dry_run: bool,
                  user: str) -> None:
    """Import a workforce roster (CSV): all rows or none."""
    fields = _parse_map(mapping)
    _setup_django()
    from forewarn.workforce.services import people_import_csv

    bar = _progress_bar(0, "importing")
    try:
        result = people_import_csv(actor=_actor(user), path=path, mapping=fields, organisation_code=organisation,
                                   date_format=date_format, dry_run=dry_run,
                                   progress=lambda done: bar.update(done - bar.n))
    finally:
        bar.close()
    verb = "would import" if result.dry_run else "imported"
    click.echo(f"{Path(path).name}: {result.rows:,} rows valid; {verb} {result.rows:,} people.")


@main.command()
@click.option("--organisation", default=None, help="Only this force's cases (code, e.g. KEN).")
@click.option("--overdue", is_flag=True, help="Only steps past their due date.")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="Act as this user (or FOREWARN_USER).")
def clocks(organisation: str | None, overdue: bool, user: str) -> None:
    """List open (or overdue) statutory steps on the cases you may see."""
    _setup_django()
    from django.utils import timezone

    from forewarn.cases.selectors import open_clocks, overdue_clocks
    from forewarn.core.clocks import CLOCK_RULES, ClockKind
    from forewarn.core.errors import ValidationFailed
    from forewarn.organisations.models import Organisation

    actor = _actor(user)
    org_id = None
    if organisation:
        org = Organisation.objects.filter(code=organisation.upper()).first()
        if org is None:
            raise ValidationFailed(f"organisation: no organisation with code '{organisation}'.", field="organisation")
        org_id = org.id
    today = timezone.localdate()
    rows = overdue_clocks(actor=actor, organisation_id=org_id) if overdue else open_clocks(actor=actor)
    if org_id and not overdue:
        rows = rows.filter(case__organisation_id=org_id)
    count = 0
    for clock in rows.select_related("case").iterator(chunk_size=2000):
        rule = CLOCK_RULES.get(ClockKind(clock.kind)) if clock.kind in ClockKind.values else None
        late = (today - clock.due_on).days
        state = f"{late} days overdue" if late > 0 and (rule is None or rule.is_task) else f"due {clock.due_on}"
        label = ClockKind(clock.kind).label if rule else clock.kind
        click.echo(f"{clock.case.reference:<18} {label:<50} {state}")
        count += 1
    click.echo(f"{count} {'overdue' if overdue else 'open'} step(s).")


@main.command()
@click.option("--output", default="docs/lifecycle.md", show_default=True)
def diagrams(output: str) -> None:
    """Write the lifecycle diagrams generated from the transition tables."""
    _setup_django()
    try:
        from forewarn.core.diagrams import write_lifecycle_docs
    except ImportError:
        click.echo("error: the diagrams module is not available in this version.", err=True)
        sys.exit(1)
    click.echo(f"Wrote {write_lifecycle_docs(output)}")


@main.group()
def token() -> None:
    """API tokens: bearer secrets bound to a user, scoped, revocable, stored only as a hash."""


@token.command(name="issue")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="Act as this user (or FOREWARN_USER).")
@click.option("--for-user", "for_user", default=None, help="Issue for another user (administrators only).")
@click.option("--name", required=True, help="What the token is for, e.g. 'case export script'.")
@click.option("--scopes", default="read", show_default=True, help="Comma-separated: read, write.")
def token_issue(user: str, for_user: str | None, name: str, scopes: str) -> None:
    """Issue a token and print its secret once."""
    _setup_django()
    from forewarn.organisations.services import api_token_issue

    actor = _actor(user)
    holder = _actor(for_user) if for_user else actor
    issued, secret = api_token_issue(actor=actor, user_id=holder.pk, name=name,
                                     scopes=[s.strip() for s in scopes.split(",") if s.strip()])
    click.echo(f"Token {issued.pk} ({issued.prefix}…) for {holder.username}, scopes {', '.join(issued.scopes)}.")
    click.echo("Secret (shown once; send it as 'Authorization: Bearer <secret>'):")
    click.echo(secret)


@token.command(name="revoke")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="Act as this user (or FOREWARN_USER).")
@click.argument("token_id", type=int)
def token_revoke(user: str, token_id: int) -> None:
    """Revoke a token at once."""
    _setup_django()
    from forewarn.organisations.services import api_token_revoke

    api_token_revoke(actor=_actor(user), token_id=token_id)
    click.echo(f"Token {token_id} revoked.")


@main.group()
def otp() -> None:
    """Two-factor sign-in: reset a user's authenticator; print a demo user's code (development only)."""


@main.group()
def register() -> None:
    """The national register: which allegations count as serious."""


@register.command(name="rules")
def register_rules() -> None:
    """List the serious-allegation rules and whether each is on."""
    _setup_django()
    from forewarn.register.models import AlertRule

    for rule in AlertRule.objects.order_by("field", "value"):
        click.echo(f"{'on ' if rule.enabled else 'off'}  {rule.field:<18} {rule.value!r:<40} {rule.description}")


@register.command(name="rule-set")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="An administrator of the IOPC or the College.")
@click.option("--field", required=True, help="category, subcategory, standard, flag, mandatory_referral or severity.")
@click.option("--value", required=True, help="The value matched ('*' for any mandatory referral category).")
@click.option("--description", default="", help="In words (required for a new rule).")
@click.option("--on/--off", "enabled", default=True, show_default=True)
def register_rule_set(user: str, field: str, value: str, description: str, enabled: bool) -> None:
    """Add a serious-allegation rule, or switch one on or off (audited)."""
    _setup_django()
    from forewarn.register.alerts import alert_rule_set

    rule = alert_rule_set(actor=_actor(user), field=field, value=value, enabled=enabled, description=description)
    click.echo(f"Rule {rule.field} = {rule.value!r} is {'on' if rule.enabled else 'off'}.")


@otp.command(name="reset")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="Act as this administrator (or FOREWARN_USER).")
@click.option("--for-user", "for_user", required=True, help="The user whose authenticator is lost or replaced.")
@click.option("--reason", required=True, help="Why, for the audit trail (e.g. 'phone lost, ticket 123').")
def otp_reset(user: str, for_user: str, reason: str) -> None:
    """Remove a user's authenticator; they set up a new one at their next sign-in."""
    _setup_django()
    from forewarn.organisations.authentication import otp_device_reset

    target = _actor(for_user)
    otp_device_reset(actor=_actor(user), user_id=target.pk, reason=reason)
    click.echo(f"Authenticator reset for {target.username}: they will set up a new one at their next sign-in.")


@otp.command(name="code")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="The (demo) user whose current code to print.")
def otp_code(user: str) -> None:
    """Print the 6-digit code a user's authenticator shows now (FOREWARN_DEBUG=1 only: for the demo)."""
    _setup_django()
    from forewarn.organisations.authentication import otp_current_code

    click.echo(otp_current_code(user=_actor(user)))


@main.command()
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--poll-interval", default=0.5, show_default=True, type=click.FloatRange(min=0.01),
              help="Seconds between looks at the outbox when idle (PostgreSQL also wakes at once on new rows).")
@click.option("--batch", default=20, show_default=True, type=click.IntRange(1, 1000),
              help="Messages claimed at a time.")
def worker(once: bool, poll_interval: float, batch: int) -> None:
    """Deliver register alerts (e-mail, signed webhooks) and escalate unacknowledged ones; Ctrl-C stops."""
    _setup_django()
    from forewarn.register.worker import Worker, WorkerOptions

    Worker(WorkerOptions(poll_interval=poll_interval, batch=batch, once=once),
           report=lambda line: click.echo(line, err=False)).run()


@main.group()
def outbox() -> None:
    """The register's outbox: delivery status, dead letters, retries (server operators)."""


@outbox.command(name="status")
def outbox_status_command() -> None:
    """Counts by status and channel, and the age of the oldest message waiting."""
    _setup_django()
    from forewarn.register.delivery import outbox_status

    status = outbox_status()
    if not status.counts:
        click.echo("The outbox is empty.")
        return
    click.echo(f"{'status':<10} {'channel':<8} {'messages':>9}")
    for (state, channel), count in sorted(status.counts.items()):
        click.echo(f"{state:<10} {channel:<8} {count:>9,}")
    age = status.oldest_pending_age
    click.echo("Oldest pending: " + (f"{age.total_seconds():,.0f} s ago" if age is not None else "none")
               + f"; being delivered now: {status.leased}.")


@outbox.command(name="dead")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
def outbox_dead(limit: int) -> None:
    """List dead letters: messages given up after repeated failures, and why."""
    _setup_django()
    from forewarn.register.delivery import outbox_dead_list

    rows = outbox_dead_list(limit=limit)
    for message in rows:
        target = message.email if message.channel == "email" else getattr(message.endpoint, "url", "?")
        click.echo(f"{message.pk:>8} {message.channel:<7} {message.purpose:<10} {target} "
                   f"attempts={message.attempts} created={message.created_at:%Y-%m-%d %H:%M} "
                   f"error: {message.last_error}")
    click.echo(f"{len(rows)} dead letter(s).")


@outbox.command(name="retry")
@click.option("--id", "message_id", type=click.IntRange(min=1), default=None, help="One message.")
@click.option("--all-dead", is_flag=True, help="Every dead letter.")
def outbox_retry_command(message_id: int | None, all_dead: bool) -> None:
    """Put dead letters (or a waiting message) back to pending with attempts reset; audited."""
    if (message_id is None) == (not all_dead):
        raise click.UsageError("give either --id N or --all-dead")
    _setup_django()
    from forewarn.register.delivery import outbox_retry

    retried = outbox_retry(message_id=message_id, all_dead=all_dead)
    click.echo(f"{len(retried)} message(s) back to pending: " + (", ".join(str(m.pk) for m in retried) or "none"))


@outbox.command(name="purge")
@click.option("--keep-days", type=click.IntRange(min=1), default=None,
              help="Delete messages delivered more than this many days ago [default: FOREWARN_OUTBOX_KEEP_DAYS].")
def outbox_purge_command(keep_days: int | None) -> None:
    """Delete delivered messages past the keeping period (the worker does this hourly); pending and dead
    messages are kept."""
    _setup_django()
    from django.conf import settings

    from forewarn.register.delivery import outbox_purge

    days = keep_days if keep_days is not None else settings.FOREWARN_OUTBOX_KEEP_DAYS
    if days == 0:
        click.echo("FOREWARN_OUTBOX_KEEP_DAYS is 0: delivered messages are kept; nothing purged.")
        return
    click.echo(f"{outbox_purge(keep_days=days):,} delivered message(s) older than {days} days purged.")


@main.group()
def webhook() -> None:
    """Webhook endpoints of your organisation's units (administrators): add, list, rotate, deactivate."""


def _echo_endpoint(endpoint) -> None:
    state = "active" if endpoint.active else "inactive"
    click.echo(f"{endpoint.pk:>6} {endpoint.unit:<10} {state:<9} {endpoint.url}")


@webhook.command(name="add")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="Act as this administrator (or FOREWARN_USER).")
@click.option("--unit", required=True, type=click.Choice(["standards", "vetting"]))
@click.option("--url", required=True, help="The receiver's https URL.")
def webhook_add(user: str, unit: str, url: str) -> None:
    """Register a receiver and print its signing secret once."""
    _setup_django()
    from forewarn.register.delivery import webhook_endpoint_create

    endpoint, secret = webhook_endpoint_create(actor=_actor(user), unit=unit, url=url)
    _echo_endpoint(endpoint)
    click.echo("Signing secret (shown once; verify X-Forewarn-Signature with it, see docs/notifications.md):")
    click.echo(secret)


@webhook.command(name="list")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="Act as this administrator (or FOREWARN_USER).")
def webhook_list(user: str) -> None:
    """Your organisation's endpoints (secrets are never shown again)."""
    _setup_django()
    from forewarn.register.delivery import webhook_endpoints_for_actor

    endpoints = webhook_endpoints_for_actor(actor=_actor(user))
    for endpoint in endpoints:
        _echo_endpoint(endpoint)
    click.echo(f"{len(endpoints)} endpoint(s).")


@webhook.command(name="rotate")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="Act as this administrator (or FOREWARN_USER).")
@click.option("--id", "webhook_id", required=True, type=click.IntRange(min=1))
def webhook_rotate(user: str, webhook_id: int) -> None:
    """Replace an endpoint's signing secret and print the new one once."""
    _setup_django()
    from forewarn.register.delivery import webhook_endpoint_rotate

    endpoint, secret = webhook_endpoint_rotate(actor=_actor(user), webhook_id=webhook_id)
    _echo_endpoint(endpoint)
    click.echo("New signing secret (shown once; the old one no longer signs):")
    click.echo(secret)


@webhook.command(name="deactivate")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="Act as this administrator (or FOREWARN_USER).")
@click.option("--id", "webhook_id", required=True, type=click.IntRange(min=1))
def webhook_deactivate(user: str, webhook_id: int) -> None:
    """Stop sending to an endpoint (its undelivered messages become dead letters)."""
    _setup_django()
    from forewarn.register.delivery import webhook_endpoint_deactivate

    _echo_endpoint(webhook_endpoint_deactivate(actor=_actor(user), webhook_id=webhook_id))


@main.group()
def disclosure() -> None:
    """Disclosure schedules: check a served version against its seal."""


@disclosure.command(name="verify")
@click.argument("schedule_id", type=int)
@click.option("--version", "number", type=int, default=None, help="One served version (default: every one).")
def disclosure_verify(schedule_id: int, number: int | None) -> None:
    """Recompute each served version's SHA-256 and compare it with its seal and the audit trail.

    Exits 0 when every version checked is intact, 1 when any is not."""
    _setup_django()
    from forewarn.disclosure.services import schedule_verify

    results = schedule_verify(schedule_id=schedule_id, number=number)
    for version, ok, message in results:
        click.echo(f"version {version}: {'ok' if ok else 'FAILED'}: {message}")
    if not all(ok for _, ok, _ in results):
        raise SystemExit(1)


from forewarn.linkage.cli import link  # noqa: E402  (batch linkage, issue #5: its own module, no database)

main.add_command(link)


@link.group(name="subject-model")
def subject_model() -> None:
    """The model that matches subjects described on cases to the workforce (issue #5 §1)."""


@subject_model.command(name="train")
@click.option("--user", envvar="FOREWARN_USER", default=None, help="Record this user as the trainer (optional).")
@click.option("--note", default="", help="Why this version (for the audit trail).")
def subject_model_train_command(user: str | None, note: str) -> None:
    """Estimate the model's u probabilities on today's workforce; save and activate the next version."""
    _setup_django()
    from forewarn.linkage.subjects import subject_model_train

    row = subject_model_train(actor=_actor(user) if user else None, note=note)
    click.echo(f"Subject model v{row.version} trained on {row.people:,} appointment records; now active.")


@subject_model.command(name="show")
def subject_model_show() -> None:
    """The versions, and each comparison level of the active one: m, u and the weight it gives."""
    _setup_django()
    from forewarn.linkage.models import SubjectModel
    from forewarn.linkage.subjects import default_document, model_summary

    versions = list(SubjectModel.objects.order_by("-version"))
    for row in versions:
        click.echo(f"v{row.version}{' (active)' if row.active else ''}  trained {row.trained_at:%Y-%m-%d %H:%M} "
                   f"on {row.people:,} records  {row.note}")
    active = next((row for row in versions if row.active), None)
    if active is None:
        click.echo("No trained model: the stated defaults (version 0) are in use.")
    for level in model_summary(active.document if active else default_document()):
        click.echo(f"  {level['field']:<13} {level['level']:<36} m={level['m']:<9.4g} u={level['u']:<9.4g} "
                   f"weight={level['weight']:+.2f}")


@link.command(name="thresholds")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="A head of professional standards or "
              "administrator of the organisation (or FOREWARN_USER).")
@click.option("--auto-link", type=float, required=True, help="Link automatically at or above this probability.")
@click.option("--review", type=float, required=True, help="Put before a reviewer at or above this probability.")
def link_thresholds(user: str, auto_link: float, review: float) -> None:
    """Set one's organisation's thresholds for automatic links and for review (audited)."""
    _setup_django()
    from forewarn.linkage.identification import match_thresholds_set

    actor = _actor(user)
    row = match_thresholds_set(actor=actor, organisation_id=actor.organisation_id, auto_link=auto_link,
                               review=review)
    click.echo(f"{actor.organisation.code}: link automatically from {row.auto_link}, review from {row.review}.")


def run() -> None:  # pragma: no cover - console entry point
    main()


if __name__ == "__main__":  # pragma: no cover
    main()


@main.group()
def audit() -> None:
    """The tamper-evident audit trail: verify its hash chain, export a record's history."""


@audit.command(name="verify")
def audit_verify() -> None:
    """Recompute the hash chain over every event; exit 1 and name the first broken link if any."""
    _setup_django()
    import time

    from forewarn.audit.selectors import chain_verify

    started = time.perf_counter()
    result = chain_verify()
    seconds = time.perf_counter() - started
    rate = f"{result.checked / seconds:,.0f} events/s" if seconds > 0 else ""
    if result.ok:
        click.echo(f"OK: {result.checked:,} events, chain intact ({seconds:.2f} s, {rate}). "
                   f"Head: {result.last_hash}")
        return
    click.echo(f"BROKEN at event {result.broken_at}: {result.problem}. "
               f"{result.checked:,} events before it verified.", err=True)
    sys.exit(1)


@audit.command(name="export")
@click.option("--user", envvar="FOREWARN_USER", required=True, help="Act as this user (or FOREWARN_USER).")
@click.option("--object", "reference", required=True, help="The record, as app.model:id (e.g. cases.case:42).")
@click.option("--reason", required=True, help="Why you are exporting it (recorded in the audit trail).")
def audit_export(user: str, reference: str, reason: str) -> None:
    """Print a record's full audit history as JSON lines (oldest first), chain fields included."""
    _setup_django()
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    from forewarn.audit.services import audit_export_open

    for event in audit_export_open(actor=_actor(user), reference=reference, reason=reason):
        click.echo(json.dumps(event, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True))
