"""The outcomes guidance on the outcome decision page (web.views.action, step outcome_determine).

Shown before the decision is saved: the indicative range for the assessment as drafted (the posted
form, or the "try an assessment" query on the page), the case-law principles and comparable outcomes.
Thin: the same selectors as the API.
"""

from __future__ import annotations

from django import forms

from forewarn.core.errors import DomainError, ValidationFailed
from forewarn.guidance import data, selectors
from forewarn.organisations import permissions
from forewarn.proceedings.models import Level, Proceeding, Sanction

FACTOR_FIELDS = tuple(data.FIELD_OF_KIND.values())
QUERY_FIELDS = ("culpability", "harm", "sanction", *FACTOR_FIELDS)
WHY_NOT_PREFIX = "why_not_"
WHY_NOT_MAX = 5_000  # as proceedings.lifecycle.OutcomeConsidered.why_not


def _why_not_field(sanction: str) -> str:
    return f"{WHY_NOT_PREFIX}{sanction}"


def _considered(source, outcomes) -> list[dict]:
    """outcomes_considered from the boxes that were filled in ({sanction, why_not}, least severe first)."""
    found = []
    for sanction in outcomes:
        why_not = (source.get(_why_not_field(sanction)) or "").strip()
        if why_not:
            found.append({"sanction": sanction, "why_not": why_not})
    return found


def outcome_form_class(*, obj, form_class):
    """The outcome decision's form (and a substitution's on appeal) with one box per less severe outcome,
    "Why was <outcome> insufficient?", in place of the payload's `outcomes_considered` list.

    Only shapes the data: the outcome step decides which boxes must be filled in (guidance.services),
    and its refusal is shown against each box it names.
    """
    proceeding = obj if isinstance(obj, Proceeding) else obj.proceeding
    outcomes = selectors.outcomes_to_explain(proceeding)
    boxes = {_why_not_field(s): forms.CharField(
        required=False, strip=True, max_length=WHY_NOT_MAX, widget=forms.Textarea(attrs={"rows": 3}),
        label=f"Why was {Sanction(s).label.lower()} insufficient?",
        help_text="Answer if the outcome chosen is more severe: the guidance starts with the least severe outcome "
                  "and moves up only if it is insufficient.") for s in outcomes}
    order = list(form_class.base_fields)
    at = order.index("outcomes_considered") if "outcomes_considered" in order else len(order)
    order[at:at + 1] = list(boxes)

    def payload(self) -> dict:
        values = form_class.payload(self)
        considered = _considered(self.cleaned_data, outcomes)
        if considered:
            values["outcomes_considered"] = considered
        return values

    def add_domain_error(self, err: DomainError) -> bool:
        """Each less severe outcome the refusal names gets its own error, on its own box."""
        missing = [s for s in err.context.get("missing", []) if _why_not_field(s) in self.fields]
        if err.code != "outcome.lesser_outcomes_unexplained" or not missing:
            return False
        for sanction in missing:
            self.add_error(_why_not_field(sanction), f"Say why {Sanction(sanction).label.lower()} was insufficient.")
        return True

    return type(f"{form_class.__name__}WithOutcomesConsidered", (form_class,), {
        **boxes, "outcomes_considered": None, "field_order": order, "why_not_outcomes": outcomes,
        "payload_fields": tuple(n for n in form_class.payload_fields if n != "outcomes_considered"),
        "payload": payload, "add_domain_error": add_domain_error})


def _draft_values(request, form) -> dict:
    """The assessment as typed in the posted form (factor lines), or as chosen in the query (ids)."""
    if form.is_bound:
        source = form.data
        values = {name: source.get(name, "") for name in ("culpability", "harm", "sanction", "purpose")}
        for name in FACTOR_FIELDS:
            values[name] = [line.strip() for line in source.get(name, "").splitlines() if line.strip()]
        values["outcomes_considered"] = _considered(source, getattr(form, "why_not_outcomes", ()))
        return values
    query = request.GET
    values = {name: query.get(name, "") for name in ("culpability", "harm", "sanction")}
    for name in FACTOR_FIELDS:
        values[name] = query.getlist(name)
    return values


def _clean_level(value) -> int | None:
    try:
        level = int(value)
    except (TypeError, ValueError):
        return None
    return level if level in Level.values else None


def outcome_page(*, request, obj, form, page) -> dict:
    """Add the guidance panel to the outcome decision page (for those who may read the guidance)."""
    if not permissions.has_role_for(request.user, "proceeding.guidance.read"):
        return page
    values = _draft_values(request, form)
    values["culpability"], values["harm"] = _clean_level(values["culpability"]), _clean_level(values["harm"])
    if values["sanction"] not in Sanction.values:
        values["sanction"] = ""
    problem = ""
    try:
        draft = selectors.Draft.parse(values, require_explanations=False)
    except ValidationFailed as err:
        problem = err.message
        draft = selectors.Draft(culpability=values["culpability"], harm=values["harm"], sanction=values["sanction"])
    guidance = selectors.guidance_view(proceeding=obj, draft=draft, actor=request.user)
    chosen = {name: set(draft.ids(name)) for name in FACTOR_FIELDS}
    vocabularies = [(name, name.replace("_", " ").capitalize(),
                     [(f, f.id in chosen[name]) for f in data.factors_of(kind)])
                    for kind, name in data.FIELD_OF_KIND.items()]
    return {**page, "template": "guidance/outcome_page.html", "guidance": guidance, "guidance_problem": problem,
            "draft": draft, "levels": Level.choices, "sanctions": [(s, Sanction(s).label)
                                                                   for s in guidance["range"]["allowed"]],
            "vocabularies": vocabularies}
