"""Letters to complainants: which letters exist, when each may be sent, and what it says.

Each letter is a plain-text Django template in `documents/templates/documents/letters/`. The rules
about *when* a letter may be sent sit here, beside the templates they guard, so the service, the web
form and the API all offer and refuse the same letters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from forewarn.cases.models import Case, CaseStatus, CaseType, Party, ReviewBody
from forewarn.core.clocks import CLOCK_RULES, ClockKind
from forewarn.core.errors import GuardFailed, ValidationFailed
from forewarn.core.models import Clock
from forewarn.organisations.models import Organisation

_RECORDING_DECIDED = frozenset({CaseStatus.NOT_A_COMPLAINT, CaseStatus.HANDLED_OUTSIDE_SCH3})
_OUTCOME_GIVEN = frozenset({CaseStatus.OUTCOME_NOTIFIED, CaseStatus.FINALISED_OUTSIDE_SCH3})


def _recording_decided(case: Case) -> str | None:
    """A recording decision has been taken: recorded under Schedule 3, handled outside it, or not a complaint."""
    if case.recorded_on or case.status in _RECORDING_DECIDED:
        return None
    return (f"No recording decision has been taken on {case.reference} yet (it is "
            f"'{case.get_status_display()}').")


def _outcome_given(case: Case) -> str | None:
    """The complainant has been told the outcome (PRA 2002 Sch 3 paras 6A, 24; para 2(6C) outside Schedule 3)."""
    if case.status in _OUTCOME_GIVEN and case.outcome_summary:
        return None
    return (f"The outcome of {case.reference} has not been given yet (it is '{case.get_status_display()}'): "
            "take the step 'Tell the complainant the outcome' first.")


@dataclass(frozen=True)
class LetterTemplate:
    key: str
    title: str
    cite: str
    ready: Callable[[Case], str | None]  # None when the letter may be sent, else why not
    # Whether a letter sent before the case's current status counts: a recording decision is told
    # once; an outcome is told again after a re-investigation.
    once: bool = True

    @property
    def template_name(self) -> str:
        return f"documents/letters/{self.key}.txt"


LETTER_TEMPLATES: dict[str, LetterTemplate] = {
    t.key: t for t in [
        LetterTemplate("recording_decision", "The decision on recording your complaint",
                       "PRA 2002 s12, Sch 3 para 2", _recording_decided),
        LetterTemplate("outcome", "The outcome of your complaint and your right to a review",
                       "PRA 2002 Sch 3 paras 6A, 24-25; C&M Regs 2020 regs 29-30", _outcome_given, once=False),
    ]
}


def letter_template_get(key: str) -> LetterTemplate:
    template = LETTER_TEMPLATES.get((key or "").strip())
    if template is None:
        raise ValidationFailed(f"template: '{str(key)[:40]}' is not one of {', '.join(LETTER_TEMPLATES)}.",
                               field="template", code="validation.choice")
    return template


def review_rights_apply(case: Case) -> bool:
    """A complaint handled under Schedule 3 whose outcome was given carries a right to a review.

    Not for a complaint finalised outside Schedule 3 (domain brief §3A C3a: no review right [R]).
    """
    return case.case_type == CaseType.COMPLAINT and case.status == CaseStatus.OUTCOME_NOTIFIED


def review_body_for(case: Case, chosen: str = "") -> str:
    """The relevant review body: the IOPC for a complaint referred to it, otherwise the one chosen.

    C&M Regs 2020 reg 30 [R]: the IOPC reviews complaints referred to it and the most serious others
    (senior officers, possible crime or disciplinary proceedings, ECHR Art 2/3); the local policing
    body reviews the rest. Only the referral is on the record, so for the others the handler chooses.
    """
    chosen = (chosen or "").strip()
    if chosen and chosen not in ReviewBody.values:
        raise ValidationFailed(f"review_body: '{chosen[:20]}' is not one of {', '.join(ReviewBody.values)}.",
                               field="review_body", code="validation.choice")
    if case.referred_on is not None:
        if chosen and chosen != ReviewBody.IOPC:
            raise ValidationFailed("review_body: the complaint was referred to the IOPC, so the IOPC is the "
                                   "review body (C&M Regs 2020 reg 30).", field="review_body",
                                   code="review.body_must_be_iopc")
        return ReviewBody.IOPC
    if case.review_body:
        return case.review_body
    if not chosen:
        raise ValidationFailed("review_body: say which body reviews this complaint — the IOPC or the local "
                               "policing body (C&M Regs 2020 reg 30).", field="review_body",
                               code="validation.required")
    return chosen


def review_body_name(case: Case, review_body: str) -> str:
    if review_body == ReviewBody.IOPC:
        return "the Independent Office for Police Conduct (IOPC)"
    # The body that oversees the force (PRA 2002 s29), as loaded from the reference data.
    body = Organisation.objects.filter(oversees_id=case.organisation_id).first()
    return f"the {body.name}" if body else "the local policing body for the force"


def review_deadline(case: Case) -> dt.date:
    """The last day to apply: the running review clock, or 28 days from the day the outcome was given."""
    clock = (Clock.objects.filter(case=case, kind=ClockKind.COMPLAINANT_REVIEW, stopped_on__isnull=True,
                                  subject_allegation__isnull=True, proceeding__isnull=True)
             .order_by("-started_on", "-id").first())
    if clock is not None:
        return clock.due_on
    # C&M Regs 2020 reg 29: 28 days beginning with the day after the outcome was given.
    return CLOCK_RULES[ClockKind.COMPLAINANT_REVIEW].due_from(case.status_since)


def letter_compose(*, template: LetterTemplate, case: Case, party: Party, on: dt.date,
                   review_body: str = "") -> tuple[str, dict]:
    """The letter's text and the facts it states (kept on the document for the complainant portal).

    Raises GuardFailed when the case is not at a point where this letter can be sent.
    """
    refusal = template.ready(case)
    if refusal:
        raise GuardFailed(refusal, code=f"letter.{template.key}_not_ready", field="template")
    details: dict = {"template": template.key}
    follow_url = f"{settings.FOREWARN_PUBLIC_URL.rstrip('/')}{reverse('portal:start')}"
    context = {"case": case, "party": party, "organisation": case.organisation, "on": on,
               "template": template, "review": None, "follow_url": follow_url}
    if template.key == "outcome" and review_rights_apply(case):
        body = review_body_for(case, review_body)
        deadline = review_deadline(case)
        context["review"] = {"body": body, "body_name": review_body_name(case, body), "deadline": deadline}
        details.update(review_body=body, review_deadline=deadline.isoformat())
    text = render_to_string(template.template_name, context)
    # Template tags leave blank lines behind; a letter has at most one between paragraphs.
    return re.sub(r"\n{3,}", "\n\n", text.strip()) + "\n", details
