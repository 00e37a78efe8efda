"""Template helpers that render Django form fields and domain values as GOV.UK Frontend components.

Everything returned here goes through Django's auto-escaping (inclusion templates), never |safe.
"""

from __future__ import annotations

from django import forms, template
from django.urls import reverse

from forewarn.cases.vocabulary import Category, Standard
from forewarn.core.clocks import CLOCK_RULES, ClockKind
from forewarn.web.forms import DateField
from forewarn.web.machines import all_machines

register = template.Library()

# Tag colours by state (GOV.UK tag modifiers). Anything not listed is a plain blue tag.
_TAG_COLOURS = {
    "govuk-tag--grey": ("finalised", "final", "withdrawn", "closed_no_action", "no_further_action", "discontinued",
                        "not_a_complaint", "finalised_outside_sch3", "proceedings_withdrawn", "proceedings_concluded",
                        "dismissed", "rprp_completed", "no_case_to_answer", "outcome_published"),
    "govuk-tag--yellow": ("received", "identified", "raised", "logged", "awaiting_handling", "notice_of_referral",
                          "review_requested", "lodged", "appealed"),
    "govuk-tag--orange": ("suspended", "suspended_for_criminal", "referred_to_iopc", "case_to_answer"),
    "govuk-tag--green": ("outcome_notified", "outcome_determined", "outcome_reported", "allowed_substituted",
                         "allowed_remitted", "handled_otherwise", "reflective_practice"),
    "govuk-tag--purple": ("referred_to_proceedings", "scheduled", "heard", "pre_hearing", "remitted"),
}
_TAG_BY_STATE = {state: css for css, states in _TAG_COLOURS.items() for state in states}


@register.filter
def may(user, action: str) -> bool:
    """Whether the user holds a role for a permission action (`{% if user|may:"identification.queue" %}`):
    menus and links follow the one permissions table, never a role list of their own."""
    from forewarn.organisations.permissions import has_role_for

    return has_role_for(user, action)


@register.inclusion_tag("web/includes/nav_item.html", takes_context=True)
def nav_item(context, url_name: str, label: str):
    """One item of the service navigation, marked as the current page when it is."""
    href = reverse(url_name)
    return {"href": href, "label": label, "current": context["request"].path == href}


@register.filter
def tag_class(state: str) -> str:
    return _TAG_BY_STATE.get(str(state), "govuk-tag--blue")


@register.filter
def clock_label(kind: str) -> str:
    try:
        return str(ClockKind(kind).label)
    except ValueError:
        return str(kind).replace("_", " ").capitalize()


@register.filter
def clock_rule(kind: str):
    try:
        return CLOCK_RULES[ClockKind(kind)]
    except (ValueError, KeyError):
        return None


@register.filter
def category_label(code: str) -> str:
    return str(Category(code).label) if code in Category.values else str(code)


@register.filter
def finding_label(code: str) -> str:
    from forewarn.proceedings.models import Finding

    return str(Finding(code).label) if code in Finding.values else str(code)


@register.filter
def standard_label(code: str) -> str:
    return str(Standard(code).label) if code in Standard.values else str(code)


_EVENT_WORDS = {
    "case.open": "Opened the case",
    "party.add": "Added a party",
    "allegation.add": "Added an allegation",
    "subject.add": "Added a subject officer",
    "subject.link_person": "Identified the subject officer",
}


def _machine_labels() -> dict[str, str]:
    labels = {}
    for machine in all_machines():
        for t in machine.transitions:
            labels[f"{machine.name}.{t.action}"] = t.label
    return labels


@register.simple_tag(takes_context=True)
def event_text(context, event) -> str:
    """What an audit event means, in words: the transition's label, or a fixed phrase, or the raw action."""
    cache = context.render_context
    if "event_labels" not in cache:
        cache["event_labels"] = _machine_labels()
    words = cache["event_labels"].get(event.action) or _EVENT_WORDS.get(event.action)
    return words or event.action.replace("_", " ").replace(".", ": ").capitalize()


# -- form fields -----------------------------------------------------------------------------------------
# Most specific first: CheckboxSelectMultiple subclasses RadioSelect.
_WIDGET_KINDS = (
    (forms.HiddenInput, "hidden"),
    (forms.CheckboxSelectMultiple, "checkboxes"),
    (forms.RadioSelect, "radios"),
    (forms.Select, "select"),
    (forms.CheckboxInput, "checkbox"),
    (forms.Textarea, "textarea"),
)


def _kind(bound: forms.BoundField) -> str:
    if isinstance(bound.field, DateField):
        return "date"
    return next((kind for widget, kind in _WIDGET_KINDS if isinstance(bound.field.widget, widget)), "input")


def _selected(bound: forms.BoundField) -> set[str]:
    value = bound.value()
    if value is None:
        return set()
    if isinstance(value, (list, tuple, set)):
        return {str(v) for v in value}
    return {str(value)}


def _options(choices, selected: set[str]):
    """Flatten choices into (value, label, selected) rows, keeping optgroups as (group, rows)."""
    rows = []
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            rows.append({"group": value, "options": [
                {"value": str(v), "label": str(lab), "selected": str(v) in selected} for v, lab in label]})
        else:
            rows.append({"value": "" if value is None else str(value), "label": str(label),
                         "selected": str(value) in selected})
    return rows


@register.inclusion_tag("web/includes/field.html")
def govuk_field(bound: forms.BoundField, classes: str = ""):
    kind = _kind(bound)
    ctx = {"field": bound, "kind": kind, "id": bound.id_for_label or f"id_{bound.html_name}",
           "name": bound.html_name, "errors": bound.errors, "classes": classes,
           "hint": bound.help_text, "label": bound.label, "required": bound.field.required}
    if kind in ("radios", "checkboxes", "select"):
        ctx["options"] = _options(bound.field.choices, _selected(bound))
    elif kind == "checkbox":
        ctx["checked"] = bool(bound.value()) and bound.value() not in ("false", "False", "0", "off")
    elif kind == "date":
        value = bound.value()
        parts = bound.field.widget.decompress(value) if not isinstance(value, (list, tuple)) else value
        ctx["parts"] = [{"key": key, "label": key.capitalize(), "value": parts[i] or "",
                         "width": "4" if key == "year" else "2"} for i, key in enumerate(("day", "month", "year"))]
        ctx["id"] = f"id_{bound.html_name}_day"
    else:
        value = bound.value()
        ctx["value"] = "" if value is None else value
        ctx["input_type"] = getattr(bound.field.widget, "input_type", "text")
    return ctx


@register.filter
def error_anchor(bound: forms.BoundField) -> str:
    """The id the error summary links to: the field itself, or the first box of a date input."""
    if isinstance(bound.field, DateField):
        return f"id_{bound.html_name}_day"
    if isinstance(bound.field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return f"id_{bound.html_name}_0"
    return bound.id_for_label or f"id_{bound.html_name}"
