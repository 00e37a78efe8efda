"""Domain errors: one base class, stable codes.

The API maps them to RFC 9457 problem responses, the CLI to exit codes and one-line messages,
the web UI to GOV.UK error summaries. A code never changes once released; add new ones instead.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refused action. Nothing has been written when this is raised."""

    code: str = "domain.error"
    http_status: int = 400
    title: str = "The action was refused"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, **context):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.context = context

    def as_problem(self) -> dict:
        """The RFC 9457 problem-details body for this error."""
        body = {
            "type": f"https://forewarn.example/problems/{self.code}",
            "title": self.title,
            "status": self.http_status,
            "detail": self.message,
            "code": self.code,
        }
        if self.field:
            body["field"] = self.field
        if self.context:
            body["context"] = {k: v for k, v in self.context.items() if isinstance(v, (str, int, float, bool, list))}
        return body


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    title = "Not found"


class PermissionDenied(DomainError):
    code = "permission.denied"
    http_status = 403
    title = "Not allowed for your role"


class TransitionNotAllowed(DomainError):
    code = "transition.not_allowed"
    http_status = 409
    title = "Not allowed from the current state"


class ValidationFailed(DomainError):
    code = "validation.failed"
    http_status = 422
    title = "The data is not valid"


class GuardFailed(DomainError):
    """A statutory rule (guard) refuses the action; `code` names the rule."""

    code = "guard.failed"
    http_status = 409
    title = "A statutory rule does not allow this"


class StaleVersion(DomainError):
    code = "version.stale"
    http_status = 409
    title = "Someone else changed this record"
