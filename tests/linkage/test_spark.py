"""`forewarn link dedupe --engine spark`: Spark in local mode (Java 17, the similarity jar from the splink wheel).

A model trained and saved on DuckDB is reused on Spark: Splink keeps each level's SQL in the dialect it
was trained on, so `engines.settings_for_engine` rebuilds it for Spark with the trained parameters. The
same model on the same records must give the same clusters on both engines. Small on purpose: a JVM
start costs seconds.
"""

from __future__ import annotations

import csv

from click.testing import CliRunner

from forewarn import cli
from tests.linkage import officers


def _dedupe(path, out, *options):
    result = CliRunner().invoke(cli.main, [
        "link", "dedupe", str(path), "--id", "Ref", "--map", officers.MAP, "--date-format", officers.DATE_FORMAT,
        "--out", str(out), *[str(o) for o in options]])
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        return result, list(csv.DictReader(handle))


def test_spark_gives_the_duckdb_clusters(tmp_path):
    rows = officers.officers(seed=11, people=40)
    path = officers.write(tmp_path / "officers.csv", rows)
    model = tmp_path / "model.json"
    _dedupe(path, tmp_path / "trained.csv", "--save-model", model)
    _, on_duckdb = _dedupe(path, tmp_path / "duckdb.csv", "--model", model)
    result, on_spark = _dedupe(path, tmp_path / "spark.csv", "--model", model, "--engine", "spark")
    assert "(spark, threshold" in result.stdout
    assert [(c["record_id"], c["cluster_id"], c["cluster_size"]) for c in on_spark] == \
        [(c["record_id"], c["cluster_id"], c["cluster_size"]) for c in on_duckdb]
    for spark_row, duckdb_row in zip(on_spark, on_duckdb, strict=True):
        if duckdb_row["weakest_link_probability"]:
            assert abs(float(spark_row["weakest_link_probability"]) -
                       float(duckdb_row["weakest_link_probability"])) < 1e-6
    found = officers.pairs({c["record_id"]: c["cluster_id"] for c in on_spark})
    truth = officers.pairs({row["Ref"]: row["Person"] for row in rows})
    precision, recall = officers.precision_recall(found, truth)
    assert precision >= 0.9, precision
    assert recall >= 0.8, recall
