"""Batch linkage (issue #5 §2): `dedupe_run` clusters one file, `wash_run` links records to a workforce.

Both follow one recipe: read and validate every input (`linkage.inputs`; nothing is written if any input
is bad), normalise to the canonical fields, load into the engine, train the Splink model (or load a saved
one), predict, cluster or pick candidates, and write the output to a temporary file beside --out that is
renamed into place only when complete. A failed run leaves no output behind.

A wash is built for national scale (issue #5 §4: 300,000 against 1,000,000 records in a minute on two
cores): it trains on a hashed sample of a big input (`TRAINING_SAMPLE_RECORDS`) and picks, words and
writes its matches in the engine's SQL rather than row by row in Python (`_wash_write`).

The model itself (comparisons, blocking, training, thresholds, evidence words, clustering safeguards)
lives in `linkage.model`.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from forewarn.core.errors import ValidationFailed
from forewarn.linkage import engines, inputs
from forewarn.linkage.inputs import InputSpec, NormalisedInput

# progress(stage, done, total): the CLI draws one bar per stage.
Progress = Callable[[str, int, int], None]

DEDUPE_COLUMNS = ("record_id", "cluster_id", "cluster_size", "weakest_link_probability")
WASH_COLUMNS = ("record_id", "person_id", "match_probability", "evidence")


@dataclass
class LinkResult:
    """What a batch run did, for the CLI's summary and the tests."""

    out: Path
    engine: str
    threshold: float
    fields: list[str]
    inputs: list[NormalisedInput]
    rows_written: int = 0
    clusters: int = 0
    records_matched: int = 0
    model_trained: bool = True
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stages: list[tuple[str, float]] = field(default_factory=list)  # (stage, seconds), in order

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.stages.append((stage, time.monotonic() - started))

    def timing_line(self) -> str:
        return ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in self.stages)

    def warning_lines(self) -> list[str]:
        lines = [line for item in self.inputs for line in item.warning_lines()]
        return lines + self.warnings


def _model():
    from forewarn.linkage import model

    return model


def _out_check(out: Path) -> None:
    """Refuse an --out that cannot be written, before any work."""
    if out.is_dir():
        raise ValidationFailed(f"out: {out} is a directory; give a file name.", field="out",
                               code="linkage.out_invalid")
    if not out.parent.is_dir():
        raise ValidationFailed(f"out: the folder {out.parent} does not exist.", field="out",
                               code="linkage.out_invalid")


def _threshold(value: float | None) -> float:
    threshold = _model().DEFAULT_THRESHOLD if value is None else float(value)
    if not 0.0 < threshold <= 1.0:
        raise ValidationFailed(f"threshold: {value} is not a probability in (0, 1].", field="threshold",
                               code="linkage.threshold_invalid")
    return threshold


