"""The complainant portal (/follow/): no staff account, no sign-in; a one-time code opens one case.

Thin views over `portal.services` and `portal.selectors`. The session holds the reference and
address while a code is pending, then only the grant (party, case, expiry).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from forewarn.core.errors import NotFound
from forewarn.documents.views import attachment_response
from forewarn.organisations.access import requires
from forewarn.portal import selectors, services
from forewarn.portal.forms import CodeForm, CodeRequestForm
from forewarn.web.forms import domain_error_to_form

PENDING = "forewarn_portal_pending"
GRANT = "forewarn_portal_grant"
SESSION_ENDED = "Your session has ended. Ask for a new code to see your complaint again."


def portal_view(view):
    """Public (no staff sign-in) and never cached: the pages hold personal information."""
    return login_not_required(never_cache(view))


def with_party(view):
    """Pass the complainant party the session's grant opens, or send them back to the start."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        grant = services.PortalGrant.from_session(request.session.get(GRANT) or {})
        party = selectors.portal_grant_party(grant)
        if party is None:
            if GRANT in request.session:
                del request.session[GRANT]
                messages.info(request, SESSION_ENDED)
            return redirect("portal:start")
        return view(request, party, *args, **kwargs)

    return wrapper


@portal_view
@requires("portal.sign_in")
@require_http_methods(["GET", "POST"])
def start(request):
    form = CodeRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        reference, email = form.cleaned_data["reference"], form.cleaned_data["email"]
        services.access_code_request(reference=reference, email=email)
        request.session[PENDING] = {"reference": reference, "email": email}
        return redirect("portal:code")
    return render(request, "portal/start.html", {"form": form})


@portal_view
@requires("portal.sign_in")
@require_http_methods(["GET", "POST"])
def code(request):
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("portal:start")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.access_code_verify(reference=pending["reference"], email=pending["email"],
                                                code=form.cleaned_data["code"])
        except services.CodeRefused as err:
            domain_error_to_form(form, err)
        else:
            # A new session key on every change of privilege (session fixation, OWASP ASVS 3.2.1).
            request.session.cycle_key()
            request.session.pop(PENDING, None)
            request.session[GRANT] = grant.as_session()
            return redirect("portal:case")
    return render(request, "portal/code.html", {"form": form, "minutes": int(services.CODE_LIFETIME.total_seconds() // 60)})


@portal_view
@requires("portal.case.read")
@require_http_methods(["GET"])
@with_party
def case(request, party):
    page = selectors.portal_case_view(party=party)
    services.portal_access_record(party=party)
    return render(request, "portal/case.html", {
        "page": page, "session_minutes": int(services.SESSION_LIFETIME.total_seconds() // 60)})


@portal_view
@requires("portal.case.read")
@require_http_methods(["GET"])
@with_party
def letter(request, party, document_id):
    try:
        document = selectors.portal_letter_get(party=party, document_id=document_id)
    except NotFound as err:
        raise Http404(err.message) from None
    services.portal_access_record(party=party, document=document)
    return attachment_response(document)


@portal_view
@requires("portal.sign_in")
@require_POST
def sign_out(request):
    request.session.pop(GRANT, None)
    request.session.pop(PENDING, None)
    request.session.cycle_key()
    messages.success(request, "You have left your complaint's page.")
    return redirect("portal:start")
