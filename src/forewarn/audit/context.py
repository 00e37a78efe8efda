"""Who is asking, from where: request details every audit event carries (ASVS V7.1).

The middleware sets them once per request; the CLI sets a correlation id per command. Services
read them through `current()`, so no service signature has to carry the request.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from dataclasses import dataclass

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


@dataclass(frozen=True)
class RequestContext:
    correlation_id: str = ""
    ip_address: str = ""
    user_agent: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("forewarn_audit_context",
                                                                          default=RequestContext())  # noqa: B039 - frozen


def current() -> RequestContext:
    return _current.get()


def activate(context: RequestContext) -> contextvars.Token:
    return _current.set(context)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


class AuditContextMiddleware:
    """Give each request a correlation id (the caller's X-Request-ID if well formed) and record the
    client address and user agent for the audit trail. The id is echoed in the response.

    The address is REMOTE_ADDR: behind a reverse proxy, configure the proxy to set it (e.g.
    gunicorn's --forwarded-allow-ips) rather than trusting a client-supplied X-Forwarded-For.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.headers.get("X-Request-ID", "")
        correlation_id = supplied if _REQUEST_ID.match(supplied) else new_correlation_id()
        token = activate(RequestContext(
            correlation_id=correlation_id,
            ip_address=(request.META.get("REMOTE_ADDR") or "")[:45],
            user_agent=request.headers.get("User-Agent", "")[:300],
        ))
        try:
            response = self.get_response(request)
        finally:
            reset(token)
        response["X-Request-ID"] = correlation_id
        return response