def _stage(progress: Progress | None, name: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(name, done, total)


@contextmanager
def _step(progress: Progress | None, name: str) -> Iterator[None]:
    """A stage without a measurable size (training, scoring): shown as 0/1 then 1/1."""
    if progress:
        progress(name, 0, 1)
    yield
    if progress:
        progress(name, 1, 1)


@contextmanager
def _atomic_path(out: Path) -> Iterator[Path]:
    """A temporary path beside `out`, renamed over `out` only if the block succeeds (removed if it fails)."""
    part = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        yield part
        os.replace(part, out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


@contextmanager
def _atomic_csv(out: Path, header: Iterable[str]) -> Iterator[csv.writer]:
    """A CSV writer on a temporary file beside `out`, renamed over `out` only if the block succeeds."""
    with _atomic_path(out) as part, part.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        yield writer


def _load_settings(model_path: Path | None, *, fields: set[str], link_type: str, engine: str,
                   result: LinkResult):
    """(settings, fields compared): a saved model (refused if unreadable) or new settings for `fields`."""
    model = _model()
    if model_path is None:
        return model.settings_for(fields=fields, link_type=link_type), fields
    try:
        saved, model_fields = model.model_load(model_path)
    except model.ModelFileError as exc:
        raise ValidationFailed(f"model: {exc}", field="model", code="linkage.model_invalid") from None
    settings = engines.settings_for_engine(saved, engine=engine, fields=set(model_fields), link_type=link_type,
                                           fresh=model.settings_for(fields=set(model_fields), link_type=link_type))
    absent = sorted(set(model_fields) - fields)
    if absent:
        result.warnings.append(f"the model compares {', '.join(absent)}, which the input does not give: "
                               "treated as missing")
    result.model_trained = False
    return settings, set(model_fields)


def _linker(tables, settings):
    from splink import Linker

    # Splink's warnings (levels not seen in training, untrained parameters) are for model builders; the
    # accuracy benchmark reports what matters to a user of the command.
    return Linker(tables, settings, log_level=logging.ERROR)


def _train(linker, *, fields: set[str], trained: bool, progress: Progress | None) -> None:
    if trained:
        with _step(progress, "training"):
            _model().train(linker, fields=fields)


# A wash trains its model on a sample of at most this many records (both inputs together, the same share of
# each), drawn by a hash of the record id: the same input gives the same sample and so the same model.
# Every estimate the training makes is a ratio that a uniform sample of both sides keeps: the prior (pairs
# found by the deterministic rules over pairs possible: both shrink by the square of the share), u (random
# pairs) and m (EM over the pairs blocked on names and birth date). What a sample does not keep is the cost:
# the blocked pairs grow with the product of the two sizes, and training on all of a national wash (300,000
# against 1,000,000) took 108 s of a 148 s run (docs/benchmarks.md). Term frequencies are counted on the whole
# input when scoring.
TRAINING_SAMPLE_RECORDS = 250_000


def _train_on_sample(db, *, tables: list, names: tuple[str, ...], rows: list[int], settings, fields: set[str],
                     progress: Progress | None) -> dict:
    """Train on the whole input or a hashed sample of it; the trained settings (a dict) to score everything."""
    share = TRAINING_SAMPLE_RECORDS / max(sum(rows), 1)
    if share < 1:
        tables = [db.registered(db.sample(name, f"{name}_training", share)) for name in names]
    linker = _linker(tables, settings)
    _train(linker, fields=fields, trained=True, progress=progress)
    return linker.misc.save_model_to_json()


def dedupe_run(
    *,
    source: InputSpec,
    out: Path,
    engine: str = "duckdb",
    threshold: float | None = None,
    model_path: Path | None = None,
    save_model: Path | None = None,
    progress: Progress | None = None,
) -> LinkResult:
    """Cluster the records of one file by person; write record_id,cluster_id,cluster_size,weakest link."""
    started = time.monotonic()
    out = Path(out)
    _out_check(out)
    engines.engine_check(engine)
    with tempfile.TemporaryDirectory(prefix="forewarn-link-") as tmp:
        work = Path(tmp)
        frame = inputs.input_normalise(spec=source, frame_path=work / "records.csv",
                                       progress=_stage(progress, f"reading {source.path.name}"))
        probability, model = _threshold(threshold), _model()
        result = LinkResult(out=out, engine=engine, threshold=probability, fields=[], inputs=[frame])
        settings, fields = _load_settings(model_path, fields=frame.fields, link_type="dedupe_only",
                                          engine=engine, result=result)
        result.fields = sorted(fields)
        db = engines.engine_open(engine, workdir=work)
        try:
            table = db.load(frame.frame_path, table="records", with_source=False)
            linker = _linker(table, settings)
            _train(linker, fields=fields, trained=result.model_trained, progress=progress)
            with _step(progress, "scoring pairs"):
                # Pairs below the threshold down to the model's floor are evidence for the clustering.
                predictions = linker.inference.predict(
                    threshold_match_probability=min(probability, model.GROUP_EVIDENCE_FLOOR))
            with _step(progress, "clustering"):
                attributes = {row["unique_id"]: (row["birth_year"], row["sex"])
                              for row in db.rows("select unique_id, birth_year, sex from records")}
                pairs = [(row["unique_id_l"], row["unique_id_r"], float(row["match_probability"]))
                         for row in db.rows(f"select unique_id_l, unique_id_r, match_probability "
                                            f"from {predictions.physical_name}")]
                clusters = model.cluster_pairs(pairs, threshold=probability, attributes=attributes,
                                               ids=attributes)
                sizes: dict[str, int] = {}
                for cluster_id in clusters.values():
                    sizes[cluster_id] = sizes.get(cluster_id, 0) + 1
                weakest = _weakest_links(pairs, clusters)
            if save_model:
                model.model_save(linker, save_model, fields=sorted(fields))
            write = _stage(progress, "writing")
            with _atomic_csv(out, DEDUPE_COLUMNS) as writer:
                for done, record_id in enumerate(attributes, start=1):
                    cluster_id = clusters[record_id]
                    link = weakest.get(cluster_id)
                    writer.writerow([record_id, cluster_id, sizes[cluster_id],
                                     "" if link is None else _probability(link)])
                    if write and done % inputs.PROGRESS_EVERY == 0:
                        write(done, frame.rows)
            result.rows_written = len(attributes)
            result.clusters = len(sizes)
        finally:
            db.close()
    result.seconds = time.monotonic() - started
    return result


def _weakest_links(pairs: list[tuple[str, str, float]], clusters: dict[str, str]) -> dict[str, float]:
    """cluster id -> the probability of the weakest link that holds the cluster together.

    That is the smallest edge of the cluster's maximum spanning tree (Kruskal, strongest first) over the
    scored pairs inside the cluster: the one link whose removal would split the cluster, so a reviewer
    knows how firmly it holds. A lone record joined to its person on several weaker pairs
    (`model.cluster_pairs`, step 3) shows the strongest of them, below the threshold.
    """
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    weakest: dict[str, float] = {}
    for left, right, probability in sorted(pairs, key=lambda p: -p[2]):
        if clusters.get(left) != clusters.get(right):
            continue
        a, b = find(left), find(right)
        if a != b:
            parent[b] = a
            weakest[clusters[left]] = probability  # descending order: the last merge is the weakest
    return weakest


def _probability(value: float) -> str:
    return f"{value:.10f}".rstrip("0").rstrip(".") if value < 1 else "1"


def wash_run(
    *,
    workforce: InputSpec,
    records: InputSpec,
    out: Path,
    engine: str = "duckdb",
    threshold: float | None = None,
    model_path: Path | None = None,
    save_model: Path | None = None,
    candidates: int = 1,
    progress: Progress | None = None,
) -> LinkResult:
    """Link external person records to a workforce; write record_id,person_id,match_probability,evidence.

    Each record gets its best `candidates` people at or above the threshold (best first); a record with
    none is not written. A data wash that returns more lines than people sent is mostly false matches
    (Police Scotland 2023: 23,473 sent, 25,505 back), so one candidate per record is the default.
    """
    started = time.monotonic()
    out = Path(out)
    _out_check(out)
    engines.engine_check(engine)
    if candidates < 1:
        raise ValidationFailed("candidates: at least 1.", field="candidates", code="linkage.candidates_invalid")
    stages: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="forewarn-link-") as tmp:
        work = Path(tmp)
        frames = []
        for name, spec in (("workforce", workforce), ("records", records)):
            reading = time.monotonic()
            frames.append(inputs.input_normalise(spec=spec, frame_path=work / f"{name}.csv", source_dataset=name,
                                                 progress=_stage(progress, f"reading {spec.path.name}")))
            stages.append((f"reading {spec.path.name}", time.monotonic() - reading))
        shared = frames[0].fields & frames[1].fields
        if not shared:
            raise ValidationFailed(
                f"map: no field has values in both {workforce.path.name} and {records.path.name} "
                f"({', '.join(sorted(frames[0].fields))} / {', '.join(sorted(frames[1].fields))}).",
                field="map", code="linkage.no_shared_field")
        probability, model = _threshold(threshold), _model()
        result = LinkResult(out=out, engine=engine, threshold=probability, fields=[], inputs=frames, stages=stages)
        settings, fields = _load_settings(model_path, fields=shared, link_type="link_only", engine=engine,
                                          result=result)
        result.fields = sorted(fields)
        with result.timed("starting the engine"):
            db = engines.engine_open(engine, workdir=work)
        try:
            with result.timed("loading"):
                tables = [db.load(frame.frame_path, table=name, with_source=True)
                          for name, frame in zip(("workforce", "records"), frames, strict=True)]
            if result.model_trained:
                with result.timed("training"):
                    settings = _train_on_sample(db, tables=tables, names=("workforce", "records"),
                                                rows=[f.rows for f in frames], settings=settings, fields=fields,
                                                progress=progress)
            linker = _linker(tables, settings)
            with result.timed("blocking and scoring"), _step(progress, "scoring pairs"):
                predictions = linker.inference.predict(threshold_match_probability=probability)
            labels = model.level_labels(linker.misc.save_model_to_json())
            if save_model:
                model.model_save(linker, save_model, fields=sorted(fields))
            with result.timed("choosing and writing"), _step(progress, "writing"):
                result.rows_written, result.records_matched = _wash_write(
                    db, predictions.physical_name, out=out, candidates=candidates, labels=labels)
        finally:
            db.close()
    result.seconds = time.monotonic() - started
    return result


def _wash_write(db, predictions: str, *, out: Path, candidates: int, labels) -> tuple[int, int]:
    """Write the best `candidates` people per record with their evidence; (lines written, records matched).

    Everything per row happens in the engine's SQL: no Python loop over a national run's matches. The
    evidence words still come from `model.evidence`, called once per distinct level of each field (a field's
    words depend only on its own gamma and weight columns) and joined back as a small table per field.
    """
    model = _model()
    columns = db.columns(predictions)
    parts, joins = [], []
    for number, gamma in enumerate(c for c in columns if c.startswith("gamma_")):
        name = gamma[len("gamma_"):]
        keys = [c for c in (gamma, f"mw_{name}", f"bf_{name}", f"mw_tf_adj_{name}") if c in columns]
        table = f"forewarn_evidence_{number}"
        words = []
        for values in db.rows(f"select distinct {', '.join(keys)} from {predictions}"):
            text = model.evidence(values, labels=labels)
            words.append([values[k] for k in keys] + [text or None])
        db.create_table(table, [(k, "BIGINT" if k == gamma else "DOUBLE") for k in keys] + [("words", "VARCHAR")],
                        words)
        joins.append(f"left join {table} on " + " and ".join(
            f"best.{k} is not distinct from {table}.{k}" for k in keys))
        parts.append(f"{table}.words")
    evidence = f"concat_ws('; ', {', '.join(parts)})" if parts else "''"
    sql = f"""
        with {_candidates_sql(predictions, candidates)}
        select best.record_id, best.person_id,
               {db.probability_text('best.match_probability')} as match_probability,
               nullif({evidence}, '') as evidence
        from best {' '.join(joins)}
        order by best.record_id, best.candidate_rank
    """
    with _atomic_path(out) as part:
        return db.write_csv(sql, part, header=WASH_COLUMNS)


def _candidates_sql(predictions: str, candidates: int) -> str:
    """CTEs ending in `best`: the best `candidates` people per record; ties broken by person id (repeatable)."""
    return f"""
        oriented as (
            select *,
                case when source_dataset_l = 'records' then unique_id_l else unique_id_r end as record_id,
                case when source_dataset_l = 'records' then unique_id_r else unique_id_l end as person_id
            from {predictions}
        ), ranked as (
            select *, row_number() over (partition by record_id
                                         order by match_probability desc, person_id) as candidate_rank
            from oriented
        ), best as (
            select * from ranked where candidate_rank <= {int(candidates)}
        )
    """
