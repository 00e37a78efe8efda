"""The Splink model for people: comparisons, training, clustering safeguards, saving and evidence.

Inputs are normalised first (`linkage.normalise`): lower-case, ASCII-folded, punctuation stripped,
whitespace collapsed, placeholder names ("police officer", "unknown", "n/a") made missing, dates ISO
(`YYYY-MM-DD`), birth years integers. Every comparison here assumes that.

Identity fields (names, birth date or year, sex, postcode) can contradict a match. Career fields
(organisation, badge number, rank, start and end dates) cannot: an officer who moved force, was
promoted and given a new collar number is still the same person, so a disagreement on a career field
weighs nothing (its level has m = u, fixed through training), while an agreement (same badge number in the same
organisation, same appointment date) weighs for the match as training finds.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

MODEL_VERSION = 1

# A pair is a match when Splink's match probability reaches this (chosen on the accuracy benchmark,
# docs/benchmarks.md; organisations may set their own thresholds for automatic links and review).
DEFAULT_THRESHOLD = 0.95

# Fixed seed: the same input trains the same model (u sampling is the only random step).
SEED = 5
U_SAMPLE_PAIRS = 2_000_000

NAME_FIELDS = ("given_name", "middle_name", "family_name", "suffix", "full_name")
IDENTITY_FIELDS = (*NAME_FIELDS, "birth_date", "birth_year", "sex", "postcode", "birth_place")
CAREER_FIELDS = ("organisation", "badge_number", "rank", "start_date", "end_date")
CANONICAL_FIELDS = (*IDENTITY_FIELDS, *CAREER_FIELDS)
LINK_TYPES = ("dedupe_only", "link_only")

# Birth years further apart than this cannot be one person (a year either way allows an age given
# in place of a year of birth); used by the clustering safeguard.
BIRTH_YEAR_TOLERANCE = 1

# Words used by `evidence`, per comparison output column.
FIELD_WORDS = {
    "given_name": "given name", "middle_name": "middle name", "family_name": "family name",
    "suffix": "suffix", "full_name": "full name", "birth_date": "date of birth",
    "birth_year": "birth year", "sex": "sex", "postcode": "postcode", "birth_place": "place of birth",
    "organisation": "organisation", "badge_number": "badge number", "rank": "rank", "start_date": "start date", "end_date": "end date",
}


class ModelFileError(ValueError):
    """A saved model that cannot be used (wrong version, unreadable)."""


def _cll():
    import splink.comparison_level_library as cll

    return cll


def _level(sql: str, label: str):
    return _cll().CustomLevel(sql, label_for_charts=label)


def _null(field: str):
    return _cll().NullLevel(field)


def _else(*, career: bool = False):
    level = _cll().ElseLevel()
    if not career:
        return level
    # Career disagreement is no evidence against a match: m = u, fixed through training, is weight 0.
    return level.configure(m_probability=0.5, u_probability=0.5, fix_m_probability=True, fix_u_probability=True,
                           label_for_charts="differs (career change)")


def _comparison(field: str, levels: list, description: str):
    import splink.comparison_library as cl

    return cl.CustomComparison(comparison_levels=levels, output_column_name=field,
                               comparison_description=description)


def _squash(column: str) -> str:
    """The name without spaces or hyphens: "mc guire" and "mcguire" agree."""
    return f"replace(replace({column}, ' ', ''), '-', '')"


def _only_name(given: str, family: str) -> str:
    """One side gives a single name, in the given-name field, and it is the other side's family name."""
    return (f"(({family}_l is null and {given}_l = {family}_r) or "
            f"({family}_r is null and {given}_r = {family}_l))")


def _nickname_pairs() -> list[str]:
    """"a|b" for every two given names that are one name and its short form, or two short forms of one name
    ("bob|robert", "bob|robby"), from the `nicknames` package's hand-curated English names (Apache-2.0)."""
    from itertools import combinations

    from nicknames import name_triplets

    groups: dict[str, set[str]] = {}
    for triplet in name_triplets():
        groups.setdefault(triplet.name1, {triplet.name1}).add(triplet.name2)
    return sorted({f"{a}|{b}" for names in groups.values() for a, b in combinations(sorted(names), 2)})


def _nickname_level(field: str):
    """A short form the name does not start with ("bob"/"robert", "peggy"/"margaret")."""
    pairs = ", ".join(f"'{pair}'" for pair in _nickname_pairs())
    return _level(f"least({field}_l, {field}_r) || '|' || greatest({field}_l, {field}_r) in ({pairs})",
                  "a short form of the same name")


