"""Where the linkage SQL runs: DuckDB (default, in-process) or Spark (local mode here, a cluster at scale).

Both engines load the normalised frames written by `linkage.inputs` (CSV with a fixed schema), give Splink
its database API, and stream query results back row by row, so the orchestration in `services` is the
same for both. Nothing is fetched at run time: DuckDB needs no extension for Splink's functions, and
Spark's similarity functions come from the jar inside the splink wheel.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forewarn.core.errors import ValidationFailed
from forewarn.linkage.normalise import frame_columns

ENGINES = ("duckdb", "spark")
FETCH_ROWS = 10_000
# Types of the frame columns; everything else is text (dates stay ISO strings: the model compares them
# character by character, e.g. a date with two digits swapped).
INTEGER_COLUMNS = frozenset({"birth_year"})


class DuckDBEngine:
    """An in-memory DuckDB that spills to `workdir` when the data outgrow memory."""

    name = "duckdb"

    def __init__(self, workdir: Path):
        import duckdb
        from splink import DuckDBAPI

        self.connection = duckdb.connect(":memory:")
        self.connection.execute(f"SET temp_directory = '{_sql_path(workdir / 'duckdb-spill')}'")
        self.connection.execute("SET enable_progress_bar = false")  # the CLI draws its own, on stderr
        memory_limit = os.environ.get("FOREWARN_DUCKDB_MEMORY_LIMIT")
        if memory_limit:
            self.connection.execute(f"SET memory_limit = '{memory_limit}'")
        self.db_api = DuckDBAPI(connection=self.connection)

    def load(self, path: Path, *, table: str, with_source: bool):
        """Load a normalised frame into table `table` and register it with Splink."""
        columns = ", ".join(f"'{c}': '{'INTEGER' if c in INTEGER_COLUMNS else 'VARCHAR'}'"
                            for c in frame_columns(with_source=with_source))
        self.connection.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv('{_sql_path(path)}', header = true, delim = ',', "
            f"columns = {{{columns}}}, nullstr = '', quote = '\"', escape = '\"')")
        return self.registered(table)

    def columns(self, table: str) -> list[str]:
        return [d[0] for d in self.connection.execute(f"select * from {table} limit 0").description]

    def sample(self, table: str, into: str, share: float) -> str:
        """Table `into`: the rows of `table` whose id hashes below `share` (the same rows on every engine)."""
        self.connection.execute(f"create or replace table {into} as select * from {table} "
                                f"where {sample_condition(share)}")
        return into

    def registered(self, table: str):
        return self.db_api.register(table, dataset_display_name=table)

    def create_table(self, table: str, columns: list[tuple[str, str]], rows: list[list[Any]]) -> None:
        """A small table from Python values (columns: name and SQL type)."""
        self.connection.execute(f"create or replace table {table} "
                                f"({', '.join(f'{name} {kind}' for name, kind in columns)})")
        if rows:
            self.connection.executemany(f"insert into {table} values ({', '.join('?' * len(columns))})", rows)

    @staticmethod
    def probability_text(expression: str) -> str:
        """A probability as the batch outputs write it: ten decimals without trailing zeros, 1 as "1"."""
        return (f"case when {expression} < 1 then rtrim(rtrim(printf('%.10f', {expression}), '0'), '.') "
                f"else '1' end")

    def write_csv(self, sql: str, path: Path, *, header) -> tuple[int, int]:
        """Write the rows of `sql` (columns in `header` order, record_id first) as CSV with a header line, as
        Python's csv module would (quotes only where needed, CRLF line ends); (rows, distinct record ids)."""
        self.connection.execute(f"create or replace temp table forewarn_output as {sql}")
        self.connection.execute(f"copy (select {', '.join(header)} from forewarn_output) to '{_sql_path(path)}' "
                                f"(format csv, header true, new_line '\r\n', quote '\"', escape '\"')")
        [(rows, records)] = self.connection.execute(
            "select count(*), count(distinct record_id) from forewarn_output").fetchall()
        self.connection.execute("drop table forewarn_output")
        return rows, records

    def rows(self, sql: str) -> Iterator[dict[str, Any]]:
        cursor = self.connection.cursor()
        cursor.execute(sql)
        names = [d[0] for d in cursor.description]
        while batch := cursor.fetchmany(FETCH_ROWS):
            for values in batch:
                yield dict(zip(names, values, strict=True))

    def close(self) -> None:
        self.connection.close()


