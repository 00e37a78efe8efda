"""Disclosure schedules on the web, the API and the CLI; CSV and PDF exports carry the redactions."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner
from django.test import Client

from forewarn.audit.models import Event
from forewarn.cli import main
from forewarn.disclosure.models import ScheduleVersion
from forewarn.organisations.models import Role
from tests.api.conftest import client_for
from tests.disclosure.test_schedules import world  # noqa: F401 - fixture
from tests.factories import make_user, sign_in

pytestmark = pytest.mark.django_db


def test_api_open_decide_serve_and_export(world):  # noqa: F811
    api = client_for(world["officer"])
    opened = api.post(f"/api/cases/{world['case'].pk}/disclosure-schedules", {"challenge_id": world["jr"].pk})
    assert opened.status_code == 201
    body = opened.json()
    assert body["kind"] == "judicial_review" and len(body["items"]) >= 6
    sid = body["id"]
    early = api.post(f"/api/disclosure-schedules/{sid}/serve", {"served_to": "The court"})
    assert early.status_code == 409 and "await a decision" in early.text
    first = body["items"][0]
    bad = api.post(f"/api/disclosure-schedules/{sid}/items/{first['id']}/decision", {"decision": "withheld"})
    assert bad.status_code == 422 and "reason" in bad.text
    for item in body["items"]:
        ok = api.post(f"/api/disclosure-schedules/{sid}/items/{item['id']}/decision",
                      {"decision": "not_relevant", "reason": "Unrelated to the grounds."})
        assert ok.status_code == 200
    served = api.post(f"/api/disclosure-schedules/{sid}/serve", {"served_to": "The court"})
    assert served.status_code == 201 and len(served.json()["content_hash"]) == 64
    exported = api.get(f"/api/disclosure-schedules/{sid}/export.csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert len(rows) == len(body["items"]) and {r["decision"] for r in rows} == {"Not relevant"}
    assert "ottoline@example.org" not in exported.content.decode()
    assert "Protected Witness" not in exported.content.decode()
    pdf = api.get(f"/api/disclosure-schedules/{sid}/export.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert Event.objects.filter(kind="read", action="schedule.read", object_id=sid).count() >= 2
    other = client_for(make_user(Role.CASE_HANDLER, organisation="KEN"))
    assert other.get(f"/api/disclosure-schedules/{sid}").status_code == 404
    assert other.get(f"/api/disclosure-schedules/{sid}/export.csv").status_code == 404


def test_web_pages_and_the_verify_command(world):  # noqa: F811
    web = Client()
    sign_in(web, world["officer"])
    form = web.get(f"/disclosure/cases/{world['case'].pk}/new/")
    assert form.status_code == 200 and "Judicial review" in form.content.decode()
    opened = web.post(f"/disclosure/cases/{world['case'].pk}/new/", {"target": f"challenge:{world['jr'].pk}"})
    assert opened.status_code == 302
    sid = int(opened["Location"].rstrip("/").split("/")[-1])
    page = web.get(f"/disclosure/{sid}/").content.decode()
    assert "Awaiting a decision" in page and "Restricted case" in page
    from forewarn.disclosure.models import Schedule

    for item in Schedule.objects.get(pk=sid).items.all():
        web.post(f"/disclosure/{sid}/items/{item.pk}/decide/", {"decision": "disclosed"})
    web.post(f"/disclosure/{sid}/serve/", {"served_to": "The claimant's solicitors"})
    assert "SHA-256" in web.get(f"/disclosure/{sid}/").content.decode()
    assert "Disclosure schedules" in web.get(f"/cases/{world['case'].pk}/").content.decode()
    runner = CliRunner()
    good = runner.invoke(main, ["disclosure", "verify", str(sid)])
    assert good.exit_code == 0 and "version 1: ok" in good.output
    version = ScheduleVersion.objects.get(schedule_id=sid)
    ScheduleVersion.objects.filter(pk=version.pk).update(content_hash="0" * 64)
    bad = runner.invoke(main, ["disclosure", "verify", str(sid)])
    assert bad.exit_code == 1 and "FAILED" in bad.output
    missing = runner.invoke(main, ["disclosure", "verify", "999999"])
    assert missing.exit_code != 0 and "No served version" in missing.output
