"""The IOPC's copy of an outcome outlier alert not acknowledged in 2 working days is escalated to the
IOPC's administrators (it has no head of professional standards): e-mailed, shown in their inbox, and
theirs to acknowledge; a force's copy still goes to its head of professional standards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from forewarn.core.errors import NotFound
from forewarn.core.lifecycle import run_transition
from forewarn.organisations.models import Role
from forewarn.proceedings.lifecycle import PROCEEDING_MACHINE
from forewarn.register import alerts
from forewarn.register.delivery import email_for
from forewarn.register.models import AlertRecipient, Channel, OutboxMessage, Unit, WebhookEndpoint
from tests.factories import make_user, org, sign_in
from tests.proceedings.builders import proceeding_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def outlier(caseworker):
    """An outcome outlier saved with reasons: copies for the Met's standards unit and the IOPC's oversight unit."""
    hearing = proceeding_in("heard", finding="gross_misconduct")
    run_transition(machine=PROCEEDING_MACHINE, obj_id=hearing.pk, action="outcome_determine", actor=caseworker,
                   payload={"sanction": "final_written_warning", "reasons": "r", "culpability": 4, "harm": 4,
                            "seriousness_conclusion": "Very serious.", "outlier_reasons": "His record."})
    return {r.unit: r for r in AlertRecipient.objects.all()}


def overdue_escalated() -> int:
    AlertRecipient.objects.update(acknowledge_by=dt.date(2024, 3, 12))
    return alerts.alerts_escalate_overdue(now=dt.datetime(2024, 3, 13, 9, 0, tzinfo=timezone.get_current_timezone()))


def test_the_iopc_copy_is_escalated_to_the_iopcs_administrators(outlier, iopc):
    iopc_admin = make_user(Role.ADMINISTRATOR, organisation="IOPC", email="admin@iopc.example")
    met_admin = make_user(Role.ADMINISTRATOR, organisation="MET", email="admin@met.police.example")
    met_head = make_user(Role.HEAD_OF_STANDARDS, organisation="MET", email="head@met.police.example")
    WebhookEndpoint.objects.create(organisation=org("IOPC"), unit=Unit.OVERSIGHT, url="https://iopc.example/hook",
                                   secret="s" * 32)
    copy = outlier[Unit.OVERSIGHT]
    assert alerts.inbox_list(actor=iopc_admin) == []  # not theirs until escalated

    assert overdue_escalated() == 2
    copy.refresh_from_db()
    assert copy.escalated_at is not None
    sent = OutboxMessage.objects.filter(purpose="escalation", recipient=copy)
    assert sorted((m.channel, m.email or m.endpoint.url) for m in sent) == [
        (Channel.EMAIL, iopc_admin.email), (Channel.WEBHOOK, "https://iopc.example/hook")]
    mail = email_for(sent.get(channel=Channel.EMAIL))
    assert "escalated to you as an administrator of the IOPC" in mail.body
    assert "oversight unit (IOPC)" in mail.subject
    # The force's copy goes to its head of professional standards, as before; no other administrator is told.
    met = OutboxMessage.objects.filter(purpose="escalation", recipient=outlier[Unit.PROFESSIONAL_STANDARDS])
    assert [m.email for m in met.filter(channel=Channel.EMAIL)] == [met_head.email]
    assert "head of professional standards" in email_for(met.get(channel=Channel.EMAIL)).body
    assert not OutboxMessage.objects.filter(email=met_admin.email).exists()

    # The IOPC administrator reads it in their inbox and may acknowledge it; a force administrator may not.
    assert [r.id for r in alerts.inbox_list(actor=iopc_admin)] == [copy.id]
    assert alerts.may_acknowledge(iopc_admin, copy) and not alerts.may_acknowledge(met_admin, copy)
    assert alerts.inbox_list(actor=met_admin) == []
    with pytest.raises(NotFound):
        alerts.alert_acknowledge(actor=met_admin, alert_id=copy.id)
    done = alerts.alert_acknowledge(actor=iopc_admin, alert_id=copy.id, note="Passed to the oversight team.")
    assert done.acknowledged_by == iopc_admin
    # The caseworkers still read it (acknowledged now).
    assert [r.id for r in alerts.inbox_list(actor=iopc, open_only=False)] == [copy.id]


def test_the_escalated_copy_shows_its_acknowledge_button_to_the_iopc_administrator(client, outlier):
    iopc_admin = make_user(Role.ADMINISTRATOR, organisation="IOPC", email="admin@iopc.example")
    copy = outlier[Unit.OVERSIGHT]
    sign_in(client, iopc_admin)
    assert client.get(f"/register/alerts/{copy.id}/").status_code == 404  # not escalated yet
    overdue_escalated()
    page = client.get(f"/register/alerts/{copy.id}/")
    assert page.status_code == 200
    assert f'action="/register/alerts/{copy.id}/acknowledge/"' in page.content.decode()
    assert client.post(f"/register/alerts/{copy.id}/acknowledge/", {"note": "Seen."}).status_code == 302
    copy.refresh_from_db()
    assert copy.acknowledged_by == iopc_admin