def _pet_stem(column: str) -> str:
    """A pet form's stem: the name without its "-ie", "-ey" or "-y", and one of a doubled last letter
    ("artie" -> "art", "norrie" -> "nor", "herbie" -> "herb"); null when the name has no such ending."""
    bare = (f"(case when substr({column}, -2, 2) in ('ie', 'ey') then substr({column}, 1, length({column}) - 2) "
            f"when substr({column}, -1, 1) = 'y' then substr({column}, 1, length({column}) - 1) end)")
    return (f"(case when substr({bare}, -1, 1) = substr({bare}, -2, 1) "
            f"then substr({bare}, 1, length({bare}) - 1) else {bare} end)")


def _pet_form_level(field: str):
    """An English pet form made with "-ie"/"-y" from the start of the name ("artie"/"arthur", "norrie"/"norman",
    "herbie"/"herbert", "monty"/"montague"), which the nickname list does not hold; a stem of three letters
    or more."""
    def one_way(pet: str, full: str) -> str:
        stem = _pet_stem(pet)
        return f"(length({stem}) >= 3 and substr({full}, 1, length({stem})) = {stem})"

    return _level(f"{one_way(field + '_l', field + '_r')} or {one_way(field + '_r', field + '_l')}",
                  "a pet form of the name")


def _name_comparison(field: str, other: str | None):
    cll = _cll()
    levels = []
    if field == "given_name" and other is not None:
        # "Barton" recorded alone as the given name: the given name is then unknown, not different.
        levels.append(_level(f"{_only_name(field, other)} and {field}_l is not null and {field}_r is not null",
                             "missing (only a family name given)").configure(is_null_level=True))
    exact = cll.ExactMatchLevel(field, term_frequency_adjustments=True).configure(label_for_charts="exact")
    if field == "family_name" and other is not None:
        # Tested before the missing level (this family name is missing on one side); exact stays the first
        # level, as the strongest.
        levels += [exact, _level(_only_name(other, field), "the only name given"), _null(field)]
    else:
        levels += [_null(field), exact]
    levels += [
        _level(f"{_squash(field + '_l')} = {_squash(field + '_r')}", "same ignoring spaces"),
    ]
    if other is not None:
        # Given and family name entered the wrong way round.
        levels.append(_level(f"{field}_l = {other}_r and {other}_l = {field}_r", "swapped with the other name"))
    levels += [
        cll.JaroWinklerLevel(field, 0.92).configure(label_for_charts="nearly the same"),
        # A short form written as the start of the name ("art"/"arthur", "chris"/"christopher").
        _level(f"length({field}_l) >= 2 and length({field}_r) >= 2 and "
               f"(substr({field}_l, 1, length({field}_r)) = {field}_r "
               f"or substr({field}_r, 1, length({field}_l)) = {field}_l)", "one is the start of the other"),
        *([_nickname_level(field), _pet_form_level(field)] if field == "given_name" else []),
        _level(f"(length({field}_l) = 1 or length({field}_r) = 1) "
               f"and substr({field}_l, 1, 1) = substr({field}_r, 1, 1)", "same initial"),
        cll.JaroWinklerLevel(field, 0.8).configure(label_for_charts="similar"),
        _else(),
    ]
    return _comparison(field, levels, FIELD_WORDS[field])


def _initial_comparison(field: str):
    cll = _cll()
    return _comparison(field, [
        _null(field),
        cll.ExactMatchLevel(field).configure(label_for_charts="exact"),
        _level(f"substr({field}_l, 1, 1) = substr({field}_r, 1, 1)", "same initial"),
        _else(),
    ], FIELD_WORDS[field])


def _exact_comparison(field: str, *, tf: bool = False, career: bool = False):
    cll = _cll()
    return _comparison(field, [
        _null(field),
        cll.ExactMatchLevel(field, term_frequency_adjustments=tf).configure(label_for_charts="exact"),
        _else(career=career),
    ], FIELD_WORDS[field])


def _year(column: str) -> str:
    return f"cast({column} as integer)"


def _birth_year_comparison():
    f = "birth_year"
    return _comparison(f, [
        _null(f),
        _level(f"{_year(f + '_l')} = {_year(f + '_r')}", "exact"),
        _level(f"abs({_year(f + '_l')} - {_year(f + '_r')}) <= 1", "differs by 1"),
        _level(f"abs({_year(f + '_l')} - {_year(f + '_r')}) <= 3", "differs by 2 or 3"),
        _else(),
    ], FIELD_WORDS[f])


def _one_year_digit(left: str, right: str) -> str:
    """Two four-digit years (text) that differ in one digit of the last two ("1813"/"1873", "1855"/"1856")."""
    return (f"((substr({left}, 1, 3) = substr({right}, 1, 3)) or (substr({left}, 1, 2) = substr({right}, 1, 2) "
            f"and substr({left}, 4, 1) = substr({right}, 4, 1)))")


