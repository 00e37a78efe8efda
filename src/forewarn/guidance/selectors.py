"""Reads for the outcome guidance: comparable outcomes from the register, and the guidance shown for
one proceeding given a draft assessment (the API and the outcome page call `guidance_for_proceeding`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from forewarn.guidance import data, rules
from forewarn.organisations import permissions
from forewarn.proceedings import rules as proceeding_rules
from forewarn.proceedings.models import Proceeding, ProceedingAllegation, ProceedingStatus, Sanction

COMPARABLES_SHOWN = 10
# Rows read for comparables: the newest first, enough for a distribution at national scale without
# reading the whole register into memory inside the outcome step's transaction.
COMPARABLE_ROWS_MAX = 5_000


@dataclass(frozen=True)
class Profile:
    """What makes another proceeding comparable: the same finding, category and standards."""

    finding: str | None
    categories: frozenset[str]
    standards: frozenset[str]


def proceeding_profile(proceeding: Proceeding) -> Profile:
    """The most serious finding and the categories and standards of the allegations found so."""
    rows = list(proceeding.items.values_list("finding", "subject_allegation__allegation__category",
                                             "subject_allegation__allegation__standards"))
    findings = [f for f, _, _ in rows if f]
    finding = proceeding_rules.most_serious(findings) if findings else None
    chosen = [(c, s) for f, c, s in rows if f == finding]
    return Profile(finding, frozenset(c for c, _ in chosen if c),
                   frozenset(code for _, standards in chosen for code in (standards or [])))


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def comparables(*, proceeding: Proceeding, profile: Profile, actor=None,
                indicated: rules.IndicativeRange | None = None, shown: int = COMPARABLES_SHOWN) -> dict:
    """Proven proceedings elsewhere in the register with the same finding, a shared category and a
    shared standard: their outcomes and the distribution. Quashed (remitted) outcomes are left out.

    One query for the rows, and one for the case references the actor may see (other forces'
    comparables are shown without a reference: the outcome, not the case file).
    """
    empty = {"count": 0, "distribution": [], "cases": [], "truncated": False,
             "profile": {"finding": profile.finding, "categories": sorted(profile.categories),
                         "standards": sorted(profile.standards)}}
    if profile.finding not in rules.PROVEN or not profile.categories:
        return empty
    rows = list(
        ProceedingAllegation.objects
        .filter(finding=profile.finding, subject_allegation__allegation__category__in=sorted(profile.categories),
                proceeding__sanction__gt="")
        .exclude(proceeding_id=proceeding.pk)
        .exclude(proceeding__status=ProceedingStatus.REMITTED)
        .order_by("-proceeding_id")
        .values_list("proceeding_id", "proceeding__sanction", "proceeding__form", "proceeding__regime",
                     "proceeding__is_former_officer", "proceeding__sanction_effective_on",
                     "proceeding__status_since", "proceeding__case_id", "subject_allegation__allegation__category",
                     "subject_allegation__allegation__standards")[:COMPARABLE_ROWS_MAX])
    grouped: dict[int, dict] = {}
    for pid, sanction, form, regime, former, effective, since, case_id, category, standards in rows:
        entry = grouped.setdefault(pid, {"proceeding_id": pid, "sanction": sanction, "form": form, "regime": regime,
                                         "is_former_officer": former, "year": (effective or since).year,
                                         "case_id": case_id, "categories": set(), "standards": set()})
        entry["categories"].add(category)
        entry["standards"].update(standards or [])
    found = []
    for entry in grouped.values():
        cats, stds = frozenset(entry["categories"]), frozenset(entry["standards"])
        if profile.standards and not (stds & profile.standards):
            continue
        entry["similarity"] = round(_jaccard(cats, profile.categories) + _jaccard(stds, profile.standards), 3)
        found.append(entry)
    found.sort(key=lambda e: (-e["similarity"], -e["proceeding_id"]))
    counts = Counter(e["sanction"] for e in found)
    total = len(found)
    distribution = [{"sanction": s, "label": _label(s), "count": n, "share": round(n / total, 3)}
                    for s, n in sorted(counts.items(), key=lambda kv: (data.SEVERITY.get(kv[0], 99), kv[0]))]
    top = found[:shown]
    references = _references_in_scope(actor, {e["case_id"] for e in top})
    in_range = set(indicated.outcomes) if indicated and indicated.applicable else None
    cases = [{
        "reference": references.get(e["case_id"], ""), "year": e["year"], "form": e["form"], "regime": e["regime"],
        "is_former_officer": e["is_former_officer"], "sanction": e["sanction"], "label": _label(e["sanction"]),
        "categories": sorted(e["categories"]), "standards": sorted(e["standards"]), "similarity": e["similarity"],
        "within_range": None if in_range is None else e["sanction"] in in_range,
    } for e in top]
    return {**empty, "count": total, "distribution": distribution, "cases": cases,
            "truncated": len(rows) == COMPARABLE_ROWS_MAX}


def _label(sanction: str) -> str:
    return str(Sanction(sanction).label) if sanction in Sanction.values else sanction


def _references_in_scope(actor, case_ids: set[int]) -> dict[int, str]:
    if actor is None or not case_ids:
        return {}
    from forewarn.cases.models import Case

    return dict(Case.objects.filter(permissions.case_scope_q(actor), pk__in=sorted(case_ids))
                .values_list("pk", "reference"))


# -- the guidance for one proceeding -----------------------------------------------------------------
def principles_for(indicated: rules.IndicativeRange, *, personal: Iterable[str], regime: str) -> list[dict]:
    """The case-law principles shown with the range: always the general ones, and those the assessment
    engages (personal mitigation recorded, conduct of the highest seriousness, the 2025 presumption)."""
    engaged = {"always"}
    if list(personal):
        engaged.add("personal_mitigation")
    if indicated.highest_seriousness:
        engaged.add("highest_seriousness")
    if indicated.presumption:
        engaged.add("gross_misconduct_2025")
    return [{"id": p.id, "words": p.words, "sources": data.cited(p.sources),
             "rests_on_unverified": data.rests_on_unverified(p.sources)}
            for p in data.PRINCIPLES if p.applies_when in engaged]


def vocabularies() -> dict[str, list[dict]]:
    """Every factor the assessment may choose, by payload field, with its weight and sources."""
    return {field: [{"id": f.id, "words": f.words, "weight": f.weight, "at_least": f.at_least,
                     "band_at_least": f.band_at_least, "little_weight_for_personal": f.little_weight_for_personal,
                     "sources": data.cited(f.sources), "rests_on_unverified": data.rests_on_unverified(f.sources)}
                    for f in data.factors_of(kind)]
            for kind, field in data.FIELD_OF_KIND.items()}


@dataclass(frozen=True)
class Draft:
    """A structured assessment, complete (the outcome step) or in progress (the preview)."""

    culpability: int | None = None
    harm: int | None = None
    culpability_factors: tuple[rules.ChosenFactor, ...] = ()
    harm_factors: tuple[rules.ChosenFactor, ...] = ()
    aggravating_factors: tuple[rules.ChosenFactor, ...] = ()
    mitigating_factors: tuple[rules.ChosenFactor, ...] = ()
    personal_mitigation: tuple[rules.ChosenFactor, ...] = ()
    sanction: str = ""
    outcomes_considered: tuple[Mapping, ...] = ()
    purpose: str = ""

    @classmethod
    def parse(cls, values: Mapping, *, require_explanations: bool = True) -> Draft:
        """From payload-shaped values; unknown factor ids are a ValidationFailed naming the entry."""
        chosen = {field: tuple(rules.parse_factors(values.get(field) or [], kind=kind,
                                                   require_explanation=require_explanations))
                  for kind, field in data.FIELD_OF_KIND.items()}
        considered = tuple(o if isinstance(o, Mapping) else o.model_dump(mode="json")
                           for o in values.get("outcomes_considered") or [])
        return cls(culpability=_int(values.get("culpability")), harm=_int(values.get("harm")), **chosen,
                   sanction=str(values.get("sanction") or ""), outcomes_considered=considered,
                   purpose=str(values.get("purpose") or ""))

    def ids(self, field: str) -> list[str]:
        return [c.id for c in getattr(self, field)]


def _int(value) -> int | None:
    return int(value) if value not in (None, "") else None


def outcomes_to_explain(proceeding: Proceeding) -> tuple[str, ...]:
    """The outcomes a decision on this proceeding may have to say were insufficient, least severe first:
    every outcome it could impose for its most serious finding but the most severe (none if the
    guidance does not apply)."""
    finding = proceeding_profile(proceeding).finding
    if finding not in rules.PROVEN:
        return ()
    allowed = proceeding_rules.sanctions_allowed(
        form=proceeding.form, finding=finding, regime=proceeding.regime,
        final_written_warning_in_force=proceeding.final_written_warning_in_force,
        is_former_officer=proceeding.is_former_officer, unconnected_incidents=proceeding.unconnected_incidents)
    if not allowed:
        return ()
    most_severe = max(allowed, key=lambda s: data.SEVERITY[s])
    return rules.lesser_outcomes(allowed, sanction=most_severe)


def range_for(proceeding: Proceeding, draft: Draft, *, finding: str | None) -> rules.IndicativeRange:
    return rules.indicative_range(
        finding=finding, form=proceeding.form, regime=proceeding.regime,
        is_former_officer=proceeding.is_former_officer,
        final_written_warning_in_force=proceeding.final_written_warning_in_force,
        unconnected_incidents=proceeding.unconnected_incidents, culpability=draft.culpability, harm=draft.harm,
        culpability_factors=draft.ids("culpability_factors"), harm_factors=draft.ids("harm_factors"),
        aggravating=draft.ids("aggravating_factors"), mitigating=draft.ids("mitigating_factors"),
        personal=draft.ids("personal_mitigation"))


def guidance_view(*, proceeding: Proceeding, draft: Draft, actor=None, with_comparables: bool = True) -> dict:
    """The range, the principles, the comparables and (for a chosen outcome) whether it is an outlier."""
    profile = proceeding_profile(proceeding)
    indicated = range_for(proceeding, draft, finding=profile.finding)
    grounds = rules.outlier_grounds(indicated, sanction=draft.sanction, personal=draft.ids("personal_mitigation"))
    unexplained = [f"Explain how '{data.FACTORS_BY_ID[c.id].words}' was weighed."
                   for field in data.FIELD_OF_KIND.values() for c in getattr(draft, field) if not c.explanation]
    return {
        "proceeding_id": proceeding.pk, "guidance_version": data.GUIDANCE_VERSION, "guidance": data.GUIDANCE_TITLE,
        "regime": proceeding.regime, "form": proceeding.form, "is_former_officer": proceeding.is_former_officer,
        "range": indicated.as_json(),
        "range_labels": [_label(s) for s in indicated.outcomes],
        "principles": principles_for(indicated, personal=draft.ids("personal_mitigation"), regime=proceeding.regime),
        "comparables": (comparables(proceeding=proceeding, profile=profile, actor=actor, indicated=indicated)
                        if with_comparables else None),
        "sanction": draft.sanction,
        "outlier": bool(grounds), "outlier_grounds": grounds,
        "outlier_words": rules.grounds_in_words(indicated, grounds, sanction=draft.sanction) if grounds else [],
        "reasoning_gaps": unexplained + (rules.reasoning_gaps(indicated, sanction=draft.sanction,
                                                              outcomes_considered=draft.outcomes_considered,
                                                              purpose=draft.purpose) if draft.sanction else []),
    }


def guidance_for_proceeding(*, actor, proceeding_id: int, values: Mapping) -> dict:
    """The guidance for a proceeding in the actor's scope, given a draft assessment (explanations optional)."""
    from forewarn.proceedings.selectors import proceeding_get_for_actor

    proceeding = proceeding_get_for_actor(actor=actor, proceeding_id=proceeding_id)
    permissions.require(actor, "proceeding.guidance.read")
    draft = Draft.parse(values, require_explanations=False)
    return {**guidance_view(proceeding=proceeding, draft=draft, actor=actor), "vocabularies": vocabularies()}

