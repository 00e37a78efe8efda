"""Sign-in pages: password, then the authenticator code (or enrolling an authenticator), sign-out, lockout.

The rules are in `organisations.authentication`; lockout counting is django-axes's, which listens to
Django's `user_login_failed` signal. Every other page is closed to a session that has not passed
both steps by `web.auth_middleware.StaffAuthenticationMiddleware`.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_cool_off
from axes.utils import reset as axes_reset
from django import forms as django_forms
from django.contrib.auth import logout, user_login_failed
from django.contrib.auth import views as django_auth_views
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from forewarn.core.errors import ValidationFailed
from forewarn.organisations import authentication
from forewarn.organisations.access import requires
from forewarn.organisations.authentication import SignInFailure
from forewarn.web.auth_middleware import otp_not_required


def _safe_next(request, candidate: str | None) -> str:
    """The page to go to after signing in, if it is on this site; My work otherwise."""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return reverse("web:my-work")


def _two_factor_url(next_url: str) -> str:
    return f"{reverse('web:two-factor')}?{urlencode({'next': next_url})}"


def _axes_credentials(username: str) -> dict:
    return {"username": username}


@requires("session.sign_in")
class SignInView(django_auth_views.LoginView):
    """Step one: username and password. Django's login() rotates the session key (ASVS 3.2.1)."""

    template_name = "web/sign_in.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        # Whether the lockout was already in force before this attempt, for the audit record.
        self._was_locked_out = not AxesProxyHandler.is_allowed(
            request, _axes_credentials(request.POST.get("username", "")))
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        reason = SignInFailure.LOCKED_OUT if self._was_locked_out else SignInFailure.CREDENTIALS
        authentication.sign_in_failure_record(username=self.request.POST.get("username", ""), reason=reason)
        # A locked-out request is answered by axes's middleware with the lockout page (locked_out below).
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)  # logs in: the session is new from here
        authentication.session_start(self.request.session)
        authentication.password_accepted_record(user=self.request.user)
        return redirect(_two_factor_url(response.url))


@requires("session.sign_in")
@otp_not_required
class SignOutView(django_auth_views.LogoutView):
    """Sign out by POST only (Django 5 refuses GET), so a link or image cannot sign a user out."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            authentication.sign_out_record(user=request.user, reason="signed_out")
        return super().post(request, *args, **kwargs)


class CodeForm(django_forms.Form):
    code = django_forms.CharField(label="Code", max_length=20, required=True,
                                  error_messages={"required": "Enter the 6-digit code from your authenticator app."})


@never_cache
@requires("session.sign_in")
@otp_not_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Step two: enrol an authenticator (first sign-in, or after a reset) or enter its current code."""
    user = request.user
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if user.is_verified():  # OTPMiddleware runs before this view (settings.MIDDLEWARE)
        return redirect(next_url)
    credentials = _axes_credentials(user.get_username())
    if not AxesProxyHandler.is_allowed(request, credentials):
        return locked_out(request)
    enrolling = authentication.otp_confirmed_device(user=user) is None
    device = authentication.otp_enrolment_device(user=user) if enrolling else None
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if enrolling:
                verified = authentication.otp_enrolment_confirm(user=user, code=code)
            else:
                verified = authentication.otp_verify(user=user, code=code)
        except ValidationFailed as err:
            if err.code == "otp.code_invalid":
                # A wrong code counts towards the same username-and-address lockout as a wrong password.
                user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            message = err.message.removeprefix("code: ")
            form.add_error("code" if err.field == "code" else None, message[:1].upper() + message[1:])
        else:
            otp_login(request, verified)
            request.session.cycle_key()  # a new session id once fully signed in (ASVS 3.2.1)
            axes_reset(ip=get_client_ip_address(request), username=user.get_username())
            return redirect(next_url)
    context = {"form": form, "next": next_url, "enrolling": enrolling}
    if enrolling:
        # The SVG is drawn by the qrcode library from the device's otpauth:// URI: markup we generate,
        # with no text from the request in it (the username is encoded in the modules, not as text).
        context.update(qr_svg=mark_safe(authentication.otp_qr_svg(device)),  # noqa: S308
                       secret=" ".join(_chunks(authentication.otp_secret_base32(device), 4)))
    return render(request, "web/two_factor_enrol.html" if enrolling else "web/two_factor.html", context)


def _chunks(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def locked_out(request, original_response=None, credentials=None):
    """The lockout page (settings.AXES_LOCKOUT_CALLABLE). The same words whether or not the name is an
    account, so the page never confirms that a username exists (ASVS 2.2.1, 3.2)."""
    if request.user.is_authenticated:
        logout(request)  # a lockout on the code step ends the half-signed-in session too
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    return render(request, "web/locked_out.html", {"minutes": minutes}, status=429)
