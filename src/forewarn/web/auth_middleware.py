"""Deny by default: every page needs a signed-in, second-factor-verified member of staff.

A new view is protected without anyone remembering to decorate it. The few pages a person must reach
before then say so: Django's `@login_not_required` (sign-in) and `otp_not_required` below (the 2FA
step and sign-out). The API judges its own callers (bearer token or verified session) and answers
401 rather than redirecting, so for API paths this middleware only withdraws an unverified session.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode

from forewarn.organisations import authentication

API_NAMESPACE = "api"

_EXPIRED_MESSAGES = {
    "idle": "You were signed out because you had not used Forewarn for a while. Sign in again.",
    "absolute": "Your session reached its time limit and you were signed out. Sign in again.",
    "unstamped": "Sign in again.",
}


def otp_not_required(view):
    """Mark a view (function or class) as reachable after the password step, before the code step."""
    if isinstance(view, type):
        return method_decorator(otp_not_required, name="dispatch")(view)
    view.otp_required = False
    return view


def _verified(user) -> bool:
    # is_verified() is installed by django-otp's OTPMiddleware; without it nobody is verified.
    return bool(getattr(user, "is_verified", lambda: False)())


def _is_api(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and API_NAMESPACE in match.namespaces)


class SessionTimeoutMiddleware:
    """End a session after SESSION_IDLE_TIMEOUT without activity or SESSION_ABSOLUTE_TIMEOUT after
    sign-in, whichever comes first (ASVS 3.3.1, 3.3.2). Enforced on the server from timestamps in
    the session, not by the browser's cookie lifetime."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            reason = authentication.session_expiry_reason(request.session)
            if reason is None:
                authentication.session_touch(request.session)
            else:
                user = request.user
                logout(request)
                authentication.sign_out_record(user=user, reason=f"expired_{reason}")
                messages.info(request, _EXPIRED_MESSAGES[reason])
        return self.get_response(request)


class StaffAuthenticationMiddleware(LoginRequiredMiddleware):
    """Signed out: to the sign-in page. Signed in but not verified: to the 2FA step. API: see module."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _is_api(request):
            user = request.user
            if user.is_authenticated and not _verified(user):
                request.user = AnonymousUser()
            return None
        if not getattr(view_func, "login_required", True):
            return None  # a public page (@login_not_required): sign-in, the complainants' portal
        refused = super().process_view(request, view_func, view_args, view_kwargs)
        if refused is not None:
            return refused
        if _verified(request.user) or not getattr(view_func, "otp_required", True):
            return None
        return redirect(f"{reverse('web:two-factor')}?{urlencode({'next': request.get_full_path()})}")
