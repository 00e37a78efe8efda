"""The Splink model (linkage/model.py): settings per field set, career evidence, evidence words, saving,
clustering safeguards, and a small FEBRL4 cut (synthetic records, tests/linkage/fixtures/)."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from forewarn.linkage import model

FIXTURES = Path(__file__).parent / "fixtures"
CAREER_FIELDS = {"given_name", "family_name", "birth_year", "sex", "organisation", "badge_number", "rank",
                 "start_date"}
FORCES = ["metropolitan", "kent", "devon and cornwall", "west midlands", "thames valley", "merseyside"]
RANKS = ["constable", "sergeant", "inspector", "chief inspector"]
SYLLABLES = ["tre", "pen", "hal", "mor", "wen", "bry", "cas", "dor", "vel", "lin", "quar", "fen", "gal", "rith",
             "ost", "mab", "zel", "orn"]
GIVEN = ["aled", "bryony", "cerys", "dafydd", "eluned", "fenella", "gethin", "hester", "ianto", "jessamy",
         "kerensa", "lowenna", "morwenna", "nye", "osian", "perran", "rhiannon", "seren", "tamsin", "wenna"]


def _family(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3))


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(len(word))
    return word[:i] + rng.choice("aeiourstln") + word[i + 1:]


def _workforce(seed: int = 11, people: int = 300) -> list[dict]:
    """Fictional officers, two records each; half of them moved force, rank and collar number between the
    two records (a career), some records carry a typo in the family name."""
    rng = random.Random(seed)
    rows = []
    for person in range(people):
        given, family = rng.choice(GIVEN), _family(rng)
        year, sex = rng.randint(1960, 2000), rng.choice("MF")
        force, rank, badge = rng.choice(FORCES), rng.choice(RANKS[:2]), str(rng.randint(100, 9999))
        start = f"{year + rng.randint(19, 30)}-{rng.randint(1, 12):02d}-01"
        base = {"given_name": given, "family_name": family, "birth_year": year, "sex": sex,
                "organisation": force, "badge_number": badge, "rank": rank, "start_date": start}
        second = dict(base)
        if person % 2:
            second.update(organisation=rng.choice([f for f in FORCES if f != force]), rank=rng.choice(RANKS[1:]),
                          badge_number=str(rng.randint(100, 9999)),
                          start_date=f"{int(start[:4]) + rng.randint(2, 8)}-{rng.randint(1, 12):02d}-15")
        if person % 5 == 0:
            second["family_name"] = _typo(rng, family)
        rows += [{"unique_id": f"p{person}a", **base}, {"unique_id": f"p{person}b", **second}]
    # The fictional officer the tests look for: moved from Kent (constable, collar 4417) to Devon and
    # Cornwall (sergeant, collar 2093) six years later.
    rows += [
        {"unique_id": "tresize-kent", "given_name": "morwenna", "family_name": "tresizequar", "birth_year": 1984,
         "sex": "F", "organisation": "kent", "badge_number": "4417", "rank": "constable",
         "start_date": "2006-09-04"},
        {"unique_id": "tresize-devon", "given_name": "morwenna", "family_name": "tresizequar", "birth_year": 1984,
         "sex": "F", "organisation": "devon and cornwall", "badge_number": "2093", "rank": "sergeant",
         "start_date": "2012-03-19"},
    ]
    return rows


def _linker(rows_or_tables, settings, db_api=None):
    import pyarrow as pa
    from splink import DuckDBAPI, Linker

    db_api = db_api or DuckDBAPI()
    tables = rows_or_tables if isinstance(rows_or_tables, list) and isinstance(rows_or_tables[0], list) \
        else [rows_or_tables]
    registered = [db_api.register(pa.Table.from_pylist(rows)) for rows in tables]
    return Linker(registered if len(registered) > 1 else registered[0], settings)


@pytest.fixture(scope="module")
def career_model():
    linker = _linker(_workforce(), model.settings_for(fields=CAREER_FIELDS, link_type="dedupe_only"))
    model.train(linker, fields=CAREER_FIELDS)
    return linker


def _predictions(linker) -> dict[tuple[str, str], dict]:
    rows = linker.inference.predict().as_record_list()
    return {tuple(sorted((row["unique_id_l"], row["unique_id_r"]))): row for row in rows}


def _settings_dict(fields: set[str], link_type: str = "dedupe_only") -> dict:
    return model.settings_for(fields=fields, link_type=link_type).create_settings_dict("duckdb")


def test_settings_compare_only_the_fields_present():
    settings = _settings_dict({"given_name", "family_name", "birth_year"})
    assert [c["output_column_name"] for c in settings["comparisons"]] == ["given_name", "family_name",
                                                                          "birth_year"]
    rules = " ".join(rule["blocking_rule"] for rule in settings["blocking_rules_to_generate_predictions"])
    for absent in ("postcode", "badge_number", "start_date", "birth_date", "organisation"):
        assert absent not in rules

    everything = _settings_dict(set(model.CANONICAL_FIELDS), "link_only")
    names = [c["output_column_name"] for c in everything["comparisons"]]
    # full_name is compared only when the parts are absent; birth_year only without a birth date.
    assert "full_name" not in names and "birth_year" not in names
    assert {"given_name", "family_name", "birth_date", "badge_number", "start_date", "end_date"} <= set(names)
    assert everything["link_type"] == "link_only"

    only_full = _settings_dict({"full_name", "birth_year"})
    assert [c["output_column_name"] for c in only_full["comparisons"]] == ["full_name", "birth_year"]


def test_settings_refuse_unknown_fields_and_link_types():
    with pytest.raises(ValueError, match="shoe_size"):
        model.settings_for(fields={"given_name", "shoe_size"}, link_type="dedupe_only")
    with pytest.raises(ValueError, match="link_type"):
        model.settings_for(fields={"given_name"}, link_type="link_and_dedupe")


def test_career_disagreement_does_not_sink_a_true_match(career_model):
    predictions = _predictions(career_model)
    moved = predictions[("tresize-devon", "tresize-kent")]
    assert moved["match_probability"] >= model.DEFAULT_THRESHOLD
    # Organisation, badge, rank and start date all differ, and none of them weighs against the match.
    for field in ("organisation", "badge_number", "rank", "start_date"):
        assert moved[f"mw_{field}"] == 0.0, field
    # An agreement on a career field counts for a match.
    stayed = next(row for pair, row in predictions.items() if pair == ("p0a", "p0b"))
    assert stayed["mw_badge_number"] > 3
    assert stayed["mw_start_date"] > 3


def test_people_who_share_a_career_but_not_an_identity_stay_apart(career_model):
    predictions = _predictions(career_model)
    # Different people in the same force and rank: never above the threshold.
    false = [row for (left, right), row in predictions.items()
             if left.startswith("p") and right.startswith("p") and left[:-1] != right[:-1]
             and row["match_probability"] >= model.DEFAULT_THRESHOLD]
    assert false == []


def test_evidence_names_each_field_its_level_and_weight(career_model):
    labels = model.level_labels(career_model.misc.save_model_to_json())
    row = _predictions(career_model)[("tresize-devon", "tresize-kent")]
    text = model.evidence(row, labels=labels)
    assert text.startswith("given name: exact (+")
    assert "family name: exact (+" in text
    assert "birth year: exact (+" in text
    assert "badge number: differs (career change) (+0.0)" in text
    assert "organisation: differs (career change) (+0.0)" in text


def test_evidence_words_from_a_row_by_hand():
    row = {"unique_id_l": "a", "unique_id_r": "b", "gamma_family_name": 5, "mw_family_name": 8.06,
           "gamma_birth_year": 2, "mw_birth_year": -2.3, "gamma_postcode": -1, "mw_postcode": 0.0}
    labels = {"family_name": {5: "exact"}, "birth_year": {2: "differs by 1"}}
    assert model.evidence(row, labels=labels) == "family name: exact (+8.1); birth year: differs by 1 (\u22122.3)"


def test_saved_model_reproduces_the_same_predictions(career_model, tmp_path):
    path = tmp_path / "model.json"
    model.model_save(career_model, path, fields=CAREER_FIELDS)
    document = json.loads(path.read_text())
    assert document["forewarn_model_version"] == model.MODEL_VERSION
    assert set(document["fields"]) == CAREER_FIELDS

    settings, fields = model.model_load(path)
    assert fields == CAREER_FIELDS
    reloaded = _linker(_workforce(), settings)
    before = {pair: round(row["match_probability"], 9) for pair, row in _predictions(career_model).items()}
    after = {pair: round(row["match_probability"], 9) for pair, row in _predictions(reloaded).items()}
    assert after == before


def test_model_load_refuses_another_version(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"forewarn_model_version": 99, "fields": [], "splink": {}}))
    with pytest.raises(model.ModelFileError, match="version 99"):
        model.model_load(path)
    path.write_text("{not json")
    with pytest.raises(model.ModelFileError, match="not a readable model"):
        model.model_load(path)


def test_clustering_refuses_links_that_join_contradictory_birth_years_or_sexes():
    # a–b and b–c are strong, but a and c were born 20 years apart: b goes with the stronger link only.
    pairs = [("a", "b", 0.999), ("b", "c", 0.995), ("d", "e", 0.999), ("e", "f", 0.9991)]
    attributes = {"a": (1970, "M"), "b": (None, None), "c": (1990, None),
                  "d": (1980, "F"), "e": (1980, None), "f": (1980, "M")}
    clusters = model.cluster_pairs(pairs, threshold=0.99, attributes=attributes, ids=["g"])
    assert clusters["a"] == clusters["b"] != clusters["c"]
    assert clusters["e"] == clusters["f"] != clusters["d"]
    assert clusters["g"] == "g"
    # Without attributes it is plain connected components.
    plain = model.cluster_pairs(pairs, threshold=0.99)
    assert plain["a"] == plain["c"] and plain["d"] == plain["f"]


def _febrl_cut(name: str, source: str) -> list[dict]:
    """FEBRL rows as a normalised frame (the cut is already lower-case ASCII with ISO dates)."""
    rows = []
    with (FIXTURES / name).open(newline="") as handle:
        for row in csv.DictReader(handle):
            rows.append({"unique_id": row["rec_id"], "source_dataset": source,
                         **{field: row[column].strip() or None for field, column in (
                             ("given_name", "given_name"), ("family_name", "surname"),
                             ("birth_date", "date_of_birth"), ("postcode", "postcode"),
                             ("badge_number", "soc_sec_id"))}})
    return rows


def test_a_small_febrl_cut_links_with_high_precision():
    fields = {"given_name", "family_name", "birth_date", "postcode", "badge_number"}
    left, right = _febrl_cut("febrl4a_cut.csv", "a"), _febrl_cut("febrl4b_cut.csv", "b")
    linker = _linker([left, right], model.settings_for(fields=fields, link_type="link_only"))
    model.train(linker, fields=fields)
    links = {(row["unique_id_l"], row["unique_id_r"])
             for row in linker.inference.predict(threshold_match_probability=model.DEFAULT_THRESHOLD).as_record_list()}
    true = {pair for pair in links if pair[0].split("-")[1] == pair[1].split("-")[1]}
    assert len(links) >= 64  # of the 80 true pairs
    assert len(true) / len(links) >= 0.98


def test_clustering_outvotes_one_corrupted_birth_year_but_keeps_settled_groups_apart():
    # Four records agree on 1813; "e" (1873, one mistyped digit) was linked to "d" directly, which the model
    # found strong enough. "f" (no year) links to "a" later: "e" is outvoted in its cluster and cannot veto it.
    pairs = [("a", "b", 0.999), ("b", "c", 0.999), ("c", "d", 0.999), ("d", "e", 0.998), ("f", "a", 0.97),
             ("f", "g", 0.96)]
    attributes = {"a": (1813, "M"), "b": (1813, "M"), "c": (1813, None), "d": (1814, "M"), "e": (1873, "M"),
                  "f": (None, None), "g": (None, "M")}
    clusters = model.cluster_pairs(pairs, threshold=0.95, attributes=attributes)
    assert len({clusters[item] for item in "abcdefg"}) == 1
    # A father and a son, each with records that settle on a year, chained by one record with none: apart.
    pairs = [("s1", "s2", 0.999), ("s2", "s3", 0.999), ("f1", "f2", 0.999), ("f2", "f3", 0.999),
             ("x", "s1", 0.99), ("x", "f1", 0.98)]
    attributes = {"s1": (1975, "M"), "s2": (1975, "M"), "s3": (1976, None), "f1": (1950, "M"),
                  "f2": (1950, "M"), "f3": (1950, "M"), "x": (None, "M")}
    clusters = model.cluster_pairs(pairs, threshold=0.95, attributes=attributes)
    assert clusters["x"] == clusters["s1"] == clusters["s3"]
    assert clusters["f1"] == clusters["f3"] != clusters["s1"]


def _levels(fields: set[str], field: str) -> list[dict]:
    return next(c for c in _settings_dict(fields)["comparisons"] if c["output_column_name"] == field)[
        "comparison_levels"]


def _gamma(fields: set[str], field: str, left: dict, right: dict) -> str:
    """The label of the level a pair of records falls in, evaluated by DuckDB."""
    import duckdb

    columns = sorted(fields)
    values = ", ".join(f"{_sql(left.get(c))} as {c}_l, {_sql(right.get(c))} as {c}_r" for c in columns)
    for level in _levels(fields, field):
        condition = level["sql_condition"].replace('"', "")
        if condition.upper() == "ELSE":
            return "differs"
        if duckdb.sql(f"select ({condition}) as hit from (select {values})").fetchall()[0][0]:
            return level.get("label_for_charts") or condition
    raise AssertionError("no level")


def _sql(value) -> str:
    if value is None:
        return "null"
    return str(value) if isinstance(value, int) else f"'{value}'"


def test_birth_dates_compare_typical_corruptions_and_fall_back_on_the_year():
    fields = {"given_name", "family_name", "birth_date", "birth_year"}

    def level(left, right, year_l=None, year_r=None):
        return _gamma(fields, "birth_date", {"birth_date": left, "birth_year": year_l or (left and int(left[:4]))},
                      {"birth_date": right, "birth_year": year_r or (right and int(right[:4]))})

    assert level("1985-08-30", "1985-08-30") == "exact"
    assert level("1985-08-30", "1985-08-31") == "one digit differs or two swapped"
    assert level("1985-03-11", "1985-11-03") == "day and month swapped"
    assert level("1989-03-11", "1990-03-11") == "same day, year differs by 1"
    assert level("1985-03-11", "1985-07-20") == "same year"
    # A date too corrupt to read keeps its year: the years are still compared.
    assert level(None, "1985-07-20", year_l=1985) == "same year"
    assert level("1813-01-01", "1873-05-02") == "year one out or one digit differs"
    assert level("1950-01-01", "1975-05-02") == "differs"
    assert level(None, "1975-05-02") == "missing"


def test_names_compare_short_forms_and_a_lone_family_name():
    fields = {"given_name", "family_name", "birth_date"}
    assert _gamma(fields, "given_name", {"given_name": "art", "family_name": "englefield"},
                  {"given_name": "arthur", "family_name": "englefield"}) == "one is the start of the other"
    # "Englefield" recorded alone, as a given name: it is the family name, and the given name is unknown.
    alone, full = {"given_name": "englefield", "family_name": None}, {"given_name": "arthur",
                                                                     "family_name": "englefield"}
    assert _gamma(fields, "family_name", alone, full) == "the only name given"
    assert _gamma(fields, "given_name", alone, full) == "missing (only a family name given)"
    rules = " ".join(rule["blocking_rule"] for rule in _settings_dict(fields)["blocking_rules_to_generate_predictions"])
    assert "family_name is null" in rules.replace('"', "")


def test_place_of_birth_compares_places_named_at_different_scales():
    fields = {"given_name", "family_name", "birth_year", "birth_place"}

    def level(left, right):
        return _gamma(fields, "birth_place", {"birth_place": left}, {"birth_place": right})

    assert level("bristol", "bristol") == "exact"
    assert level("west devon", "devon") == "one within the other"
    assert level("edinburgh", "city of edinburgh") == "one within the other"
    assert level("stoke on trent", "stoke upon trent") == "nearly the same"
    assert level("london", "westminster") == "differs"
    # Words, not letters: "ely" is not inside "bromley".
    assert level("ely", "bromley") == "differs"
    assert level(None, "devon") != "exact"
    rules = " ".join(rule["blocking_rule"] for rule in _settings_dict(fields)["blocking_rules_to_generate_predictions"])
    assert "birth_place" in rules
    # No rule blocks on the place of birth alone: every one is narrowed by a second key.
    for rule in _settings_dict(fields)["blocking_rules_to_generate_predictions"]:
        if "birth_place" in rule["blocking_rule"]:
            assert rule["blocking_rule"].count(" AND ") >= 1, rule["blocking_rule"]
    without = _settings_dict({"given_name", "family_name", "birth_year"})
    assert "birth_place" not in json.dumps(without)


def test_given_names_compare_nicknames_that_are_not_the_start_of_the_name():
    fields = {"given_name", "family_name", "birth_year"}

    def level(left, right):
        return _gamma(fields, "given_name", {"given_name": left, "family_name": "hal"},
                      {"given_name": right, "family_name": "hal"})

    assert level("bob", "robert") == "a short form of the same name"
    assert level("margaret", "peggy") == "a short form of the same name"
    assert level("bob", "robby") == "a short form of the same name"  # two short forms of one name
    assert level("chris", "christopher") == "one is the start of the other"
    assert level("bob", "margaret") == "differs"


def test_training_calibrates_the_prior_to_the_matches_the_model_expects(career_model):
    prior = career_model._settings_obj._probability_two_random_records_match
    records = len(_workforce())
    expected = sum(row["match_probability"] for row in career_model.inference.predict().as_record_list())
    assert expected / (records * (records - 1) / 2) == pytest.approx(prior, rel=0.01)