def _birth_date_comparison(fields: set[str]):
    """Birth dates; where a date is missing but both years are known (a date too corrupt to read keeps its
    year, linkage/normalise.py), the years are compared instead, so a corrupted date is not no evidence."""
    cll = _cll()
    f = "birth_date"
    with_year = "birth_year" in fields
    if with_year:
        year_l, year_r = _year("birth_year_l"), _year("birth_year_r")
        text_l, text_r = (f"cast({year_l} as string)", f"cast({year_r} as string)")
        null = _level(f"({f}_l is null or {f}_r is null) and (birth_year_l is null or birth_year_r is null)",
                      "missing").configure(is_null_level=True)
    else:
        year_l, year_r = (f"cast(substr({f}_{side}, 1, 4) as integer)" for side in "lr")
        text_l, text_r = (f"substr({f}_{side}, 1, 4)" for side in "lr")
        null = _null(f)
    day_month_l, day_month_r = f"substr({f}_l, 6, 5)", f"substr({f}_r, 6, 5)"
    return _comparison(f, [
        null,
        cll.ExactMatchLevel(f, term_frequency_adjustments=True).configure(label_for_charts="exact"),
        cll.DamerauLevenshteinLevel(f, 1).configure(label_for_charts="one digit differs or two swapped"),
        # Day and month entered the wrong way round (US and UK order).
        _level(f"substr({f}_l, 1, 4) = substr({f}_r, 1, 4) and substr({f}_l, 6, 2) = substr({f}_r, 9, 2) "
               f"and substr({f}_l, 9, 2) = substr({f}_r, 6, 2)", "day and month swapped"),
        _level(f"{day_month_l} = {day_month_r} and abs({year_l} - {year_r}) <= 1", "same day, year differs by 1"),
        _level(f"{year_l} = {year_r}", "same year"),
        # A year mistyped in one digit, or one out (an age given in place of a year).
        _level(f"abs({year_l} - {year_r}) <= 1 or {_one_year_digit(text_l, text_r)}",
               "year one out or one digit differs"),
        # A wholly different date of birth: expectation maximisation cannot tell a namesake from a true
        # match with a mistyped date, and left this level almost weightless (-0.3 on the national-wash
        # benchmark, where namesakes were 5,129 of 5,176 false links). The stated m: a person's two
        # records give unrelated dates of birth 3% of the time; u is still estimated.
        _else().configure(m_probability=0.03, fix_m_probability=True),
    ], FIELD_WORDS[f])


def _postcode_comparison():
    cll = _cll()
    f = "postcode"
    return _comparison(f, [
        _null(f),
        cll.ExactMatchLevel(f, term_frequency_adjustments=True).configure(label_for_charts="exact"),
        cll.DamerauLevenshteinLevel(f, 1).configure(label_for_charts="one character differs"),
        # The outward code (district) of a UK postcode: all but the last three characters (postcodes are
        # normalised with one space before the inward code, linkage/normalise.py).
        _level(f"length({f}_l) >= 5 and length({f}_r) >= 5 and "
               f"substr({f}_l, 1, length({f}_l) - 3) = substr({f}_r, 1, length({f}_r) - 3)", "same district"),
        _else(),
    ], FIELD_WORDS[f])


def _birth_place_comparison():
    """Place of birth. Records of one person name it at different scales ("west devon"/"devon", "city of
    edinburgh"/"edinburgh"): one written inside the other, as whole words, is its own level."""
    cll = _cll()
    f = "birth_place"
    return _comparison(f, [
        _null(f),
        cll.ExactMatchLevel(f, term_frequency_adjustments=True).configure(label_for_charts="exact"),
        _level(f"(' ' || {f}_l || ' ') like ('% ' || {f}_r || ' %') "
               f"or (' ' || {f}_r || ' ') like ('% ' || {f}_l || ' %')", "one within the other"),
        cll.JaroWinklerLevel(f, 0.9).configure(label_for_charts="nearly the same"),
        _else(),
    ], FIELD_WORDS[f])


def _badge_comparison(fields: set[str]):
    cll = _cll()
    f = "badge_number"
    levels = [_null(f)]
    if "organisation" in fields:
        levels.append(_level(f"{f}_l = {f}_r and organisation_l = organisation_r",
                             "exact, same organisation"))
        # A collar number is only unique within one force.
        levels.append(_level(f"{f}_l = {f}_r and (organisation_l is null or organisation_r is null)",
                             "exact, organisation unknown"))
    else:
        levels.append(cll.ExactMatchLevel(f).configure(label_for_charts="exact"))
    # A mistyped digit (one changed, or two swapped) is still the same number more often than chance.
    levels.append(cll.DamerauLevenshteinLevel(f, 1).configure(label_for_charts="one digit differs"))
    levels.append(_else(career=True))
    return _comparison(f, levels, FIELD_WORDS[f])


