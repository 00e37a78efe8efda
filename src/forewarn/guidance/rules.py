"""The outcomes guidance as pure functions over `guidance.data`: no database access.

`indicative_range` turns a structured assessment (culpability, harm, factors) and the regime into
the outcomes the guidance indicates; `outlier_grounds` says why a chosen outcome departs from them;
`reasoning_gaps` lists what the decision leaves unexplained. The lifecycle's outcome step, the API
and the web page call the same functions, so what a panel is shown is what it is held to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from forewarn.core.errors import ValidationFailed
from forewarn.guidance import data
from forewarn.guidance.data import FIELD_OF_KIND
from forewarn.proceedings import rules as proceeding_rules
from forewarn.proceedings.models import Finding, Level, Sanction

# Findings the guidance applies to: proven misconduct (issue #6 §2).
PROVEN = (Finding.MISCONDUCT, Finding.GROSS_MISCONDUCT)
MAX_FACTORS = 30
MAX_EXPLANATION = 5_000


# -- chosen factors ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChosenFactor:
    id: str
    explanation: str

    def as_json(self) -> dict:
        factor = data.FACTORS_BY_ID[self.id]
        return {"factor": self.id, "words": factor.words, "explanation": self.explanation}


def factor_line(entry) -> str:
    """An entry as the one-line form "id: explanation" (objects {"factor", "explanation"} too)."""
    if isinstance(entry, Mapping):
        factor = str(entry.get("factor", "") or "").strip()
        explanation = str(entry.get("explanation", "") or "").strip()
        return f"{factor}: {explanation}" if explanation else factor
    return str(entry)


def parse_factors(entries: Iterable, *, kind: str, require_explanation: bool = True) -> list[ChosenFactor]:
    """Each entry must name a factor of this kind from the guidance and explain how it was weighed.

    A list of factors without an explanation of how each was weighed is inadequate (R (DG IOPC) v
    PMP [2024] EWHC 2796 (Admin)); an unknown id is a 422 naming the entry. A draft being previewed
    may leave explanations out (`require_explanation=False`): the preview lists them as gaps.
    """
    field = FIELD_OF_KIND[kind]
    chosen: list[ChosenFactor] = []
    seen: set[str] = set()
    entries = list(entries or [])
    if len(entries) > MAX_FACTORS:
        raise ValidationFailed(f"{field}: at most {MAX_FACTORS} factors.", code="guidance.too_many_factors",
                               field=field)
    for index, entry in enumerate(entries):
        where = f"{field}.{index}"
        factor_id, _, explanation = factor_line(entry).partition(":")
        factor_id, explanation = factor_id.strip(), explanation.strip()
        factor = data.FACTORS_BY_ID.get(factor_id)
        if factor is None or factor.kind != kind:
            ids = ", ".join(f.id for f in data.factors_of(kind))
            raise ValidationFailed(
                f"{where}: '{factor_id[:60]}' is not one of the guidance's {kind} factors. Write "
                f"'factor_id: how it was weighed', choosing from: {ids}.", code="guidance.unknown_factor",
                field=where)
        if not explanation and require_explanation:
            raise ValidationFailed(
                f"{where}: explain how '{factor.words}' was weighed ('{factor.id}: …'); a list of factors "
                "without that explanation is inadequate (R (DG IOPC) v PMP [2024] EWHC 2796 (Admin)).",
                code="guidance.factor_unexplained", field=where)
        if len(explanation) > MAX_EXPLANATION:
            raise ValidationFailed(f"{where}: at most {MAX_EXPLANATION} characters.", code="guidance.too_long",
                                   field=where)
        if factor_id in seen:
            raise ValidationFailed(f"{where}: '{factor_id}' is given twice.", code="guidance.duplicate_factor",
                                   field=where)
        seen.add(factor_id)
        chosen.append(ChosenFactor(factor_id, explanation))
    return chosen


# -- the indicative range ---------------------------------------------------------------------------
@dataclass(frozen=True)
class IndicativeRange:
    applicable: bool
    finding: str
    allowed: tuple[str, ...]  # what the proceeding may impose, least severe first
    outcomes: tuple[str, ...] = ()  # the indicated outcomes, least severe first
    band: str = ""
    score: float = 0.0
    culpability: int | None = None  # effective: the stated level, or higher if the factors indicate it
    harm: int | None = None
    personal_weight: float = 0.0
    personal_little_weight: bool = False
    highest_seriousness: tuple[str, ...] = ()  # the factors that give personal mitigation little weight
    presumption: str = ""
    notes: tuple[str, ...] = ()

    @property
    def floor(self) -> str | None:
        return self.outcomes[0] if self.outcomes else None

    @property
    def ceiling(self) -> str | None:
        return self.outcomes[-1] if self.outcomes else None

    def bounds(self) -> tuple[int, int]:
        """(least, most) severity of the range, for comparing ranges."""
        if not self.outcomes:
            return (-1, -1)
        return (data.SEVERITY[self.outcomes[0]], data.SEVERITY[self.outcomes[-1]])

    def as_json(self) -> dict:
        return {
            "applicable": self.applicable, "finding": self.finding, "allowed": list(self.allowed),
            "outcomes": list(self.outcomes), "floor": self.floor, "ceiling": self.ceiling, "band": self.band,
            "band_words": _band(self.band).words if self.band else "", "score": self.score,
            "culpability": self.culpability, "harm": self.harm, "personal_weight": self.personal_weight,
            "personal_little_weight": self.personal_little_weight,
            "highest_seriousness": list(self.highest_seriousness), "presumption": self.presumption,
            "notes": list(self.notes),
        }


def _band(band_id: str) -> data.Band:
    return next(b for b in data.BANDS if b.id == band_id)


def _ordered(sanctions: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(sanctions, key=lambda s: (data.SEVERITY[s], s)))


def _at_or_below(allowed: tuple[str, ...], target: int) -> str:
    """The most severe allowed outcome not above `target` (or the least severe if all are above)."""
    below = [s for s in allowed if data.SEVERITY[s] <= target]
    return below[-1] if below else allowed[0]


def band_for(score: float) -> str:
    found = data.BANDS[0].id
    for band in data.BANDS:
        if score >= band.from_score:
            found = band.id
    return found


def _implied(factor_ids: Iterable[str]) -> int | None:
    levels = [data.FACTORS_BY_ID[f].at_least for f in factor_ids if data.FACTORS_BY_ID[f].at_least]
    return max(levels) if levels else None


def indicative_range(
    *,
    finding: str | None,
    form: str,
    regime: str,
    is_former_officer: bool,
    culpability: int | None,
    harm: int | None,
    final_written_warning_in_force: bool = False,
    unconnected_incidents: bool = False,
    culpability_factors: Iterable[str] = (),
    harm_factors: Iterable[str] = (),
    aggravating: Iterable[str] = (),
    mitigating: Iterable[str] = (),
    personal: Iterable[str] = (),
) -> IndicativeRange:
    """The outcomes the guidance indicates for this assessment, under this regime (factor ids only)."""
    allowed = _ordered(proceeding_rules.sanctions_allowed(
        form=form, finding=finding, regime=regime, final_written_warning_in_force=final_written_warning_in_force,
        is_former_officer=is_former_officer, unconnected_incidents=unconnected_incidents)) if finding else ()
    substantive = [s for s in allowed if s != Sanction.NO_ACTION]
    if finding not in PROVEN or not substantive:
        # Not proven, not misconduct, or an AMH finding misconduct only (referred back): nothing to weigh.
        return IndicativeRange(applicable=False, finding=finding or "", allowed=allowed)

    aggravating, mitigating, personal = list(aggravating), list(mitigating), list(personal)
    notes: list[str] = []
    implied_c = _implied(culpability_factors)
    implied_h = _implied(harm_factors)
    # The guidance ties some conduct to high culpability whatever else is said (VAWG: always high).
    for f in aggravating:
        if data.FACTORS_BY_ID[f].little_weight_for_personal:
            implied_c = max(implied_c or 0, Level.HIGH)
    eff_c = max(culpability or 0, implied_c or 0) or None
    eff_h = max(harm or 0, implied_h or 0) or None
    if culpability is None:
        notes.append("Culpability has not been assessed yet.")
    elif implied_c and implied_c > culpability:
        notes.append(f"The factors chosen indicate at least {Level(implied_c).label.lower()} culpability, above the "
                     f"{Level(culpability).label.lower()} stated: explain why, or the range uses the higher level.")
    if harm is None:
        notes.append("Harm has not been assessed yet.")
    elif implied_h and implied_h > harm:
        notes.append(f"The factors chosen indicate at least {Level(implied_h).label.lower()} harm, above the "
                     f"{Level(harm).label.lower()} stated: explain why, or the range uses the higher level.")

    highest = tuple(f for f in aggravating if data.FACTORS_BY_ID[f].little_weight_for_personal)
    up = min(sum(data.FACTORS_BY_ID[f].weight for f in aggravating), data.AGGRAVATING_CAP)
    down = min(sum(data.FACTORS_BY_ID[f].weight for f in mitigating), data.MITIGATING_CAP)
    personal_weight = 0.0 if highest else min(sum(data.FACTORS_BY_ID[f].weight for f in personal),
                                               data.PERSONAL_CAP)
    score = (eff_c or Level.LOW) + (eff_h or Level.LOW) + up - down - personal_weight
    band = band_for(score)
    for f in aggravating:
        floor_band = data.FACTORS_BY_ID[f].band_at_least
        if floor_band and data.BAND_ORDER.index(floor_band) > data.BAND_ORDER.index(band):
            band = floor_band
            notes.append(f"'{data.FACTORS_BY_ID[f].words}' puts the conduct in at least the "
                         f"{_band(floor_band).words.lower()} band.")
    if highest and personal:
        notes.append("Personal mitigation is recorded but carries little weight for conduct of this kind.")

    low_target, high_target = data.RANGE_TARGETS[finding][band]
    presumption = next((p.words for p in data.PRESUMPTIONS if p.regime == regime and p.finding == finding), "")
    if presumption:
        # SI 2025/558: dismissal is presumed whatever the band; a lesser outcome needs exceptional circumstances.
        low_target = high_target = max(data.SEVERITY[s] for s in substantive)
    low = _at_or_below(allowed, low_target)
    high = _at_or_below(allowed, high_target)
    if data.SEVERITY[high] < data.SEVERITY[low]:
        high = low
    outcomes = tuple(s for s in allowed if data.SEVERITY[low] <= data.SEVERITY[s] <= data.SEVERITY[high])
    return IndicativeRange(
        applicable=True, finding=finding, allowed=allowed, outcomes=outcomes, band=band, score=round(score, 2),
        culpability=eff_c, harm=eff_h, personal_weight=personal_weight, personal_little_weight=bool(highest),
        highest_seriousness=highest, presumption=presumption, notes=tuple(notes))


# -- departures from the range ---------------------------------------------------------------------
def outlier_grounds(indicated: IndicativeRange, *, sanction: str, personal: Iterable[str] = ()) -> list[str]:
    """Why an outcome departs from the guidance (ids of data.GROUNDS); empty if it does not."""
    if not indicated.applicable or not sanction or sanction not in data.SEVERITY or not indicated.outcomes:
        return []
    grounds = []
    severity = data.SEVERITY[sanction]
    floor, ceiling = indicated.bounds()
    if severity < floor:
        grounds.append("below_presumption" if indicated.presumption else "below_range")
    if indicated.personal_little_weight and list(personal) and severity < ceiling:
        grounds.append("personal_mitigation_little_weight")
    return grounds


def grounds_in_words(indicated: IndicativeRange, grounds: Iterable[str], *, sanction: str) -> list[str]:
    """Each ground as a sentence naming the outcome, the range and the conduct that set it."""
    chosen = Sanction(sanction).label
    words = []
    for ground in grounds:
        if ground == "below_range":
            words.append(f"{chosen} is below the indicative range ({_span(indicated)}) for "
                         f"{_band(indicated.band).words.lower()} (culpability {_level(indicated.culpability)}, harm "
                         f"{_level(indicated.harm)}).")
        elif ground == "below_presumption":
            words.append(f"{chosen} is short of the dismissal presumed for gross misconduct: "
                         f"{indicated.presumption}")
        elif ground == "personal_mitigation_little_weight":
            conduct = ", ".join(data.FACTORS_BY_ID[f].words.lower() for f in indicated.highest_seriousness)
            words.append(f"{chosen} is short of {Sanction(indicated.ceiling).label.lower()} while personal "
                         f"mitigation is recorded, which carries little weight where the conduct involves {conduct} "
                         "(Salter [2012] EWCA Civ 1047; Met v PMP [2025] EWHC 93 (Admin)).")
    return words


def _span(indicated: IndicativeRange) -> str:
    if indicated.floor == indicated.ceiling:
        return Sanction(indicated.floor).label.lower()
    return f"{Sanction(indicated.floor).label.lower()} to {Sanction(indicated.ceiling).label.lower()}"


def _level(level: int | None) -> str:
    return Level(level).label.lower() if level else "not assessed"


# "No disciplinary action" follows a finding that is not misconduct (or an accelerated hearing's finding
# of misconduct only, referred back): it is not among the outcomes weighed for proven misconduct. A former officer's "no further action" is an outcome the panel may
# decide for gross misconduct (Conduct Regs 2020 Sch 1 modifying reg 42): choosing "would have been
# dismissed" over it needs a reason like any other step up.
NO_OUTCOME = frozenset({Sanction.NO_ACTION})


def lesser_outcomes(allowed: Iterable[str], *, sanction: str) -> tuple[str, ...]:
    """The outcomes the proceeding could impose that are less severe than `sanction`, least severe first.

    The floor is what the form may impose for the finding under the regime (`allowed`), not the
    indicative range: the guidance's third stage starts "with the least severe outcome" available and
    moves up only if it is insufficient (College of Policing outcomes guidance 2022; Fuglers), and the
    range is Forewarn's own calibration of the guidance's words, not a starting point the guidance sets.
    """
    if sanction not in data.SEVERITY:
        return ()
    return tuple(s for s in _ordered(allowed)
                 if data.SEVERITY[s] < data.SEVERITY[sanction] and s not in NO_OUTCOME)


def unexplained_lesser(allowed: Iterable[str], *, sanction: str, outcomes_considered: Iterable[Mapping]) -> list[str]:
    """The less severe outcomes (ids, least severe first) given no reason why they were insufficient."""
    explained = {str(o.get("sanction")) for o in outcomes_considered if str(o.get("why_not") or "").strip()}
    return [s for s in lesser_outcomes(allowed, sanction=sanction) if s not in explained]


def reasoning_gaps(indicated: IndicativeRange, *, sanction: str, outcomes_considered: Iterable[Mapping],
                   purpose: str) -> list[str]:
    """What the decision leaves unexplained that the guidance's third stage asks for (shown, stored).

    The outcome step refuses a decision with unexplained less severe outcomes (guidance.services), so
    a stored assessment lists only the purpose; a draft being previewed lists both.
    """
    if not indicated.applicable or sanction not in data.SEVERITY:
        return []
    gaps = []
    missing = [Sanction(s).label.lower() for s in unexplained_lesser(
        indicated.allowed, sanction=sanction, outcomes_considered=outcomes_considered)]
    if missing:
        gaps.append("No reason is given why a less severe outcome was insufficient: " + ", ".join(missing) + ".")
    if not purpose.strip():
        gaps.append("The decision does not say how the outcome serves the purpose of outcomes (public confidence, "
                    "standards, protection of the public).")
    return gaps