class SparkEngine:
    """A local Spark session (all cores of this machine) with Splink's similarity jar from its wheel."""

    name = "spark"

    def __init__(self, workdir: Path):
        from pyspark.sql import SparkSession
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location

        # Local mode talks to itself only: no lookup of this machine's public address.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        checkpoints = workdir / "spark-checkpoints"
        checkpoints.mkdir(parents=True, exist_ok=True)
        builder = (
            SparkSession.builder.master(os.environ.get("FOREWARN_SPARK_MASTER", "local[*]"))
            .appName("forewarn-linkage")
            .config("spark.jars", similarity_jar_location())
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.local.dir", str(workdir / "spark-local"))
            .config("spark.driver.memory", os.environ.get("FOREWARN_SPARK_DRIVER_MEMORY", "4g"))
            .config("spark.sql.shuffle.partitions", os.environ.get("FOREWARN_SPARK_PARTITIONS", "8"))
            .config("spark.sql.ansi.enabled", "false")
        )
        self.spark = builder.getOrCreate()
        self.spark.sparkContext.setLogLevel("ERROR")
        self.spark.sparkContext.setCheckpointDir(str(checkpoints))
        partitions = int(os.environ.get("FOREWARN_SPARK_PARTITIONS", "8"))
        self.db_api = SparkAPI(spark_session=self.spark, break_lineage_method="parquet",
                               num_partitions_on_repartition=partitions)

    def load(self, path: Path, *, table: str, with_source: bool):
        from pyspark.sql.types import IntegerType, StringType, StructField, StructType

        schema = StructType([StructField(c, IntegerType() if c in INTEGER_COLUMNS else StringType(), True)
                             for c in frame_columns(with_source=with_source)])
        frame = self.spark.read.csv(str(path), header=True, schema=schema, quote='"', escape='"',
                                    nullValue="", mode="FAILFAST")
        frame.createOrReplaceTempView(table)
        return self.registered(table)

    def columns(self, table: str) -> list[str]:
        return self.spark.table(table).columns

    def sample(self, table: str, into: str, share: float) -> str:
        """View `into`: the rows of `table` whose id hashes below `share` (the same rows on every engine)."""
        self.spark.sql(f"select * from {table} where {sample_condition(share)}").cache().createOrReplaceTempView(into)
        return into

    def registered(self, table: str):
        return self.db_api.register(table, dataset_display_name=table)

    def create_table(self, table: str, columns: list[tuple[str, str]], rows: list[list[Any]]) -> None:
        """A small table from Python values (columns: name and SQL type)."""
        schema = ", ".join(f"{name} {'STRING' if kind == 'VARCHAR' else kind}" for name, kind in columns)
        self.spark.createDataFrame(rows, schema=schema).createOrReplaceTempView(table)

    @staticmethod
    def probability_text(expression: str) -> str:
        """A probability as the batch outputs write it: ten decimals without trailing zeros, 1 as "1"."""
        return (f"case when {expression} < 1 then regexp_replace(regexp_replace(format_string('%.10f', "
                f"{expression}), '0+$', ''), '[.]$', '') else '1' end")

    def write_csv(self, sql: str, path: Path, *, header) -> tuple[int, int]:
        """Write the rows of `sql` as CSV (Python's csv module, streaming from the driver); (rows, records)."""
        import csv

        rows, records = 0, set()
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in self.spark.sql(sql).toLocalIterator():
                writer.writerow([row[name] for name in header])
                rows += 1
                records.add(row["record_id"])
        return rows, len(records)

    def rows(self, sql: str) -> Iterator[dict[str, Any]]:
        for row in self.spark.sql(sql).toLocalIterator():
            yield row.asDict()

    def close(self) -> None:
        self.spark.stop()


# Trained values carried over when a saved model is rebuilt for another engine.
LEVEL_PARAMETERS = ("m_probability", "u_probability", "fix_m_probability", "fix_u_probability",
                    "tf_minimum_u_value")


def settings_for_engine(saved: dict[str, Any], *, engine: str, fields: set[str], link_type: str,
                        fresh) -> dict[str, Any]:
    """A saved model's settings, usable on `engine`.

    Splink stores each level's SQL in the dialect it was trained on (DuckDB's jaro_winkler_similarity and
    double-quoted names; Spark calls the first jaro_winkler and reads "x" as a string). A model trained on
    one engine is therefore rebuilt for another: the same comparisons made afresh in the engine's dialect
    (`fresh`, a SettingsCreator for the same fields and model version), with the trained parameters copied
    level by level. A model whose comparisons do not line up with today's is refused.
    """
    dialect = engine  # Splink's dialect names are the engine names here
    if saved.get("sql_dialect", "duckdb") == dialect:
        return dict(saved, link_type=link_type)
    rebuilt = fresh.get_settings(dialect).as_dict()
    by_name = {c["output_column_name"]: c for c in saved.get("comparisons", [])}
    for comparison in rebuilt["comparisons"]:
        old = by_name.get(comparison["output_column_name"])
        labels = [level.get("label_for_charts") for level in comparison["comparison_levels"]]
        if old is None or [level.get("label_for_charts") for level in old["comparison_levels"]] != labels:
            raise ValidationFailed(
                f"model: its comparison of {comparison['output_column_name']} does not match this version's; "
                f"retrain it (--save-model).", field="model", code="linkage.model_invalid")
        for level, old_level in zip(comparison["comparison_levels"], old["comparison_levels"], strict=True):
            for key in LEVEL_PARAMETERS:
                if key in old_level:
                    level[key] = old_level[key]
    rebuilt["probability_two_random_records_match"] = saved["probability_two_random_records_match"]
    rebuilt["link_type"] = link_type
    return rebuilt


def sample_condition(share: float) -> str:
    """SQL true for about `share` of the rows, chosen by the MD5 of unique_id (DuckDB and Spark agree on MD5)."""
    bound = min(int(share * 16 ** 8), 16 ** 8 - 1)
    return f"substr(md5(unique_id), 1, 8) < '{bound:08x}'"


def engine_check(name: str) -> None:
    if name not in ENGINES:
        raise ValidationFailed(f"engine: '{name}' is not one of {', '.join(ENGINES)}.", field="engine",
                               code="linkage.unknown_engine")


def engine_open(name: str, *, workdir: Path):
    """The engine called `name` (duckdb or spark), working in `workdir` (spill files, checkpoints)."""
    engine_check(name)
    if name == "duckdb":
        return DuckDBEngine(workdir)
    if name == "spark":
        try:
            return SparkEngine(workdir)
        except ImportError as exc:  # pragma: no cover - pyspark is a dependency; a broken install
            raise ValidationFailed(f"engine: Spark is not available here ({exc}).", field="engine",
                                   code="linkage.engine_unavailable") from exc
    raise AssertionError(name)  # pragma: no cover - engine_check covers every name


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