def comparisons_for(fields: set[str]) -> list:
    """The comparisons for the canonical fields present, identity first, then career."""
    unknown = set(fields) - set(CANONICAL_FIELDS) - {"unique_id", "source_dataset"}
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    comparisons = []
    names = {"given_name", "family_name"} & fields
    if "given_name" in fields:
        comparisons.append(_name_comparison("given_name", "family_name" if len(names) == 2 else None))
    if "family_name" in fields:
        comparisons.append(_name_comparison("family_name", "given_name" if len(names) == 2 else None))
    if "full_name" in fields and not names:
        comparisons.append(_name_comparison("full_name", None))
    if "middle_name" in fields:
        comparisons.append(_initial_comparison("middle_name"))
    if "suffix" in fields:
        comparisons.append(_exact_comparison("suffix"))
    if "birth_date" in fields:
        comparisons.append(_birth_date_comparison(fields))
    elif "birth_year" in fields:
        # The year is part of the date: comparing both would count the same evidence twice.
        comparisons.append(_birth_year_comparison())
    if "sex" in fields:
        comparisons.append(_exact_comparison("sex"))
    if "postcode" in fields:
        comparisons.append(_postcode_comparison())
    if "birth_place" in fields:
        comparisons.append(_birth_place_comparison())
    if "organisation" in fields:
        comparisons.append(_exact_comparison("organisation", tf=True, career=True))
    if "badge_number" in fields:
        comparisons.append(_badge_comparison(fields))
    if "rank" in fields:
        comparisons.append(_exact_comparison("rank", tf=True, career=True))
    for field in ("start_date", "end_date"):
        if field in fields:
            # A shared appointment date is common in a big intake: term frequencies weigh that.
            comparisons.append(_exact_comparison(field, tf=True, career=True))
    if not comparisons:
        raise ValueError("no canonical field to compare")
    return comparisons


def _name_key(fields: set[str]) -> list[str]:
    if {"given_name", "family_name"} <= fields:
        return ["given_name", "family_name"]
    if "full_name" in fields:
        return ["full_name"]
    return [f for f in ("family_name", "given_name") if f in fields][:1]


def blocking_rules_for(fields: set[str]) -> list:
    """Candidate pairs: any one of these must hold (each rule names only present fields)."""
    from splink import block_on

    birth = "birth_date" if "birth_date" in fields else "birth_year" if "birth_year" in fields else None
    rules = []
    names = _name_key(fields)
    if names:
        rules.append(block_on(*names))
    if {"given_name", "family_name"} <= fields:
        rules.append("l.given_name = r.family_name and l.family_name = r.given_name")
        # A single name recorded in the given-name field: only records without a family name take part.
        rules += ["l.given_name = r.family_name and l.family_name is null",
                  "l.family_name = r.given_name and r.family_name is null"]
        if birth:
            rules.append(block_on("substr(given_name, 1, 1)", "family_name", birth))
            # A record without a date of birth (or year) has only its names to be found by: the initial and
            # family name, for those records only (on all records it would block every "J. Smith" together).
            rules += [f"l.family_name = r.family_name and substr(l.given_name, 1, 1) = substr(r.given_name, 1, 1) "
                      f"and {side}.{birth} is null" for side in "lr"]
        if "start_date" in fields:
            rules.append(block_on("family_name", "start_date"))
    if birth and "family_name" in fields:
        rules.append(block_on("family_name", birth))
    if birth == "birth_date" and "given_name" in fields:
        # The family name changed (marriage) or corrupted: a full date of birth is selective enough.
        rules.append(block_on("given_name", birth))
    if "badge_number" in fields:
        rules.append(block_on("badge_number", "organisation") if "organisation" in fields
                     else block_on("badge_number"))
    if "postcode" in fields:
        rules += [block_on("postcode", name) for name in ("given_name", "family_name") if name in fields]
        if birth:
            rules.append(block_on("postcode", birth))
    if birth == "birth_date" and "start_date" in fields:
        rules.append(block_on("birth_date", "start_date"))
    if "birth_place" in fields:
        rules += _birth_place_rules(fields, birth)
    if not rules:
        rules.append(block_on(*sorted(fields & set(CANONICAL_FIELDS))[:2]))
    return rules


def _birth_place_rules(fields: set[str], birth: str | None) -> list:
    """Blocking with the place of birth, each rule narrowed by a second key so that a big city does not make
    one huge block: the first three letters of the family name (a typo later in the name), the given name's
    initial (a family name changed on marriage, a given name in another form: "john"/"jean"), the full date
    of birth (both names recorded differently), the birth year with the family name's initial, the postcode."""
    from splink import block_on

    rules = []
    if "family_name" in fields:
        rules.append(block_on("birth_place", "substr(family_name, 1, 3)"))
    if "given_name" in fields:
        rules.append(block_on("birth_place", "substr(given_name, 1, 1)"))
    if "birth_date" in fields:
        rules.append(block_on("birth_place", "birth_date"))
    if birth and "family_name" in fields:
        year = "birth_year" if "birth_year" in fields else "substr(birth_date, 1, 4)"
        rules.append(block_on("birth_place", year, "substr(family_name, 1, 1)"))
    if "postcode" in fields:
        rules.append(block_on("birth_place", "postcode"))
    return rules


