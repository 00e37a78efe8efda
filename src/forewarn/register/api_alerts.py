"""API: one's unit's register alerts (the in-app inbox), reading one, acknowledging it."""

# No `from __future__ import annotations`: ninja reads the operations' annotations through the
# `requires` guard, whose module globals cannot resolve names given as strings.

import datetime as dt

from ninja import Field, Path, Query, Router, Schema

from forewarn.core.schemas import MAX_ID, PROBLEMS, In, actor_of
from forewarn.organisations.access import requires
from forewarn.register import alerts
from forewarn.register.models import AlertRecipient

router = Router(tags=["register alerts"])
ObjId = Path(..., ge=1, le=MAX_ID)


class AlertOut(Schema):
    id: int = Field(description="This unit's copy of the alert (the inbox item)")
    alert_id: int
    trigger: str
    trigger_label: str
    occurred_on: dt.date
    raised_at: dt.datetime
    person_id: int
    person_name: str
    reasons: list[str]
    summary: dict
    unit: str
    basis: str
    acknowledge_by: dt.date
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    escalated_at: dt.datetime | None
    withdrawn_at: dt.datetime | None = Field(None, description="Set when a correction withdrew this alert")
    withdrawn_by_alert_id: int | None = None


class InboxFilter(Schema):
    include_acknowledged: bool = False
    limit: int = Field(100, ge=1, le=500)


class AcknowledgeIn(In):
    note: str = Field("", max_length=2000)


def alert_out(recipient: AlertRecipient) -> dict:
    alert = recipient.alert
    return {
        "id": recipient.id, "alert_id": alert.id, "trigger": alert.trigger,
        "trigger_label": alert.get_trigger_display(), "occurred_on": alert.occurred_on,
        "raised_at": alert.created_at, "person_id": alert.person_id, "person_name": alert.person.full_name,
        "reasons": alert.reasons, "summary": alert.summary, "unit": recipient.unit, "basis": recipient.basis,
        "acknowledge_by": recipient.acknowledge_by, "acknowledged_at": recipient.acknowledged_at,
        "acknowledged_by": recipient.acknowledged_by.username if recipient.acknowledged_by else None,
        "escalated_at": recipient.escalated_at, "withdrawn_at": alert.withdrawn_at,
        "withdrawn_by_alert_id": alert.withdrawn_by_id,
    }


@router.get("/register/alerts", response={200: list[AlertOut], **PROBLEMS},
            summary="My unit's register alerts, newest first (unacknowledged unless asked)")
@requires("register.inbox.read")
def alert_list(request, filters: Query[InboxFilter]):
    found = alerts.inbox_list(actor=actor_of(request), open_only=not filters.include_acknowledged,
                              limit=filters.limit)
    return [alert_out(r) for r in found]


@router.get("/register/alerts/{alert_id}", response={200: AlertOut, **PROBLEMS}, summary="One register alert")
@requires("register.inbox.read")
def alert_get(request, alert_id: int = ObjId):
    return alert_out(alerts.alert_read(actor=actor_of(request), alert_id=alert_id))


@router.post("/register/alerts/{alert_id}/acknowledge", response={200: AlertOut, **PROBLEMS},
             summary="Acknowledge a register alert (stops its escalation)")
@requires("register.alert.acknowledge")
def alert_acknowledge(request, data: AcknowledgeIn, alert_id: int = ObjId):
    return alert_out(alerts.alert_acknowledge(actor=actor_of(request), alert_id=alert_id, note=data.note))
