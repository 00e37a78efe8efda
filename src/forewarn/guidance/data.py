"""The College of Policing's outcomes guidance as data: factors, weights, bands, regime presumptions.

Nothing here is code that decides: `guidance.rules` reads these tables. Each factor and principle
cites its source, with the confidence tag of the domain brief (§0): [V] verified against the primary
text or an official page, [S] a reliable secondary source, [R] researcher's background knowledge not
re-verified, [U] uncertain. Weights are Forewarn's own calibration of the guidance's words ("limited
weight", "highest seriousness", "likely outcome is dismissal"): the guidance gives no numbers, so
every weight is a design decision documented in docs/outcome-guidance.md, not a quotation.

Version: the August 2022 text is the latest the research found; whether a 2025 revision reflects the
statutory presumption of dismissal is [U] (domain brief §6.1). The presumption itself comes from the
regulations (SI 2025/558), not from the guidance, and is applied by regime.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.core.regimes import Regime
from forewarn.proceedings.models import Finding, Level, Sanction

GUIDANCE_VERSION = "college-outcomes-2022-08"
GUIDANCE_TITLE = "College of Policing, Guidance on outcomes in police misconduct proceedings (August 2022)"


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    tag: str  # V, S, R or U (domain brief §0)
    url: str = ""


SOURCES: dict[str, Source] = {s.key: s for s in (
    Source("cop-2022", "College of Policing outcomes guidance, updated August 2022 (s87 Police Act 1996)", "V",
           "https://production.copweb.aws.college.police.uk/article/outcomes-police-misconduct-proceedings-updated-"
           "guidance"),
    Source("cop-2017-page", "College of Policing, Guidance on outcomes (2017 page): aggravating factors such as "
           "a vulnerable person or evident discrimination; personal mitigation of limited weight", "V",
           "http://www.college.police.uk/What-we-do/Ethics/integrity-and-transparency/Pages/Guidance-on-outcomes.aspx"),
    Source("cop-2022-vawg", "2022 guidance, violence against women and girls: always high culpability, "
           "severe outcome likely (Saunders summary)", "S",
           "https://www.saunders.co.uk/news/new-guidance-calls-for-severe-disciplinary-action-against-officers-who-"
           "commit-violence-against-women-and-girls/"),
    Source("npcc-2022", "NPCC summary of the 2022 update: misogyny, racism or other discrimination treated with "
           "the highest gravity", "S",
           "https://news.npcc.police.uk/releases/college-of-policing-update-guidance-on-outcomes-for-misconduct-"
           "proceedings"),
    Source("5essex-2022", "5 Essex Court on the 2022 guidance: misogyny-driven harassment increases seriousness; "
           "panels must apply, not merely cite, the approach", "S",
           "https://www.5essex.co.uk/the-college-of-policings-new-guidance-on-outcomes-for-police-misconduct/"),
    Source("fuglers", "Fuglers LLP v SRA [2014] EWHC 179 (Admin): seriousness (culpability, harm, aggravating, "
           "mitigating), purpose, outcome", "S",
           "https://www.maitlandchambers.com/resources/case-detail/fuglers-llp-ors-v-solicitors-regulation-"
           "authority-2014"),
    Source("bolton", "Bolton v Law Society [1994] 1 WLR 512 (CA): the reputation of the profession outweighs "
           "the fortunes of one member", "S", "http://ukpolicelawblog.com/index.php/9-blog/104-is-dismissal-"
           "honestly-necessary"),
    Source("salter", "Salter v Chief Constable of Dorset [2012] EWCA Civ 1047: personal mitigation necessarily "
           "of limited potential; operational integrity is fundamental", "V",
           "https://caselaw.nationalarchives.gov.uk/ewca/civ/2012/1047"),
    Source("williams", "R (Williams) v PAT [2016] EWHC 2708 (Admin): the Salter principle applies to all "
           "misconduct, though mitigation must still be weighed", "V",
           "https://caselaw.nationalarchives.gov.uk/ewhc/qb/2016/2708"),
    Source("iopc-2024", "R (DG IOPC) v Police Misconduct Panel [2024] EWHC 2796 (Admin): a cursory checklist of "
           "factors without explaining how they were weighed is inadequate", "S",
           "https://www.weightmans.com/media-centre/news/case-law-update"),
    Source("met-2025", "R (Commissioner of Police of the Metropolis) v Police Misconduct Panel [2025] EWHC 93 "
           "(Admin): wrong to let personal mitigation justify a lesser sanction", "S",
           "https://www.weightmans.com/media-centre/news/case-law-update"),
    Source("oconnor-ca", "R (O'Connor) v Panel Chair [2025] EWCA Civ 27: no adequate analysis of seriousness, "
           "culpability or harm is an error of law; deliberate, targeted sexual impropriety towards a vulnerable "
           "victim of crime", "V", "https://469393.qwpa.asia/ew/cases/EWCA/Civ/2025/27.html"),
    Source("gmp-2022", "R (CC Greater Manchester) v Police Misconduct Panel (c. 2022): referring to the guidance "
           "without applying its approach is an error", "S",
           "https://www.5essex.co.uk/the-college-of-policings-new-guidance-on-outcomes-for-police-misconduct/"),
    Source("si-2025-558", "SI 2025/558 (in force 28 May 2025): dismissal presumed for gross misconduct unless "
           "exceptional circumstances", "S",
           "https://dpglaw.co.uk/police-officers-to-be-dismissed-for-gross-misconduct-barring-exceptional-"
           "circumstances"),
    Source("reg-4-apsp", "C&M Regs 2020 reg 4: abuse of position for a sexual purpose is serious corruption, a "
           "mandatory referral", "V", "https://www.legislation.gov.uk/uksi/2020/2/regulation/4"),
    Source("researcher", "Researcher's background knowledge of the guidance's text, not re-verified "
           "(domain brief §6.1)", "R"),
)}


class FactorKind:
    CULPABILITY = "culpability"
    HARM = "harm"
    AGGRAVATING = "aggravating"
    MITIGATING = "mitigating"
    PERSONAL = "personal"


# The payload field that holds each kind (what a 4xx names when an id is unknown).
FIELD_OF_KIND = {
    FactorKind.CULPABILITY: "culpability_factors",
    FactorKind.HARM: "harm_factors",
    FactorKind.AGGRAVATING: "aggravating_factors",
    FactorKind.MITIGATING: "mitigating_factors",
    FactorKind.PERSONAL: "personal_mitigation",
}


@dataclass(frozen=True)
class Factor:
    """One factor of the guidance. `weight` moves the seriousness score (aggravating up, mitigating
    down); `at_least` is the culpability or harm level a culpability/harm factor indicates; `band_at_least`
    the least seriousness band the guidance ties to the conduct; `little_weight_for_personal`: where
    this factor is present, personal mitigation carries (almost) no weight."""

    id: str
    kind: str
    words: str
    sources: tuple[str, ...]
    weight: float = 0.0
    at_least: int | None = None
    band_at_least: str | None = None
    little_weight_for_personal: bool = False


L = Level
FACTORS: tuple[Factor, ...] = (
    # Culpability: how blameworthy the officer was (the guidance's first stage, with harm the most important).
    Factor("deliberate_targeted", "culpability", "Deliberate, intended or targeted conduct", ("cop-2022",
           "oconnor-ca"), at_least=L.HIGH),
    Factor("planned", "culpability", "Planned or premeditated conduct", ("cop-2022", "researcher"), at_least=L.HIGH),
    Factor("abuse_of_trust", "culpability", "Abuse of a position of trust, power or authority", ("cop-2022",
           "researcher"), at_least=L.HIGH),
    Factor("senior_or_experienced", "culpability", "Rank, role or experience meant the officer should have known "
           "better", ("researcher",), at_least=L.MEDIUM),
    Factor("reckless", "culpability", "Reckless as to the consequences", ("researcher",), at_least=L.MEDIUM),
    Factor("careless", "culpability", "Careless or negligent rather than intended", ("researcher",), at_least=L.LOW),
    # Harm: to individuals, to public confidence, to the service; intended or foreseeable harm counts.
    Factor("harm_to_individual", "harm", "Physical, psychological or financial harm to a person", ("cop-2022",
           "researcher"), at_least=L.MEDIUM),
    Factor("serious_harm_to_individual", "harm", "Serious or lasting harm to a person (distress, fear, loss of "
           "trust in the police)", ("cop-2022", "oconnor-ca"), at_least=L.HIGH),
    Factor("harm_to_vulnerable", "harm", "Harm to a vulnerable person (a victim of crime, a child, someone in "
           "crisis)", ("cop-2017-page", "oconnor-ca"), at_least=L.HIGH),
    Factor("public_confidence", "harm", "Harm to public confidence in policing, even where no one was hurt and "
           "nothing is public", ("cop-2022",), at_least=L.MEDIUM),
    Factor("administration_of_justice", "harm", "Harm to operations, evidence or the administration of justice",
           ("salter", "researcher"), at_least=L.HIGH),
    Factor("foreseeable_harm", "harm", "Harm intended or reasonably foreseeable, though not caused", ("researcher",),
           at_least=L.LOW),
    # Aggravating factors (conduct).
    Factor("vulnerable_victim", "aggravating", "Misconduct towards a vulnerable person, such as a victim of crime",
           ("cop-2017-page", "oconnor-ca"), weight=1.0),
    Factor("abuse_of_position_sexual", "aggravating", "Abuse of position for a sexual purpose or to pursue an "
           "improper emotional relationship", ("reg-4-apsp", "researcher"), weight=1.5, band_at_least="very_high",
           little_weight_for_personal=True),
    Factor("vawg", "aggravating", "Violence against women and girls (including sexual harassment driven by "
           "misogyny)", ("cop-2022-vawg", "5essex-2022"), weight=1.0, band_at_least="high",
           little_weight_for_personal=True),
    Factor("discrimination", "aggravating", "Conduct driven by discrimination: misogyny, racism or another "
           "protected characteristic", ("npcc-2022", "cop-2017-page"), weight=1.0, band_at_least="high",
           little_weight_for_personal=True),
    Factor("operational_dishonesty", "aggravating", "Operational dishonesty: evidence, statements, records or "
           "duty", ("salter", "researcher"), weight=1.5, band_at_least="very_high", little_weight_for_personal=True),
    Factor("dishonesty", "aggravating", "Other dishonesty or lack of integrity", ("salter", "researcher"),
           weight=1.0, band_at_least="high", little_weight_for_personal=True),
    Factor("repeated_or_sustained", "aggravating", "Repeated or sustained conduct, or more than one person "
           "affected", ("researcher",), weight=0.5),
    Factor("concealment", "aggravating", "Attempts to conceal, to blame others or to obstruct the investigation",
           ("researcher",), weight=0.5),
    Factor("previous_misconduct", "aggravating", "Previous misconduct findings, or a warning in force",
           ("researcher",), weight=0.5),
    Factor("under_the_influence", "aggravating", "Under the influence of alcohol or drugs", ("researcher",),
           weight=0.5),
    # Mitigating factors (conduct, not the officer's personal circumstances).
    Factor("single_lapse", "mitigating", "A single, spontaneous lapse rather than planned or repeated conduct",
           ("researcher",), weight=0.5),
    Factor("minor_role", "mitigating", "A minor or peripheral role, or acting under a supervisor's direction",
           ("researcher",), weight=0.5),
    Factor("open_admission", "mitigating", "Open admission at an early stage and co-operation", ("researcher",),
           weight=0.5),
    Factor("good_faith_error", "mitigating", "A genuine error of judgement made in good faith", ("researcher",),
           weight=0.5),
    Factor("operational_pressure", "mitigating", "Provocation, pressure or an operational emergency at the time",
           ("researcher",), weight=0.5),
    Factor("insight_and_remedy", "mitigating", "Insight shown and steps taken to put the harm right",
           ("researcher",), weight=0.5),
    # Personal mitigation: relevant but of limited weight (Bolton; Salter; Williams), and none may
    # justify a lesser outcome where the conduct is of the gravest kinds (Met v PMP [2025]).
    Factor("good_record", "personal", "Good service record or previous good character", ("cop-2017-page", "salter",
           "williams"), weight=0.25),
    Factor("testimonials", "personal", "Testimonials, references and commendations", ("cop-2017-page", "williams"),
           weight=0.25),
    Factor("personal_circumstances", "personal", "Personal circumstances at the time (health, family, "
           "bereavement)", ("cop-2017-page", "bolton"), weight=0.25),
    Factor("remorse", "personal", "Remorse and apology", ("cop-2017-page", "researcher"), weight=0.25),
)
FACTORS_BY_ID: dict[str, Factor] = {f.id: f for f in FACTORS}
if len(FACTORS_BY_ID) != len(FACTORS):  # pragma: no cover - a data error, caught at import
    raise ValueError("two guidance factors share an id")

# Caps: the guidance speaks of factors that increase or reduce seriousness, never of sums without limit.
AGGRAVATING_CAP = 3.0
MITIGATING_CAP = 1.5
# Personal mitigation's limited weight (Bolton; Salter; Williams): half a step at most.
PERSONAL_CAP = 0.5


@dataclass(frozen=True)
class Band:
    id: str
    words: str
    from_score: float  # inclusive lower bound of the seriousness score


# Score = culpability + harm (1-4 each) + aggravating − mitigating − personal mitigation.
BANDS: tuple[Band, ...] = (
    Band("lower", "Lower seriousness", float("-inf")),
    Band("moderate", "Moderate seriousness", 4.0),
    Band("high", "High seriousness", 6.0),
    Band("very_high", "Very high seriousness", 8.0),
)
BAND_ORDER = [b.id for b in BANDS]

# How severe each outcome is, for ordering a ladder and comparing outcomes (least severe first). A
# former officer's "no further action" sits where a serving officer's warnings would: it is the
# finding short of "would have been dismissed".
SEVERITY: dict[str, int] = {
    Sanction.NO_ACTION: 0,
    Sanction.REFLECTIVE_PRACTICE: 1,
    Sanction.MANAGEMENT_ADVICE: 2,
    Sanction.FORMER_OFFICER_NO_FURTHER_ACTION: 3,
    Sanction.WRITTEN_WARNING: 4,
    Sanction.FINAL_WRITTEN_WARNING: 5,
    Sanction.REDUCTION_IN_RANK: 6,
    Sanction.DISMISSAL_WITH_NOTICE: 7,
    Sanction.DISMISSAL_WITHOUT_NOTICE: 8,
    Sanction.WOULD_HAVE_BEEN_DISMISSED: 8,
}

# The indicative range for each band, as the severities of its least and most severe outcomes. The
# outcomes a proceeding may actually impose come from proceedings.rules.sanctions_allowed (the
# statute); each end is the most severe allowed outcome not above its target (so a former officer's
# "high" range runs from no further action to "would have been dismissed"). [R] calibration: the
# guidance describes the approach, not a grid; see docs/outcome-guidance.md.
RANGE_TARGETS: dict[str, dict[str, tuple[int, int]]] = {
    Finding.GROSS_MISCONDUCT: {
        "lower": (5, 6),  # FWW to reduction in rank
        "moderate": (5, 6),
        "high": (5, 8),  # FWW to dismissal
        "very_high": (8, 8),  # dismissal
    },
    Finding.MISCONDUCT: {
        "lower": (2, 4),  # management advice (R2012) or a written warning
        "moderate": (4, 5),  # WW to FWW
        "high": (5, 6),  # FWW (to reduction in rank where reg 42(5)/(6) widens the outcomes)
        "very_high": (5, 8),
    },
}


@dataclass(frozen=True)
class Presumption:
    regime: str
    finding: str
    words: str
    sources: tuple[str, ...]


# Regime presumptions (architecture rule 9: looked up by regime). SI 2025/558 applies to matters
# that came to attention on or after 28 May 2025 (the R2025 regime of the case).
PRESUMPTIONS: tuple[Presumption, ...] = (
    Presumption(Regime.R2025, Finding.GROSS_MISCONDUCT,
                "Gross misconduct leads to dismissal (or, for a former officer, a finding that they would have "
                "been dismissed) unless there are exceptional circumstances (SI 2025/558, from 28 May 2025).",
                ("si-2025-558",)),
)


@dataclass(frozen=True)
class Principle:
    id: str
    words: str
    sources: tuple[str, ...]
    applies_when: str = "always"  # always, personal_mitigation, highest_seriousness, gross_misconduct_2025


PRINCIPLES: tuple[Principle, ...] = (
    Principle("three_stages", "Assess seriousness first (culpability and harm above all, then aggravating and "
              "mitigating factors), keep the purpose of outcomes in mind, then choose the outcome that fulfils "
              "it, starting with the least severe and moving up only if it is insufficient.",
              ("fuglers", "cop-2022")),
    Principle("purpose", "The purpose of outcomes is to maintain public confidence in and the reputation of the "
              "police service, to uphold high standards and deter similar conduct, and to protect the public; it "
              "is not primarily to punish.", ("cop-2022", "bolton", "researcher")),
    Principle("reasons_not_checklist", "List the factors and then explain how each was weighed: a checklist of "
              "factors without that explanation is inadequate, and no adequate analysis of seriousness, "
              "culpability or harm is an error of law.", ("iopc-2024", "oconnor-ca", "gmp-2022")),
    Principle("personal_mitigation_limited", "Personal mitigation such as a good service record carries "
              "limited weight: the reputation of the service outweighs the fortunes of one officer. It applies to "
              "all forms of misconduct, and must still be weighed.", ("bolton", "salter", "williams"),
              "personal_mitigation"),
    Principle("personal_mitigation_no_lesser_sanction", "Personal mitigation must not be used to justify a "
              "lesser outcome than the seriousness of the conduct requires.", ("met-2025",), "personal_mitigation"),
    Principle("highest_seriousness", "Abuse of position for a sexual purpose, violence against women and girls, "
              "discrimination and dishonesty are treated with the highest seriousness: high culpability, and "
              "dismissal is the likely outcome.", ("cop-2022-vawg", "npcc-2022", "reg-4-apsp", "salter",
                                                   "researcher"), "highest_seriousness"),
    Principle("presumption_2025", "From 28 May 2025, gross misconduct means dismissal unless there are "
              "exceptional circumstances, which must be given.", ("si-2025-558",), "gross_misconduct_2025"),
)


@dataclass(frozen=True)
class OutlierGround:
    id: str
    words: str
    sources: tuple[str, ...] = field(default_factory=tuple)


GROUNDS: dict[str, OutlierGround] = {g.id: g for g in (
    OutlierGround("below_range", "The outcome is less severe than the indicative range.", ("cop-2022",
                                                                                          "oconnor-ca")),
    OutlierGround("below_presumption", "The outcome is short of the dismissal the regulations presume for gross "
                  "misconduct.", ("si-2025-558",)),
    OutlierGround("personal_mitigation_little_weight", "The outcome is short of the most severe indicated "
                  "while personal mitigation is recorded, which the guidance gives little weight for conduct "
                  "of this kind.", ("salter", "williams", "met-2025")),
)}


def factors_of(kind: str) -> list[Factor]:
    return [f for f in FACTORS if f.kind == kind]


def cited(keys: tuple[str, ...]) -> list[dict]:
    """The sources behind a factor or principle, with their confidence tags."""
    return [{"key": k, "title": SOURCES[k].title, "short": SOURCES[k].title.split(":")[0],
             "tag": SOURCES[k].tag, "url": SOURCES[k].url} for k in keys]


def rests_on_unverified(keys: tuple[str, ...]) -> bool:
    """Whether every source is [R] or [U] (the rule rests on unverified facts)."""
    return all(SOURCES[k].tag in ("R", "U") for k in keys)