def settings_for(*, fields: set[str], link_type: str):
    """Splink settings comparing only the canonical `fields` present (plus unique_id/source_dataset)."""
    from splink import SettingsCreator

    if link_type not in LINK_TYPES:
        raise ValueError(f"link_type must be one of {', '.join(LINK_TYPES)}, not {link_type!r}")
    fields = set(fields)
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=comparisons_for(fields),
        blocking_rules_to_generate_predictions=blocking_rules_for(fields),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )


def _training_rules(fields: set[str]) -> list:
    """EM blocking rules: each leaves the other comparisons free to be estimated."""
    from splink import block_on

    rules = []
    names = _name_key(fields)
    if names:
        rules.append(block_on(*names))
    for field in ("birth_date", "birth_year", "badge_number", "postcode", "start_date"):
        if field in fields:
            rules.append(block_on(field) if field != "birth_year" or not names
                         else block_on(field, f"substr({names[-1]}, 1, 1)"))
            break
    return rules or [block_on(sorted(fields & set(CANONICAL_FIELDS))[0])]


def _deterministic_rules(fields: set[str]) -> list:
    from splink import block_on

    names = _name_key(fields)
    rules = []
    for field in ("birth_date", "birth_year", "badge_number", "start_date", "postcode"):
        if field in fields and names:
            rules.append(block_on(*names, field))
    return rules or ([block_on(*names)] if names else [])


def train(linker, *, fields: set[str]) -> None:
    """Estimate the prior, u (random sampling, fixed seed) and m (EM over two blocking rules), then
    calibrate the prior on the scored pairs (`_calibrate_prior`)."""
    fields = set(fields)
    training = linker.training
    deterministic = _deterministic_rules(fields)
    if deterministic:
        training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
    training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
    for rule in _training_rules(fields):
        training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True)
    _calibrate_prior(linker)


# Rounds of the prior's fixed point (it settles to a millionth within five on the accuracy benchmark's sets).
CALIBRATION_ROUNDS = 8


def _logit2(probability: float) -> float:
    return math.log2(probability / (1 - probability))


def _calibrate_prior(linker) -> None:
    """Set the prior to the share of pairs the trained model itself expects to match.

    The first estimate assumes that exact agreement on names with a date of birth (or another identifier)
    finds 80% of the true pairs. In a messy file it finds far fewer (in Splink's synthetic historical set,
    where most records carry a nickname, a typo or a missing field, the prior came out 2.7 times too small),
    and every match probability is then too low by the same factor. Here the expected number of matches is
    the sum of the match probabilities of every blocked pair, and the prior is moved until it agrees with
    that sum (a fixed point; the weights of the fields are not touched). Where the first estimate was right
    it barely moves (Chicago: 0.04 of a bit). Pairs no blocking rule finds count as non-matches, so the
    calibrated prior is still a slight underestimate.
    """
    settings = linker._settings_obj
    prior = settings._probability_two_random_records_match
    total = _possible_pairs(linker)
    if not prior or not total:
        return
    predictions = linker.inference.predict()
    try:
        current = prior
        for _ in range(CALIBRATION_ROUNDS):
            shift = _logit2(current) - _logit2(prior)
            [row] = linker.misc.query_sql(
                f"select sum(1.0 / (1.0 + pow(2.0, -(match_weight + {shift!r})))) as expected "
                f"from {predictions.physical_name}").as_record_list()
            expected = float(row["expected"] or 0.0)
            if expected <= 0:
                return
            updated = min(expected / total, 0.5)
            if abs(_logit2(updated) - _logit2(current)) < 1e-4:
                current = updated
                break
            current = updated
        settings._probability_two_random_records_match = current
    finally:
        predictions.drop_table_from_database_and_remove_from_cache()


def _possible_pairs(linker) -> int:
    """All record pairs the link type allows: n(n-1)/2 for a dedupe, the pairs across inputs for a link."""
    counts = []
    for table in linker._input_tables_dict.values():
        [row] = linker.misc.query_sql(f"select count(*) as n from {table.physical_name}").as_record_list()
        counts.append(int(row["n"]))
    if linker._settings_obj._link_type == "dedupe_only":
        n = sum(counts)
        return n * (n - 1) // 2
    return sum(a * b for i, a in enumerate(counts) for b in counts[i + 1:])


def model_save(linker, path: str | Path, *, fields: Iterable[str] | None = None) -> None:
    """Write the trained model as JSON: our version and fields around Splink's settings."""
    settings = linker.misc.save_model_to_json()
    if fields is None:
        fields = sorted(_fields_of(settings))
    document = {"forewarn_model_version": MODEL_VERSION, "fields": sorted(fields), "splink": settings}
    Path(path).write_text(json.dumps(document, indent=1, sort_keys=True), encoding="utf-8")


