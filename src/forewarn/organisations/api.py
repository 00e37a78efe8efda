"""API: bearer-token authentication, the caller, organisations."""

from __future__ import annotations

from ninja import Router, Schema
from ninja.security import HttpBearer

from forewarn.core.errors import PermissionDenied
from forewarn.core.schemas import PROBLEMS, actor_of
from forewarn.organisations.access import requires
from forewarn.organisations.models import ApiTokenScope, Organisation
from forewarn.organisations.services import api_token_authenticate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerToken(HttpBearer):
    """`Authorization: Bearer <secret>`; the token's scopes must cover the request's method."""

    def authenticate(self, request, token: str):
        found = api_token_authenticate(secret=token)
        if found is None:
            return None  # missing, unknown, revoked or expired: 401, and no hint which
        needed = ApiTokenScope.READ if request.method in SAFE_METHODS else ApiTokenScope.WRITE
        if needed not in found.scopes:
            raise PermissionDenied(f"This API token does not have the '{needed}' scope.",
                                   code="auth.scope_missing", scope=str(needed))
        request.api_token = found
        return found.user


router = Router(tags=["organisations"])


class OrganisationOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    is_force: bool
    oversees_id: int | None


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    organisation: OrganisationOut | None
    roles: list[str]
    scopes: list[str]


def _organisation(org: Organisation | None) -> dict | None:
    if org is None:
        return None
    return {"id": org.id, "code": org.code, "name": org.name, "kind": org.kind, "is_force": org.is_force,
            "oversees_id": org.oversees_id}


@router.get("/me", response={200: MeOut, **PROBLEMS}, summary="The caller: organisation, roles and token scopes")
@requires("self.read")
def me(request):
    user = actor_of(request)
    token = getattr(request, "api_token", None)
    return {"id": user.id, "username": user.username, "full_name": user.get_full_name(),
            "organisation": _organisation(user.organisation), "roles": sorted(user.role_codes),
            # A session (the web app's own pages) acts with the user's full rights.
            "scopes": list(token.scopes) if token else list(ApiTokenScope.values)}


@router.get("/organisations", response={200: list[OrganisationOut], **PROBLEMS},
            summary="Forces and other bodies (public reference data)")
@requires("organisation.list")
def organisation_list(request):
    return [_organisation(org) for org in Organisation.objects.all()]
