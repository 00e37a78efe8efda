"""Pages: one's unit's register alerts (the in-app inbox), one alert, acknowledging it. Thin: the
rules (who reads which unit's copy, acknowledging once) live in register.alerts."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from forewarn.core.errors import DomainError
from forewarn.organisations.access import requires
from forewarn.register import alerts

INBOX_LIMIT = 500
PAGE_SIZE = 25


@requires("register.inbox.read")
def inbox(request):
    show_all = request.GET.get("show") == "all"
    found = alerts.inbox_list(actor=request.user, open_only=not show_all, limit=INBOX_LIMIT)
    page_obj = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "register/alert_inbox.html", {"page_obj": page_obj, "show_all": show_all})


@requires("register.inbox.read")
def alert_detail(request, alert_id: int):
    recipient = alerts.alert_read(actor=request.user, alert_id=alert_id)
    return render(request, "register/alert_detail.html", {
        "recipient": recipient, "alert": recipient.alert,
        "may_acknowledge": alerts.may_acknowledge(request.user, recipient)})


@requires("register.alert.acknowledge")
@require_POST
def alert_acknowledge(request, alert_id: int):
    try:
        alerts.alert_acknowledge(actor=request.user, alert_id=alert_id, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Alert acknowledged.")
    return redirect("register:alert", alert_id=alert_id)