def _fields_of(settings: Mapping[str, Any]) -> set[str]:
    return {c["output_column_name"] for c in settings.get("comparisons", [])}


def model_load(path: str | Path) -> tuple[dict, set[str]]:
    """Read a model saved by `model_save`: (Splink settings dict, fields)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: not a readable model file ({exc})") from exc
    version = document.get("forewarn_model_version") if isinstance(document, dict) else None
    if version != MODEL_VERSION:
        raise ModelFileError(f"{path}: model version {version!r}, this Forewarn reads version {MODEL_VERSION}")
    return document["splink"], set(document["fields"])


def _signed(weight: float) -> str:
    return f"+{weight:.1f}" if weight >= 0 else f"\u2212{abs(weight):.1f}"


def evidence(row: Mapping[str, Any], *, labels: Mapping[str, Mapping[int, str]] | None = None) -> str:
    """Human words for a prediction row: each compared field, how it compared and its weight.

    Reads Splink's `gamma_<field>` and `mw_<field>` (or `bf_<field>`) columns; fields missing on either
    side (gamma -1) are left out. `labels` maps field -> gamma -> words (from `level_labels`).
    """
    parts = []
    for key in row:
        if not key.startswith("gamma_"):
            continue
        field = key[len("gamma_"):]
        gamma = row[key]
        if gamma is None or gamma == -1:
            continue
        weight = row.get(f"mw_{field}")
        if weight is None and row.get(f"bf_{field}") is not None:
            bf = float(row[f"bf_{field}"])
            weight = math.log2(bf) if bf > 0 else float("-inf")
        if weight is None:
            continue
        tf = row.get(f"mw_tf_adj_{field}")  # Splink 5's name for the term-frequency adjustment
        if tf is not None:
            weight = float(weight) + float(tf)
        words = (labels or {}).get(field, {}).get(int(gamma)) or f"level {gamma}"
        parts.append(f"{FIELD_WORDS.get(field, field.replace('_', ' '))}: {words} ({_signed(float(weight))})")
    return "; ".join(parts)


def level_labels(settings: Mapping[str, Any]) -> dict[str, dict[int, str]]:
    """field -> gamma value -> the level's words, from a Splink settings dict."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in settings.get("comparisons", []):
        levels = comparison["comparison_levels"]
        non_null = [lv for lv in levels if not (lv.get("is_null_level") and "null" in lv["sql_condition"].lower())]
        field_labels = {}
        for position, level in enumerate(non_null):
            label = level.get("label_for_charts") or level["sql_condition"]
            if label.lower() in ("all other comparisons", "else"):
                label = "differs"
            field_labels[len(non_null) - 1 - position] = label.lower()
        labels[comparison["output_column_name"]] = field_labels
    return labels


def _one_digit_apart(left: int, right: int) -> bool:
    """Two years written with the same number of digits, differing in exactly one of them."""
    a, b = str(left), str(right)
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


