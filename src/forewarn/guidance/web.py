"""The outcomes guidance on the outcome decision page (web.views.action, step outcome_determine).

Shown before the decision is saved: the indicative range for the assessment as drafted (the posted
form, or the "try an assessment" query on the page), the case-law principles and comparable outcomes.
Thin: the same selectors as the API.
"""

from __future__ import annotations

from forewarn.core.errors import ValidationFailed
from forewarn.guidance import data, selectors
from forewarn.organisations import permissions
from forewarn.proceedings.models import Level, Sanction

FACTOR_FIELDS = tuple(data.FIELD_OF_KIND.values())
QUERY_FIELDS = ("culpability", "harm", "sanction", *FACTOR_FIELDS)


def _draft_values(request, form) -> dict:
    """The assessment as typed in the posted form (factor lines), or as chosen in the query (ids)."""
    if form.is_bound:
        source = form.data
        values = {name: source.get(name, "") for name in ("culpability", "harm", "sanction", "purpose")}
        for name in FACTOR_FIELDS:
            values[name] = [line.strip() for line in source.get(name, "").splitlines() if line.strip()]
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
