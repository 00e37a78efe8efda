"""Writes of the outcome guidance: the check and record made in the outcome step, and the outlier alert.

The proceeding machine's outcome step (`proceedings.lifecycle`, action `outcome_determine`) calls
`outcome_check` among its rules (nothing written yet: a refusal leaves no trace) and
`assessment_record` in its apply, inside `run_transition`'s transaction. The assessment's audit event
reaches the register (`register.alerts`), which calls `outlier_alert_raise` in the same transaction:
an outlier outcome and its alert commit or roll back together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from forewarn.core.errors import GuardFailed
from forewarn.guidance import data, rules, selectors
from forewarn.guidance.models import AssessedDecision, OutcomeAssessment
from forewarn.proceedings.models import Proceeding, Sanction

# What an appeal body may give of its own assessment when it substitutes an outcome; each one left out
# (None) is the panel's, as recorded (proceedings.lifecycle.SubstitutedAssessment).
SUBSTITUTION_FIELDS = ("culpability", "harm", *data.FIELD_OF_KIND.values(), "purpose", "outcomes_considered",
                       "outlier_reasons", "exceptional_circumstances")


@dataclass(frozen=True)
class OutcomeCheck:
    draft: selectors.Draft
    finding: str | None
    indicated: rules.IndicativeRange
    grounds: tuple[str, ...]
    words: tuple[str, ...]
    gaps: tuple[str, ...]
    reasons: str  # the explicit reasons for departing (outlier_reasons, or the exceptional circumstances)


def outcome_check(*, proceeding: Proceeding, values: Mapping, finding: str | None) -> OutcomeCheck:
    """Judge an outcome against the guidance before it is saved; refuse an outlier without reasons.

    Raises ValidationFailed for an unknown or unexplained factor (naming the entry); GuardFailed
    `outcome.outlier_reasons_required` for an outcome below the indicative range, or short of the most
    severe indicated while relying on personal mitigation of little weight, with no explicit reasons;
    and GuardFailed `outcome.lesser_outcomes_unexplained` (context `missing`: the outcome ids) unless
    every less severe outcome the proceeding could impose has a `why_not` in `outcomes_considered`.
    """
    draft = selectors.Draft.parse(values, require_explanations=True)
    indicated = selectors.range_for(proceeding, draft, finding=finding)
    grounds = tuple(rules.outlier_grounds(indicated, sanction=draft.sanction,
                                          personal=draft.ids("personal_mitigation")))
    words = tuple(rules.grounds_in_words(indicated, grounds, sanction=draft.sanction))
    reasons = str(values.get("outlier_reasons") or "").strip()
    if grounds and not reasons and set(grounds) <= {"below_presumption"}:
        # SI 2025/558: the exceptional circumstances are the statutory reasons for this departure.
        reasons = str(values.get("exceptional_circumstances") or "").strip()
    if grounds and not reasons:
        raise GuardFailed(
            f"'{Sanction(draft.sanction).label}' departs from the outcomes guidance: {' '.join(words)} Give "
            "explicit reasons for the departure (outlier_reasons); the appropriate authority and the IOPC will "
            "be told.", code="outcome.outlier_reasons_required", field="outlier_reasons",
            grounds=list(grounds))
    _lesser_outcomes_explained(indicated, draft)
    gaps = tuple(rules.reasoning_gaps(indicated, sanction=draft.sanction, outcomes_considered=draft.outcomes_considered,
                                      purpose=draft.purpose))
    return OutcomeCheck(draft=draft, finding=finding, indicated=indicated, grounds=grounds, words=words, gaps=gaps,
                        reasons=reasons)


def _recorded_factors(entries, *, kind: str) -> list[str]:
    """The panel's recorded factors of one kind as "id: explanation" lines (entries outside the vocabulary,
    from before the guidance was applied, are left out: the appeal body gives its own if it relies on them)."""
    lines = []
    for entry in entries or []:
        line = rules.factor_line(entry)
        factor = data.FACTORS_BY_ID.get(line.partition(":")[0].strip())
        if factor is not None and factor.kind == kind:
            lines.append(line)
    return lines


def substitution_check(*, proceeding: Proceeding, values: Mapping, finding: str | None) -> OutcomeCheck:
    """Judge an outcome an appeal body substitutes (PAT, judicial review, Court of Appeal) as the panel's
    is judged: the same range, the same outlier grounds and reasons, the same less severe outcomes.

    The seriousness is the panel's as recorded (culpability, harm and factors) unless the appeal body
    gives its own: an appeal body that substitutes the outcome usually accepts the findings and
    re-weighs the outcome. Call in the rules of the step that substitutes (nothing written yet).
    """
    recorded = proceeding.outcome_assessments.filter(decision=AssessedDecision.OUTCOME).first()
    merged: dict = {
        "culpability": proceeding.culpability, "harm": proceeding.harm,
        "culpability_factors": _recorded_factors(recorded.culpability_factors if recorded else [], kind="culpability"),
        "harm_factors": _recorded_factors(recorded.harm_factors if recorded else [], kind="harm"),
        "aggravating_factors": _recorded_factors(proceeding.aggravating_factors, kind="aggravating"),
        "mitigating_factors": _recorded_factors(proceeding.mitigating_factors, kind="mitigating"),
        "personal_mitigation": _recorded_factors(proceeding.personal_mitigation, kind="personal"),
    }
    merged.update({name: values[name] for name in SUBSTITUTION_FIELDS if values.get(name) is not None})
    merged["sanction"] = values.get("substituted_sanction") or ""
    return outcome_check(proceeding=proceeding, values=merged, finding=finding)


def _lesser_outcomes_explained(indicated: rules.IndicativeRange, draft: selectors.Draft) -> None:
    """Refuse an outcome unless each less severe outcome the proceeding could impose is said to be
    insufficient, and why: the guidance's third stage starts with the least severe outcome and moves up
    only if it is insufficient (College of Policing outcomes guidance 2022; Fuglers [2014] EWHC 179
    (Admin)), and the decision must show that reasoning (O'Connor [2025] EWCA Civ 27)."""
    if not indicated.applicable:
        return
    missing = rules.unexplained_lesser(indicated.allowed, sanction=draft.sanction,
                                       outcomes_considered=draft.outcomes_considered)
    if missing:
        names = ", ".join(Sanction(s).label.lower() for s in missing)
        raise GuardFailed(
            f"Say why each less severe outcome was insufficient before choosing "
            f"{Sanction(draft.sanction).label.lower()}: no reason is given for {names} (outcomes_considered: "
            "one {sanction, why_not} for each). The guidance starts with the least severe outcome and moves up "
            "only if it is insufficient.", code="outcome.lesser_outcomes_unexplained", field="outcomes_considered",
            missing=missing)


def assessment_record(*, actor, proceeding: Proceeding, check: OutcomeCheck, on: dt.date,
                      decision: str = AssessedDecision.OUTCOME) -> OutcomeAssessment | None:
    """Store what the guidance indicated for the outcome just decided (or substituted), with one audit event.

    Call inside the deciding step's transaction. Nothing is stored where the guidance does not apply
    (not proven, not misconduct).
    """
    from forewarn.audit.services import event_record

    if not check.indicated.applicable:
        return None
    profile = selectors.proceeding_profile(proceeding)
    comparable = selectors.comparables(proceeding=proceeding, profile=profile, indicated=check.indicated)
    indicated = check.indicated
    assessment = OutcomeAssessment.objects.create(
        proceeding=proceeding, decision=decision, guidance_version=data.GUIDANCE_VERSION, decided_on=on,
        sanction=check.draft.sanction,
        culpability_factors=[c.as_json() for c in check.draft.culpability_factors],
        harm_factors=[c.as_json() for c in check.draft.harm_factors], purpose=check.draft.purpose,
        indicated=indicated.as_json(), range_floor=indicated.floor or "", range_ceiling=indicated.ceiling or "",
        band=indicated.band, comparables={"count": comparable["count"], "distribution": comparable["distribution"],
                                          "profile": comparable["profile"]},
        is_outlier=bool(check.grounds), outlier_grounds=list(check.grounds), outlier_words=list(check.words),
        outlier_reasons=check.reasons if check.grounds else "", reasoning_gaps=list(check.gaps))
    event_record(actor=actor, action="outcome_assessment.record", obj=assessment, case=proceeding.case,
                 occurred_on=on,
                 data={"proceeding_id": proceeding.pk, "decision": decision, "sanction": assessment.sanction,
                       "band": assessment.band,
                       "range": [assessment.range_floor, assessment.range_ceiling], "outlier": assessment.is_outlier,
                       "grounds": assessment.outlier_grounds, "comparables": comparable["count"]},
                 reason=assessment.outlier_reasons)
    return assessment


def outlier_alert_raise(*, event, assessment: OutcomeAssessment):
    """An "outcome outlier" alert to the appropriate authority (the case's force, its professional
    standards department) and the IOPC, which may seek judicial review of the decision.

    Called by the register for the assessment's audit event (register.alerts.HANDLERS), in its
    transaction. Raised once per assessment: the panel's decision, and each outcome substituted on appeal.
    """
    from forewarn.organisations.models import Organisation, OrganisationKind
    from forewarn.register.alerts import Recipient, alert_raise
    from forewarn.register.entries import subject_entries
    from forewarn.register.models import AlertTrigger, RecipientBasis, Unit

    if not assessment.is_outlier:
        return None
    proceeding = assessment.proceeding
    case = proceeding.case
    subjects = [i.subject_allegation for i in proceeding.items.select_related(
        "subject_allegation__case__organisation", "subject_allegation__allegation").order_by("id")]
    person_id = proceeding.person_id or next((s.person_id for s in subjects if s.person_id), None)
    if person_id is None:  # pragma: no cover - proceedings are brought against identified officers
        return None
    targets = [Recipient(case.organisation_id, Unit.PROFESSIONAL_STANDARDS, RecipientBasis.APPROPRIATE_AUTHORITY)]
    iopc = Organisation.objects.filter(kind=OrganisationKind.IOPC).order_by("id").first()
    if iopc is not None:
        targets.append(Recipient(iopc.pk, Unit.OVERSIGHT, RecipientBasis.OVERSIGHT))
    sanction = Sanction(assessment.sanction).label
    substituted = assessment.decision == AssessedDecision.SUBSTITUTION
    how = " substituted on appeal" if substituted else ""
    reasons = [f"Outcome outlier: {sanction}{how} ({proceeding.get_form_display().lower()}, case {case.reference})",
               *assessment.outlier_words, f"Reasons given for the departure: {assessment.outlier_reasons}"]
    summary = {
        "entries": subject_entries([s for s in subjects if s.person_id == person_id]),
        "outcome_outlier": {"proceeding_id": proceeding.pk, "case": case.reference, "decision": assessment.decision,
                            "sanction": assessment.sanction,
                            "range": [assessment.range_floor, assessment.range_ceiling], "band": assessment.band,
                            "grounds": assessment.outlier_grounds, "reasons": assessment.outlier_reasons,
                            "contact": case.organisation.standards_contact},
    }
    return alert_raise(person_id=person_id, trigger=AlertTrigger.OUTCOME_OUTLIER,
                       dedupe_key=(f"outcome_outlier:{proceeding.pk}:{assessment.pk}" if substituted
                                   else f"outcome_outlier:{proceeding.pk}"), occurred_on=event.occurred_on,
                       summary=summary, reasons=reasons, case=case, targets=targets)
