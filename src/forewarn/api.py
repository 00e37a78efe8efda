"""The REST API: one NinjaAPI, routers per app, every error as RFC 9457 problem details.

Routers are thin: they parse input into typed schemas, call services and selectors, and shape the
result into explicit response schemas. Domain refusals (core.errors) become problem responses here,
in one place, so an endpoint never decides an HTTP status for a domain rule.
"""

from __future__ import annotations

from django.db import DataError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from forewarn.cases.access_api import router as case_access_router
from forewarn.cases.api import router as cases_router
from forewarn.core.api import router as lifecycle_router
from forewarn.core.errors import DomainError
from forewarn.disclosure.api import router as disclosure_router
from forewarn.documents.api import router as documents_router
from forewarn.intelligence.api import router as intelligence_router
from forewarn.linkage.api import router as linkage_router
from forewarn.organisations.access import declare_in_openapi
from forewarn.organisations.api import BearerToken
from forewarn.organisations.api import router as organisations_router
from forewarn.organisations.authentication import VerifiedSessionAuth
from forewarn.proceedings.api import router as proceedings_router
from forewarn.register.api import router as register_router
from forewarn.register.api_alerts import router as register_alerts_router
from forewarn.register.api_lists import router as register_lists_router
from forewarn.register.api_webhooks import router as register_webhooks_router
from forewarn.workforce.api import router as workforce_router

PROBLEM_TYPE = "https://forewarn.example/problems/"

api = NinjaAPI(
    title="Forewarn API",
    version="1",
    docs_url="/docs",
    description="Police complaints and misconduct (England and Wales). Errors are RFC 9457 problem details.",
    # Bearer first: a request that carries a token is judged by it alone, never by a session cookie.
    # A session counts only once its second factor is verified (tokens are the machine path, no TOTP).
    auth=[BearerToken(), VerifiedSessionAuth()],
    urls_namespace="api",
)


def problem_response(request, body: dict, status: int):
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


def _problem(code: str, title: str, status: int, detail: str, **extra) -> dict:
    body = {"type": PROBLEM_TYPE + code, "title": title, "status": status, "detail": detail, "code": code}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return problem_response(request, exc.as_problem(), exc.http_status)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    """Schema errors name the field as a dotted path without its location ('payload.reasons', 'limit')."""
    errors = []
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
            loc = loc[1:]
        # ninja names the body parameter itself ('body.data.x'); the client never sees that name.
        if loc and loc[0] == "data" and len(loc) > 1:
            loc = loc[1:]
        errors.append({"field": ".".join(loc) or None, "message": str(err.get("msg", "invalid")),
                       "type": str(err.get("type", ""))})
    first = errors[0] if errors else {"field": None, "message": "invalid input", "type": ""}
    detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    # A code outside the field's vocabulary is the same refusal whether the schema or a service finds it.
    code = "validation.choice" if first["type"] in {"literal_error", "enum"} else "validation.failed"
    return problem_response(request, _problem(code, "The data is not valid", 422, detail,
                                              field=first["field"], errors=errors), 422)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    response = problem_response(request, _problem(
        "auth.required", "Authentication required", 401,
        "Send a valid API token as 'Authorization: Bearer <secret>'."), 401)
    response["WWW-Authenticate"] = 'Bearer realm="forewarn"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return problem_response(request, _problem(f"http.{exc.status_code}", str(exc.message), exc.status_code,
                                              str(exc.message)), exc.status_code)


@api.exception_handler(Http404)
def on_http404(request, exc):
    return problem_response(request, _problem("not_found", "Not found", 404, "Not found."), 404)


@api.exception_handler(DataError)
def on_data_error(request, exc):
    # Last line of defence: a value that passed validation but does not fit its column (the schemas bound
    # ids and refuse NUL, so this should not happen); the transaction has already rolled back.
    return problem_response(request, _problem("validation.unstorable", "The data is not valid", 422,
                                              "A value is too large or contains characters that cannot be stored."),
                            422)


api.add_router("", organisations_router)
api.add_router("", cases_router)
api.add_router("", case_access_router)
api.add_router("", proceedings_router)
api.add_router("", workforce_router)
api.add_router("", documents_router)
api.add_router("", register_router)
api.add_router("", register_alerts_router)
api.add_router("", register_lists_router)
api.add_router("", register_webhooks_router)
api.add_router("", linkage_router)
api.add_router("", disclosure_router)
api.add_router("", intelligence_router)
# Last: its paths start with a parameter ('/{machine}/{obj_id}/actions') and must not shadow the others.
api.add_router("", lifecycle_router)
# Each operation's permission action (organisations.access.requires), as `x-permission` in the OpenAPI document.
declare_in_openapi(api)
