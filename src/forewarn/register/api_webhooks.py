"""API: an organisation's webhook endpoints for register alerts (administrators, own organisation only).

The signing secret is in the answer to create and rotate only; listing never shows it.
"""

# No `from __future__ import annotations`, as in api_alerts: ninja reads the annotations through
# the `requires` guard.

import datetime as dt

from ninja import Field, Path, Router, Schema, Status

from forewarn.core.schemas import MAX_ID, PROBLEMS, In, actor_of, choice_of
from forewarn.organisations.access import requires
from forewarn.register import delivery
from forewarn.register.models import Unit, WebhookEndpoint

router = Router(tags=["register webhooks"])
ObjId = Path(..., ge=1, le=MAX_ID)


def _webhook(actor, value, kwargs):
    """Access helper for `webhook_id`: an endpoint of the actor's own organisation, else NotFound."""
    return delivery.webhook_endpoint_get_for_actor(actor=actor, webhook_id=value)


WEBHOOK_OBJECTS = {"webhook_id": _webhook}


class WebhookOut(Schema):
    id: int
    organisation: str
    unit: str
    url: str
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookSecretOut(WebhookOut):
    secret: str = Field(description="The signing secret: shown in this answer only, never again")


class WebhookIn(In):
    unit: choice_of(Unit.values) = Field(description="standards (professional standards) or vetting")
    url: str = Field(max_length=500, description="The receiver's https URL")


def webhook_out(endpoint: WebhookEndpoint, secret: str | None = None) -> dict:
    body = {"id": endpoint.pk, "organisation": endpoint.organisation.code, "unit": endpoint.unit,
            "url": endpoint.url, "active": endpoint.active, "created_at": endpoint.created_at,
            "updated_at": endpoint.updated_at}
    if secret is not None:
        body["secret"] = secret
    return body


@router.get("/register/webhooks", response={200: list[WebhookOut], **PROBLEMS},
            summary="My organisation's webhook endpoints for register alerts")
@requires("register.webhooks.manage")
def webhook_list(request):
    return [webhook_out(e) for e in delivery.webhook_endpoints_for_actor(actor=actor_of(request))]


@router.post("/register/webhooks", response={201: WebhookSecretOut, **PROBLEMS},
             summary="Register a webhook endpoint (the answer holds its signing secret, once)")
@requires("register.webhooks.manage")
def webhook_create(request, data: WebhookIn):
    endpoint, secret = delivery.webhook_endpoint_create(actor=actor_of(request), unit=data.unit, url=data.url)
    return Status(201, webhook_out(endpoint, secret))


@router.post("/register/webhooks/{webhook_id}/rotate", response={200: WebhookSecretOut, **PROBLEMS},
             summary="Replace a webhook endpoint's signing secret (the answer holds the new one, once)")
@requires("register.webhooks.manage", objects=WEBHOOK_OBJECTS)
def webhook_rotate(request, webhook_id: int = ObjId):
    endpoint, secret = delivery.webhook_endpoint_rotate(actor=actor_of(request), webhook_id=webhook_id)
    return webhook_out(endpoint, secret)


@router.post("/register/webhooks/{webhook_id}/deactivate", response={200: WebhookOut, **PROBLEMS},
             summary="Stop sending register alerts to a webhook endpoint")
@requires("register.webhooks.manage", objects=WEBHOOK_OBJECTS)
def webhook_deactivate(request, webhook_id: int = ObjId):
    return webhook_out(delivery.webhook_endpoint_deactivate(actor=actor_of(request), webhook_id=webhook_id))
