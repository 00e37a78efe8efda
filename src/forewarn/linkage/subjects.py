"""The Splink model that scores a subject description against workforce appointments (issue #5 §1).

A complainant describes an officer, not a record: a family name heard once, maybe an initial, a rank
read off a sleeve, a collar number, a station, an age guessed to a decade, the day it happened. So
the subject model is its own Splink model (the batch model in `linkage.model` compares records with
records), compared per *appointment*: the force, collar number, station and rank the person had on
the day of the incident are what the complainant saw.

Comparisons (each level's words are what a case handler reads as evidence):

- family name: exact (with Splink's term-frequency adjustment: "Smith" proves less than "Oyelaran"),
  the same ignoring spaces, nearly the same, similar;
- given name: exact, the same initial (the complainant gave an initial), nearly the same;
- collar number: the same in the same force, the same in another force, one digit out;
- force, station (exact or nearly), rank;
- age: birth year within 3, within 6, within 10 years of the age given (an estimate, not a fact);
- sex;
- serving: whether the appointment was current on the incident date.

Where the parameters come from. The u probabilities (how often two different people agree by
chance) are estimated from the live workforce by Splink's random sampling (`subject_model_train`).
The m probabilities (how often a complainant's detail agrees with the right officer) cannot be
learned from the workforce alone: they start from the stated values in `DEFAULTS` below (documented
in docs/linkage.md) and are fixed through training. The untrained defaults are version 0, used until
a model has been trained.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import transaction
from django.utils import timezone

from forewarn.linkage.model import MODEL_VERSION, ModelFileError, level_labels

SEED = 5
U_SAMPLE_PAIRS = 1_000_000
FIELDS = ("family_name", "given_name", "badge_number", "organisation", "station", "rank", "birth_year", "sex",
          "serving")
# Columns of a record on either side (a subject or an appointment); `tf_family_name` is the family
# name's frequency in the workforce, supplied with each record (Splink's hard-coded tf column).
COLUMNS = ("unique_id", "family_name", "given_name", "badge_number", "organisation", "station", "rank",
           "birth_year", "sex", "serving_on", "start_date", "end_date", "tf_family_name")
WORDS = {"family_name": "family name", "given_name": "given name", "badge_number": "collar number",
         "organisation": "force", "station": "station", "rank": "rank", "birth_year": "age", "sex": "sex",
         "serving": "serving on the incident date"}

# (label, m, u) per non-null level, strongest first; the last is "differs". m are stated assumptions
# about complainants' descriptions; u are replaced by training except where marked fixed.
DEFAULTS: dict[str, list[tuple[str, float, float]]] = {
    "family_name": [("exact", 0.80, 0.0005), ("same ignoring spaces", 0.03, 0.0001),
                    ("nearly the same", 0.08, 0.002), ("similar", 0.04, 0.02), ("differs", 0.05, 0.9774)],
    "given_name": [("exact", 0.60, 0.01), ("same initial", 0.25, 0.07), ("nearly the same", 0.06, 0.005),
                   ("differs", 0.09, 0.915)],
    "badge_number": [("same number, same force", 0.85, 0.00002), ("same number, other force", 0.03, 0.0005),
                     ("one digit differs", 0.06, 0.0005), ("differs", 0.06, 0.99898)],
    "organisation": [("same", 0.90, 0.10), ("differs", 0.10, 0.90)],
    "station": [("same", 0.60, 0.01), ("nearly the same", 0.15, 0.01), ("differs", 0.25, 0.98)],
    "rank": [("same", 0.75, 0.30), ("differs", 0.25, 0.70)],
    "birth_year": [("within 3 years of the age given", 0.60, 0.15), ("within 6 years", 0.25, 0.15),
                   ("within 10 years", 0.10, 0.20), ("further apart", 0.05, 0.50)],
    "sex": [("same", 0.97, 0.50), ("differs", 0.03, 0.50)],
    # Fixed: the workforce alone has no incident dates to estimate from. About three in four
    # appointments on a national register are current on a given day.
    "serving": [("serving on the incident date", 0.97, 0.75), ("not serving on the incident date", 0.03, 0.25)],
}
FIXED_U = frozenset({"serving"})

logger = logging.getLogger(__name__)


def _levels(field: str) -> list[str]:
    """The SQL of each non-null level of `field`, in the order of DEFAULTS."""
    l, r = f"{field}_l", f"{field}_r"  # noqa: E741 - Splink's left/right suffixes
    year = "cast({} as integer)"
    if field == "family_name":
        squash = "replace(replace({}, ' ', ''), '-', '')"
        return [f"{l} = {r}", f"{squash.format(l)} = {squash.format(r)}",
                f"jaro_winkler_similarity({l}, {r}) >= 0.92", f"jaro_winkler_similarity({l}, {r}) >= 0.8", "ELSE"]
    if field == "given_name":
        return [f"{l} = {r}",
                f"(length({l}) = 1 or length({r}) = 1) and substr({l}, 1, 1) = substr({r}, 1, 1)",
                f"jaro_winkler_similarity({l}, {r}) >= 0.92", "ELSE"]
    if field == "badge_number":
        return [f"{l} = {r} and organisation_l = organisation_r", f"{l} = {r}",
                f"damerau_levenshtein({l}, {r}) <= 1 and organisation_l = organisation_r", "ELSE"]
    if field == "station":
        return [f"{l} = {r}", f"jaro_winkler_similarity({l}, {r}) >= 0.88", "ELSE"]
    if field == "birth_year":
        diff = f"abs({year.format(l)} - {year.format(r)})"
        return [f"{diff} <= 3", f"{diff} <= 6", f"{diff} <= 10", "ELSE"]
    if field == "serving":
        def within(a: str, b: str) -> str:
            return (f"(serving_on_{a} is not null and start_date_{b} is not null and serving_on_{a} >= start_date_{b}"
                    f" and serving_on_{a} <= coalesce(end_date_{b}, '9999-12-31'))")
        return [f"{within('l', 'r')} or {within('r', 'l')}", "ELSE"]
    return [f"{l} = {r}", "ELSE"]  # organisation, rank, sex


def _null_sql(field: str) -> str:
    if field == "serving":
        # Comparable only when one side has an incident date and the other an appointment.
        return ("not ((serving_on_l is not null and start_date_r is not null) "
                "or (serving_on_r is not null and start_date_l is not null))")
    return f"{field}_l is null or {field}_r is null"


def default_settings() -> dict[str, Any]:
    """Splink settings (as a dict) with the stated defaults: version 0 of the subject model."""
    comparisons = []
    for field in FIELDS:
        levels: list[dict[str, Any]] = [{"sql_condition": _null_sql(field), "label_for_charts": "missing",
                                         "is_null_level": True}]
        for sql, (label, m, u) in zip(_levels(field), DEFAULTS[field], strict=True):
            level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label, "m_probability": m,
                                     "u_probability": u, "fix_m_probability": True,
                                     "fix_u_probability": field in FIXED_U}
            if field == "family_name" and label == "exact":
                level.update(tf_adjustment_column="family_name", tf_adjustment_weight=1.0)
            levels.append(level)
        comparisons.append({"output_column_name": field, "comparison_description": WORDS[field],
                            "comparison_levels": levels})
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [],
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": False,
        # Replaced on training: one in the number of workforce records (someone in it is the subject).
        "probability_two_random_records_match": 1e-5,
        "sql_dialect": "duckdb",
    }


def default_document() -> dict[str, Any]:
    return {"forewarn_model_version": MODEL_VERSION, "fields": list(FIELDS), "splink": default_settings()}


# -- the engine: one in-process DuckDB per model version -------------------------------------------
class _Captured(Exception):
    """Raised to stop Splink once it has built the scoring SQL (see `Scorer`)."""


class Scorer:
    """Scores a subject against a handful of appointments with one model version.

    Splink builds the SQL of `Linker.inference.score_pairs` (term-frequency joins, comparison
    vectors, Bayes factors, match weights and probabilities) afresh on every call, which costs more
    than running it. So the SQL is built once per model, by Splink, for two input tables with fixed
    names, and each match registers its records under those names and runs it in DuckDB.
    """

    LEFT, RIGHT = "forewarn_subject_in", "forewarn_appointments_in"

    def __init__(self, document: dict[str, Any], version: int):
        import duckdb
        import pyarrow as pa
        from splink import DuckDBAPI, Linker

        if document.get("forewarn_model_version") != MODEL_VERSION:
            raise ModelFileError(f"subject model v{version}: format {document.get('forewarn_model_version')!r}, "
                                 f"this Forewarn reads {MODEL_VERSION}")
        self.version = version
        self.settings = document["splink"]
        self.labels = level_labels(self.settings)
        self.schema = pa.schema([(c, pa.int32() if c == "birth_year" else pa.float64() if c.startswith("tf_")
                                  else pa.string()) for c in COLUMNS])
        self.lock = threading.Lock()
        building = duckdb.connect(":memory:")  # where Splink builds the query (then closed)
        db_api = DuckDBAPI(connection=building)
        empty = pa.Table.from_pylist([], schema=self.schema)
        for name in (self.LEFT, self.RIGHT):
            building.register(name, empty)
        linker = Linker(db_api.register(self.LEFT), self.settings, log_level=logging.ERROR)
        captured: list[str] = []
        run = db_api.sql_pipeline_to_splink_dataframe

        def capture(pipeline):
            sql = pipeline.generate_cte_pipeline_sql()
            if self.RIGHT not in sql:
                return run(pipeline)  # a preliminary step (term frequencies of the empty input)
            captured.append(sql)
            raise _Captured

        db_api.sql_pipeline_to_splink_dataframe = capture
        try:
            linker.inference.score_pairs(db_api.register(self.LEFT), db_api.register(self.RIGHT))
        except _Captured:
            pass
        if not captured:  # pragma: no cover - a Splink upgrade that stops building one pipeline
            raise ModelFileError("Splink did not build a scoring query for the subject model")
        self.sql = captured[0]
        building.close()
        # The query is prepared once, over two real tables under the names Splink used, refilled for
        # each match (a statement prepared over registered Arrow views keeps the views it was given).
        self.connection = duckdb.connect(":memory:")
        self.connection.register("forewarn_empty", empty)
        for name in (self.LEFT, self.RIGHT):
            self.connection.execute(f"CREATE TABLE {name} AS SELECT * FROM forewarn_empty")
        self.connection.execute(f"PREPARE forewarn_score AS {self.sql}")

    def score(self, subject: dict[str, Any], appointments: list[dict[str, Any]], *,
              prior: float | None = None) -> list[dict[str, Any]]:
        """Splink's prediction rows (match_probability, match_weight, gamma_*, mw_*) for each appointment.

        `prior`: the probability that a random person on the register is the subject (one in the
        number of people on it today). Splink adds the prior's weight to the fields' match weights;
        the model's prior (from its training) is swapped for today's, so a model trained on one
        workforce scores fairly on a register that has grown since.
        """
        import math

        import pyarrow as pa

        if not appointments:
            return []
        with self.lock:  # one DuckDB connection and fixed table names: one match at a time
            self.connection.register("forewarn_left", pa.Table.from_pylist([subject], schema=self.schema))
            self.connection.register("forewarn_right", pa.Table.from_pylist(appointments, schema=self.schema))
            self.connection.execute(
                f"DELETE FROM {self.LEFT}; INSERT INTO {self.LEFT} SELECT * FROM forewarn_left; "
                f"DELETE FROM {self.RIGHT}; INSERT INTO {self.RIGHT} SELECT * FROM forewarn_right")
            cursor = self.connection.execute("EXECUTE forewarn_score")
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
        if prior is not None:
            trained = float(self.settings["probability_two_random_records_match"])
            shift = math.log2(prior / (1 - prior)) - math.log2(trained / (1 - trained))
            for row in rows:
                row["match_weight"] = float(row["match_weight"]) + shift
                row["match_probability"] = 1 / (1 + 2 ** -row["match_weight"])
        return rows


_scorers: dict[tuple, Scorer] = {}
_scorers_lock = threading.Lock()


def active_model():
    """The active SubjectModel row, or None (the stated defaults, version 0, are used)."""
    from forewarn.linkage.models import SubjectModel

    return SubjectModel.objects.filter(active=True).only("version", "trained_at").first()


def scorer() -> Scorer:
    """The scorer for the active model, built once per process and model (one small query per call
    to see which model is active: a model trained in another process is picked up at once)."""
    from forewarn.linkage.models import SubjectModel

    row = active_model()
    key = (row.pk, row.version, row.trained_at) if row else (None, 0, None)
    found = _scorers.get(key)
    if found is not None:
        return found
    with _scorers_lock:
        if key not in _scorers:
            document = SubjectModel.objects.values_list("document", flat=True).get(pk=row.pk) if row else default_document()
            _scorers.clear()  # an older model is not used again in this process
            _scorers[key] = Scorer(document, key[1])
        return _scorers[key]


# -- training ------------------------------------------------------------------------------------
def subject_model_train(*, actor=None, records: list[dict[str, Any]] | None = None, note: str = ""):
    """Estimate the u probabilities on the workforce and save them as the next, active version.

    `records` defaults to every current appointment (`realtime.workforce_records`). Returns the
    SubjectModel row.
    """
    import duckdb
    import pyarrow as pa
    from splink import DuckDBAPI, Linker

    from forewarn.audit.services import event_record
    from forewarn.core.errors import ValidationFailed
    from forewarn.linkage import realtime
    from forewarn.linkage.models import SubjectModel

    if records is None:
        records = realtime.workforce_records()
    if len(records) < 2:
        raise ValidationFailed("The workforce has fewer than two appointments to estimate from.",
                               field="workforce", code="linkage.too_few_records")
    settings = default_settings()
    settings["link_type"] = "dedupe_only"
    settings["probability_two_random_records_match"] = 1 / len(records)
    schema = pa.schema([(c, pa.int32() if c == "birth_year" else pa.float64() if c.startswith("tf_")
                         else pa.string()) for c in COLUMNS if c != "tf_family_name"])
    connection = duckdb.connect(":memory:")
    try:
        connection.register("workforce_frame", pa.Table.from_pylist(
            [{k: v for k, v in r.items() if k != "tf_family_name"} for r in records], schema=schema))
        connection.execute("CREATE TABLE workforce AS SELECT * FROM workforce_frame")
        db_api = DuckDBAPI(connection=connection)
        linker = Linker(db_api.register("workforce"), settings, log_level=logging.ERROR)
        linker.training.estimate_u_using_random_sampling(max_pairs=min(U_SAMPLE_PAIRS, len(records) ** 2),
                                                         seed=SEED)
        trained = linker.misc.save_model_to_json()
    finally:
        connection.close()
    trained["link_type"] = "link_only"
    _keep_defaults_where_unestimated(trained)
    document = {"forewarn_model_version": MODEL_VERSION, "fields": list(FIELDS), "splink": trained}
    with transaction.atomic():
        latest = SubjectModel.objects.select_for_update().order_by("-version").first()
        SubjectModel.objects.filter(active=True).update(active=False)
        row = SubjectModel.objects.create(version=(latest.version if latest else 0) + 1, document=document,
                                          people=len(records), trained_at=timezone.now(), trained_by=actor,
                                          active=True, note=note[:300])
        event_record(actor=actor, action="subject_model.train", obj=row,
                     data={"version": row.version, "records": len(records), "note": note[:300]})
    return row


def _keep_defaults_where_unestimated(settings: dict[str, Any]) -> None:
    """A level random sampling never saw (no pair agreed that way) has no u: keep the stated default,
    and clamp u away from 0 (a zero u would make one agreement infinite evidence)."""
    defaults = {c["output_column_name"]: c for c in default_settings()["comparisons"]}
    for comparison in settings["comparisons"]:
        stated = defaults[comparison["output_column_name"]]["comparison_levels"]
        for level, default in zip(comparison["comparison_levels"], stated, strict=True):
            if level.get("is_null_level"):
                continue
            u = level.get("u_probability")
            if u is None or u == "level not observed in training dataset" or not isinstance(u, int | float):
                level["u_probability"] = default["u_probability"]
            else:
                level["u_probability"] = max(float(u), 1e-6)


def model_summary(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each field's levels with m, u and the weight they give, for `forewarn link subject-model show`."""
    import math

    rows = []
    for comparison in document["splink"]["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = float(level["m_probability"]), float(level["u_probability"])
            rows.append({"field": comparison["output_column_name"], "level": level.get("label_for_charts", ""),
                         "m": m, "u": u, "weight": math.log2(m / u) if m > 0 and u > 0 else float("nan")})
    return rows