class _Components:
    """Union-find whose merges are refused when the two groups hold contradictory identities.

    Two records contradict each other when both give a birth year and the years are more than
    BIRTH_YEAR_TOLERANCE apart, or both give a sex and the sexes differ, unless the model weighed that
    contradiction and still found a match above the threshold: it scored that very pair, or it scored one of
    the two records against a record of the other's group with the other's sex, or with the other's year
    when the two years differ in a single digit (a typo: "1813" and "1873").

    Only a group's settled values can contradict: a record's birth year (or sex) counts when at least half
    of the group's records that give one agree with it (within the tolerance). A record whose year is the
    odd one out of a group it was linked into (one corrupted field, the rest agreeing strongly enough for
    the link) then no longer vetoes every later merge of that group; two groups that each settle on a
    different year (a father and a son chained by a record without one) are still kept apart.
    """

    def __init__(self, attributes: Mapping[Any, tuple[int | None, str | None]],
                 partners: Mapping[Any, list[tuple[Any, int | None, str | None]]]):
        self.parent: dict[Any, Any] = {}
        self.members: dict[Any, list] = {}  # root -> the members that carry a birth year or a sex
        self.records: dict[Any, list] = {}  # root -> every member
        self.attributes = attributes
        self.partners = partners  # record -> (record, birth year, sex) of each record it was scored a match with

    def find(self, item):
        parent = self.parent
        if item not in parent:
            parent[item] = item
            year, sex = self.attributes.get(item, (None, None))
            self.members[item] = [(item, year, sex)] if year is not None or sex else []
            self.records[item] = [item]
            return item
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    @staticmethod
    def _settled(members: list) -> list:
        """The members with their values that at least half of the group's values agree with (others None)."""
        if len(members) < 3:
            return members  # one or two records: nothing to outvote
        years = Counter(year for _, year, _ in members if year is not None)
        sexes = Counter(sex for _, _, sex in members if sex)
        year_count, sex_count = years.total(), sexes.total()
        settled = []
        for item, year, sex in members:
            if year is not None and 2 * sum(years[year + step] for step in
                                            range(-BIRTH_YEAR_TOLERANCE, BIRTH_YEAR_TOLERANCE + 1)) < year_count:
                year = None
            if sex and 2 * sexes[sex] < sex_count:
                sex = None
            if year is not None or sex:
                settled.append((item, year, sex))
        return settled

    def _weighed(self, item, counterpart, group, year: int | None, sex: str | None) -> bool:
        """Whether the model matched `item` above the threshold with `counterpart`, or with a record of `group`
        of that year (or sex)."""
        for other, other_year, other_sex in self.partners.get(item, ()):
            if other == counterpart:
                return True
            if (((year is not None and other_year is not None and abs(year - other_year) <= BIRTH_YEAR_TOLERANCE)
                 or (sex and other_sex == sex)) and self.find(other) == group):
                return True
        return False

    def _contradict(self, left, right) -> bool:
        settled_right = self._settled(self.members[right])
        for a, year_a, sex_a in self._settled(self.members[left]):
            for b, year_b, sex_b in settled_right:
                if year_a is not None and year_b is not None and abs(year_a - year_b) > BIRTH_YEAR_TOLERANCE:
                    typo = _one_digit_apart(year_a, year_b)
                    if not (self._weighed(a, b, right, year_b if typo else None, None)
                            or self._weighed(b, a, left, year_a if typo else None, None)):
                        return True
                if (sex_a and sex_b and sex_a != sex_b
                        and not (self._weighed(a, b, right, None, sex_b) or self._weighed(b, a, left, None, sex_a))):
                    return True
        return False

    def _outvoted(self, left, right) -> bool:
        """Whether one of two groups is a lone record that the other, of two records or more, outvotes: the
        merged group's settled values no longer contradict one another."""
        if min(len(self.records[left]), len(self.records[right])) != 1 or \
                max(len(self.records[left]), len(self.records[right])) < 2:
            return False
        settled = self._settled(self.members[left] + self.members[right])
        years = [year for _, year, _ in settled if year is not None]
        return ((not years or max(years) - min(years) <= BIRTH_YEAR_TOLERANCE)
                and len({sex for _, _, sex in settled if sex}) <= 1)

    def merge(self, left, right, *, outvote: bool = False) -> bool:
        """Merge the groups of two records unless they contradict (`outvote`: unless a lone record contradicts
        a group that outvotes it)."""
        a, b = self.find(left), self.find(right)
        if a == b:
            return True
        if self._contradict(a, b) and not (outvote and self._outvoted(a, b)):
            return False
        if len(self.records[a]) < len(self.records[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a] += self.members.pop(b)
        self.records[a] += self.records.pop(b)
        return True


# Clustering: scored pairs at or above this probability count as evidence between groups (`cluster_pairs`);
# callers fetch the pairs down to min(threshold, GROUP_EVIDENCE_FLOOR).
GROUP_EVIDENCE_FLOOR = 0.3
# Two groups of two records or more merge on a strong pair only when their records' average cross
# probability (pairs not scored, or scored below the floor, count 0) reaches this: one strong pair between
# two people's records (a corrupted record, a relative) does not make them one person.
GROUP_LINK_AVERAGE = 0.1
# A lone record (or a pair) joins the group its scored pairs at or above the floor point to when at least two
# of them go to that group, their average probability is at least LONE_RECORD_AVERAGE, and they carry at
# least LONE_RECORD_DOMINANCE times the probability of its pairs with any other group. Chosen on the accuracy
# benchmark (docs/benchmarks.md, 2026-12-07).
LONE_RECORD_AVERAGE = 0.4
LONE_RECORD_DOMINANCE = 3
LONE_GROUP_MAX = 2


def cluster_pairs(pairs: Iterable[tuple[Any, Any, float]], *, threshold: float = DEFAULT_THRESHOLD,
                  attributes: Mapping[Any, tuple[int | None, str | None]] | None = None,
                  ids: Iterable[Any] = ()) -> dict[Any, Any]:
    """Cluster scored pairs into people, refusing links that would put contradictions in one cluster.

    Plain connected components chain: A–B and B–C at high probability put A and C together even when
    A and C were born years apart. With `attributes` (record id -> (birth year, sex)):

    1. pairs at or above the threshold are merged strongest first; a merge is refused when it would join
       two records that contradict each other (`_Components`), or two groups of two records or more whose
       average cross probability is below GROUP_LINK_AVERAGE;
    2. the strong pairs refused for a contradiction are tried again, strongest first, where one side is a
       lone record and the other a group of two or more that outvotes it (the merged group settles on one
       birth year and one sex): one corrupted year or sex no longer keeps a record out of its person;
    3. a lone record or pair (a sparse record: names and little else) joins the group of two or more records
       its scored pairs at or above GROUP_EVIDENCE_FLOOR point to, when at least two of them go to that group,
       their average probability is at least LONE_RECORD_AVERAGE and they outweigh its pairs with any other
       group LONE_RECORD_DOMINANCE times; contradictions checked as in 2.

    `pairs` may hold pairs below the threshold (steps 1 and 3 use those at or above GROUP_EVIDENCE_FLOOR).
    Without `attributes` it is plain connected components over the pairs at or above the threshold (the
    accuracy benchmark's baseline). Returns record id -> cluster id (the smallest record id in the cluster
    as text); `ids` adds singletons.
    """
    pairs = [p for p in pairs if p[2] >= min(threshold, GROUP_EVIDENCE_FLOOR)]
    # Ties broken by the ids: the same pairs, in whatever order the engine returns them, give the same clusters.
    strong = sorted((p for p in pairs if p[2] >= threshold), key=lambda p: (-p[2], str(p[0]), str(p[1])))
    partners: dict[Any, list] = {}
    if attributes:
        for left, right, _probability in strong:
            partners.setdefault(left, []).append((right, *attributes.get(right, (None, None))))
            partners.setdefault(right, []).append((left, *attributes.get(left, (None, None))))
    components = _Components(attributes or {}, partners)
    for item in ids:
        components.find(item)
    if not attributes:
        for left, right, _probability in strong:
            components.merge(left, right)
    else:
        _merge_strong(components, pairs, strong)
        _join_lone_records(components, pairs)
    groups: dict[Any, list] = {}
    for item in list(components.parent):
        groups.setdefault(components.find(item), []).append(item)
    result = {}
    for group in groups.values():
        cluster_id = min(group, key=str)
        for item in group:
            result[item] = cluster_id
    return result


def _merge_strong(components: _Components, pairs: list, strong: list) -> None:
    """Steps 1 and 2 of `cluster_pairs`."""
    scored: dict[Any, dict[Any, float]] = {}
    for left, right, probability in pairs:
        scored.setdefault(left, {})[right] = probability
        scored.setdefault(right, {})[left] = probability
    refused = []
    for left, right, _probability in strong:
        a, b = components.find(left), components.find(right)
        if a == b:
            continue
        size_a, size_b = len(components.records[a]), len(components.records[b])
        if size_a >= 2 and size_b >= 2:
            small, big = (a, b) if size_a <= size_b else (b, a)
            big_records = set(components.records[big])
            cross = sum(probability for item in components.records[small]
                        for other, probability in scored.get(item, {}).items() if other in big_records)
            if cross / (size_a * size_b) < GROUP_LINK_AVERAGE:
                continue
        if not components.merge(a, b):
            refused.append((left, right))
    for left, right in refused:
        components.merge(left, right, outvote=True)


def _join_lone_records(components: _Components, pairs: list) -> None:
    """Step 3 of `cluster_pairs`."""
    links: dict[Any, dict[Any, list[float]]] = {}
    for left, right, probability in pairs:
        a, b = components.find(left), components.find(right)
        if a != b:
            links.setdefault(a, {}).setdefault(b, []).append(probability)
            links.setdefault(b, {}).setdefault(a, []).append(probability)
    for group in sorted(links, key=str):
        root = components.find(group)
        if len(components.records[root]) > LONE_GROUP_MAX:
            continue
        targets: dict[Any, list[float]] = {}
        for other, probabilities in links[group].items():
            target = components.find(other)
            if target != root:
                targets.setdefault(target, []).extend(probabilities)
        if not targets:
            continue
        ranked = sorted(targets.items(), key=lambda item: -sum(item[1]))
        target, probabilities = ranked[0]
        # Two pairs at least: in a link of two files a record is scored only against the other file, so one
        # pair into a group of two is not evidence that it is the same person as the group's record of its own.
        if (len(components.records[target]) >= 2 and len(probabilities) >= 2 and _years_meet(components, root, target)
                and sum(probabilities) / len(probabilities) >= LONE_RECORD_AVERAGE
                and all(sum(other) * LONE_RECORD_DOMINANCE <= sum(probabilities) for _, other in ranked[1:])):
            components.merge(root, target, outvote=True)


def _years_meet(components: _Components, lone, group) -> bool:
    """Whether a lone record without a birth year, or one whose year the group also holds (within the tolerance):
    a record with a year joins no group that holds none (a namesake without a date of birth)."""
    own = [year for _, year, _ in components.members[lone] if year is not None]
    theirs = [year for _, year, _ in components.members[group] if year is not None]
    return not own or any(abs(a - b) <= BIRTH_YEAR_TOLERANCE for a in own for b in theirs)
