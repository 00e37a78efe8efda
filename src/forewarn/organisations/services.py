"""Writes for organisations and users: API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record
from forewarn.core.errors import NotFound, ValidationFailed
from forewarn.organisations.models import ApiToken, ApiTokenScope, Role, User

SECRET_PREFIX = "fw_"


def api_token_hash(secret: str) -> str:
    """SHA-256 hex of a presented secret: the only form in which secrets are stored or compared."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _may_manage_tokens_of(actor, user: User) -> bool:
    """A user manages their own tokens; an administrator those of their own organisation's users."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if actor.pk == user.pk:
        return True
    return actor.has_any_role({Role.ADMINISTRATOR}) and actor.organisation_id == user.organisation_id


@audited_write("api_token.issue")
def api_token_issue(*, actor, user_id: int, name: str, scopes: list[str],
                    expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Issue a token for a user. Returns (token, secret); the secret is never stored and cannot be shown again."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    # Deny by default: a user the actor may not manage looks exactly like one that does not exist.
    if user is None or not _may_manage_tokens_of(actor, user):
        raise NotFound(f"No user with id {user_id}.")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("name: between 1 and 100 characters.", field="name", code="validation.length")
    scopes = list(dict.fromkeys(scopes or []))
    if not scopes or any(s not in ApiTokenScope.values for s in scopes):
        raise ValidationFailed(f"scopes: choose from {', '.join(ApiTokenScope.values)}.", field="scopes",
                               code="validation.choice")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("expires_at: must be in the future.", field="expires_at", code="date.in_past")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, token_hash=api_token_hash(secret),
                                        prefix=secret[:10], scopes=scopes, expires_at=expires_at)
        # The secret and its hash stay out of the audit trail: the trail is read more widely than tokens.
        event_record(actor=actor, action="api_token.issue", obj=token,
                     data={"user_id": user.pk, "name": name, "scopes": scopes, "prefix": token.prefix,
                           "expires_at": expires_at.isoformat() if expires_at else None})
    return token, secret


@audited_write("api_token.revoke", target="organisations.apitoken")
def api_token_revoke(*, actor, token_id: int) -> ApiToken:
    """Revoke a token at once. Revoking a revoked token changes nothing and records nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").filter(pk=token_id).first()
        if token is None or not _may_manage_tokens_of(actor, token.user):
            raise NotFound(f"No API token with id {token_id}.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            event_record(actor=actor, action="api_token.revoke", obj=token,
                         data={"user_id": token.user_id, "prefix": token.prefix})
    return token


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token for a presented secret (not revoked, not expired, active user), or None."""
    if not secret or len(secret) > 200:
        return None
    now = timezone.now()
    token = (ApiToken.objects.select_related("user", "user__organisation")
             .filter(token_hash=api_token_hash(secret), revoked_at__isnull=True, user__is_active=True).first())
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
