"""Linkage accuracy (issue #5 §3): Forewarn's model beside a plain Splink baseline, on three labelled sets.

    python benchmarks/linkage_accuracy.py [--only chicago,febrl,historical] [--no-write]

1. Chicago police (`shared/data/chicago-linkage`, 12 real sources, 208k records, `gold_uid`): dedupe.
   Ids are `source:source_record_id`, with `#2`, `#3`... added when a source repeats a record id for
   variants of one profile. Records without a gold label take part in the clustering (as they would in
   a real run, where they can still chain people together) but are left out of the scores.
2. FEBRL4 (`shared/data/febrl/dataset4a.csv` + `dataset4b.csv`): link; truth is the `rec-N` part of rec_id.
3. Splink's synthetic historical figures (`historical_figures_with_errors_50k.parquet`): dedupe; truth
   `cluster`. Mapped: first name, surname, date of birth, postcode, sex and place of birth (not occupation,
   which has no canonical field).

Each input goes through the same path as `forewarn link dedupe/wash`: columns mapped onto canonical
fields, `linkage.inputs.input_normalise`, then `linkage.model` (settings, training, prediction,
clustering with the contradiction safeguard) at `model.DEFAULT_THRESHOLD`.

Beside each, a plain Splink baseline on the same normalised data: NameComparison on the given and
family names, exact birth year, default prior, u by random sampling, EM blocked on names and on birth
year with the family name's initial, clustered by connected components at p >= 0.5 (and, for reference, at its best threshold).

Scores, over labelled records only: pairwise precision/recall/F1 (record pairs put in one cluster) and
B-cubed precision/recall/F1 (per record, averaged). Appends a dated section to docs/benchmarks.md.
Nothing is downloaded: the data are local files and Splink's DuckDB backend runs in process.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from national_scale import _machine  # noqa: E402 - after the path set-up

DATA = ROOT.parent / "shared" / "data"
CHICAGO = DATA / "chicago-linkage" / "linkage_records.csv.gz"
FEBRL = (DATA / "febrl" / "dataset4a.csv", DATA / "febrl" / "dataset4b.csv")
HISTORICAL = DATA / "splink-synthetic" / "historical_figures_with_errors_50k.parquet"
TARGETS = {"chicago": 0.99, "febrl": 0.995, "historical": 0.95}
BASELINE_THRESHOLD = 0.5
SCAN = (0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999)
# The Forewarn model's threshold scan starts here (the pairs are fetched down to model.GROUP_EVIDENCE_FLOOR,
# which the clustering uses as evidence between groups).
FOREWARN_SCAN_FLOOR = 0.9

# Column types of a normalised frame (linkage/normalise.py): every field text except the birth year.
FRAME_TYPES = {"birth_year": "INTEGER"}


@dataclass
class Scores:
    pairwise: tuple[float, float, float]
    bcubed: tuple[float, float, float]


@dataclass
class Result:
    name: str
    system: str
    threshold: float
    scores: Scores
    seconds: float
    best: tuple[float, float] | None = None  # (threshold, pairwise F1) of the scan
    notes: list[str] = field(default_factory=list)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score(predicted: dict[str, object], gold: dict[str, str]) -> Scores:
    """Pairwise and B-cubed precision/recall/F1 of `predicted` (id -> cluster) over the ids in `gold`."""
    together: Counter = Counter()
    pred_sizes: Counter = Counter()
    gold_sizes: Counter = Counter()
    for record_id, label in gold.items():
        cluster = predicted.get(record_id, ("singleton", record_id))
        together[(cluster, label)] += 1
        pred_sizes[cluster] += 1
        gold_sizes[label] += 1

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    true_pairs = sum(pairs(n) for n in together.values())
    predicted_pairs = sum(pairs(n) for n in pred_sizes.values())
    gold_pairs = sum(pairs(n) for n in gold_sizes.values())
    precision = true_pairs / predicted_pairs if predicted_pairs else 1.0
    recall = true_pairs / gold_pairs if gold_pairs else 1.0
    total = len(gold)
    b3_precision = sum(n * n / pred_sizes[c] for (c, _), n in together.items()) / total
    b3_recall = sum(n * n / gold_sizes[g] for (_, g), n in together.items()) / total
    return Scores((precision, recall, _f1(precision, recall)),
                  (b3_precision, b3_recall, _f1(b3_precision, b3_recall)))


# --- inputs: each data set written as a CSV with an id column, then normalised like the CLI does ---

def _write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def chicago_input(workdir: Path) -> tuple[Path, dict[str, str], dict[str, str], str]:
    """(csv, mapping, gold, id column): unique ids, gold labels where present."""
    gold: dict[str, str] = {}
    seen: Counter = Counter()
    path = workdir / "chicago.csv"
    with gzip.open(CHICAGO, "rt", newline="") as handle, path.open("w", newline="") as out:
        reader = csv.DictReader(handle)
        writer = csv.writer(out)
        columns = reader.fieldnames or []
        writer.writerow(["record_id", *columns])
        for row in reader:
            key = f"{row['source']}:{row['source_record_id']}"
            seen[key] += 1
            record_id = key if seen[key] == 1 else f"{key}#{seen[key]}"
            if row["gold_uid"]:
                gold[record_id] = row["gold_uid"]
            writer.writerow([record_id, *(row[c] for c in columns)])
    mapping = {"given_name": "first_name", "middle_name": "middle_initial", "family_name": "last_name",
               "suffix": "suffix_name", "birth_year": "birth_year", "sex": "gender",
               "start_date": "appointed_date", "end_date": "resignation_date", "badge_number": "star",
               "rank": "current_rank"}
    return path, mapping, gold, "record_id"


def _febrl_date(raw: str) -> str:
    """FEBRL dates are YYYYMMDD with deliberate corruptions; an impossible one becomes missing (as the CLI's
    --date-format would reject it, which is right for a user's file but not for a benchmark's)."""
    try:
        return dt.datetime.strptime(raw, "%Y%m%d").date().isoformat()
    except ValueError:
        return ""


def febrl_inputs(workdir: Path) -> tuple[list[Path], dict[str, str], dict[str, str], str]:
    gold: dict[str, str] = {}
    paths = []
    header = ["rec_id", "given_name", "surname", "date_of_birth", "postcode", "street_number", "address_1",
              "suburb", "state", "soc_sec_id"]
    for source in FEBRL:
        with source.open(newline="") as handle:
            rows = []
            for row in csv.DictReader(handle, skipinitialspace=True):
                record_id = row["rec_id"].strip()
                gold[record_id] = "-".join(record_id.split("-")[:2])
                rows.append([record_id, row["given_name"], row["surname"], _febrl_date(row["date_of_birth"]),
                             row["postcode"], row["street_number"], row["address_1"], row["suburb"],
                             row["state"], row["soc_sec_id"]])
        path = workdir / source.name
        _write_csv(path, header, rows)
        paths.append(path)
    # The canonical fields have no street address or national insurance number: FEBRL's social security id
    # stands in as an identifying number (badge_number: exact agreement weighs for a match).
    mapping = {"given_name": "given_name", "family_name": "surname", "birth_date": "date_of_birth",
               "postcode": "postcode", "badge_number": "soc_sec_id"}
    return paths, mapping, gold, "rec_id"


def historical_input(workdir: Path) -> tuple[Path, dict[str, str], dict[str, str], set[str]]:
    """The historical figures, normalised here rather than by `input_normalise`: they were born from the
    1600s on, and the CLI's plausibility rule for a police workforce (birth years 1900 to now) would blank
    every date. Corrupted dates ('1856-86-18') keep their year, as birth_year, and lose the date."""
    import duckdb

    from forewarn.linkage import normalise

    rows = duckdb.sql(f"select unique_id, cluster, first_name, surname, dob, postcode_fake, gender, birth_place "
                      f"from read_parquet('{HISTORICAL}')").fetchall()
    gold = {str(r[0]): str(r[1]) for r in rows}
    frame = workdir / "historical.frame.csv"
    out = []
    for unique_id, _cluster, first, surname, dob, postcode, gender, birth_place in rows:
        record = dict.fromkeys(normalise.FRAME_COLUMNS)
        record["unique_id"] = str(unique_id)
        record["given_name"] = normalise.name(first or "")
        record["family_name"] = normalise.name(surname or "")
        dob = dob or ""
        try:
            record["birth_date"] = dt.date.fromisoformat(dob).isoformat()
        except ValueError:
            record["birth_date"] = None
        record["birth_year"] = int(dob[:4]) if dob[:4].isdigit() else None
        record["postcode"] = normalise.postcode(postcode or "")
        record["sex"] = normalise.sex(gender or "")[0]
        record["birth_place"] = normalise.place(birth_place or "")
        out.append([record[c] for c in normalise.FRAME_COLUMNS])
    _write_csv(frame, list(normalise.FRAME_COLUMNS), out)
    fields = {column for i, column in enumerate(normalise.FRAME_COLUMNS)
              if i > 0 and any(row[i] is not None for row in out)}
    return frame, {}, gold, fields


# --- running a model ---

def _normalised(path: Path, mapping: dict[str, str], id_column: str, workdir: Path,
                source_dataset: str | None = None):
    from forewarn.linkage.inputs import InputSpec, input_normalise

    spec = InputSpec(path=path, id_column=id_column, mapping=mapping)
    return input_normalise(spec=spec, frame_path=workdir / f"{path.stem}.frame.csv",
                           source_dataset=source_dataset)


def _register(db_api, frame_path: Path):
    columns = {}
    with frame_path.open(newline="") as handle:
        for name in next(csv.reader(handle)):
            columns[name] = FRAME_TYPES.get(name, "VARCHAR")
    relation = db_api.duckdb_con.read_csv(str(frame_path), header=True, columns=columns)
    return db_api.register(relation)


def _attributes(frames: list[Path]) -> dict[str, tuple[int | None, str | None]]:
    attributes = {}
    for frame in frames:
        with frame.open(newline="") as handle:
            for row in csv.DictReader(handle):
                year = int(row["birth_year"]) if row.get("birth_year") else None
                attributes[row["unique_id"]] = (year, row.get("sex") or None)
    return attributes


def _pairs(predictions) -> list[tuple[str, str, float]]:
    return predictions.as_duckdbpyrelation().select("unique_id_l, unique_id_r, match_probability").fetchall()


def run_forewarn(name: str, frames: list[Path], fields: set[str], gold: dict[str, str],
                 link_type: str) -> Result:
    from splink import DuckDBAPI, Linker

    from forewarn.linkage import model

    started = time.perf_counter()
    db_api = DuckDBAPI()
    tables = [_register(db_api, frame) for frame in frames]
    linker = Linker(tables if len(tables) > 1 else tables[0], model.settings_for(fields=fields, link_type=link_type))
    model.train(linker, fields=fields)
    pairs = _pairs(linker.inference.predict(threshold_match_probability=model.GROUP_EVIDENCE_FLOOR))
    attributes = _attributes(frames)
    clusters = model.cluster_pairs(pairs, threshold=model.DEFAULT_THRESHOLD, attributes=attributes,
                                   ids=attributes)
    seconds = time.perf_counter() - started
    scan = [(t, score(model.cluster_pairs(pairs, threshold=t, attributes=attributes), gold).pairwise[2])
            for t in SCAN if t >= FOREWARN_SCAN_FLOOR]
    return Result(name, "Forewarn model", model.DEFAULT_THRESHOLD, score(clusters, gold), seconds,
                  best=max(scan, key=lambda item: item[1]))


def run_baseline(name: str, frames: list[Path], gold: dict[str, str], link_type: str) -> Result:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from forewarn.linkage import model

    started = time.perf_counter()
    db_api = DuckDBAPI()
    tables = [_register(db_api, frame) for frame in frames]
    settings = SettingsCreator(
        link_type=link_type,
        comparisons=[cl.NameComparison("given_name"), cl.NameComparison("family_name"),
                     cl.ExactMatch("birth_year")],
        blocking_rules_to_generate_predictions=[block_on("given_name", "family_name"),
                                                block_on("family_name", "birth_year")],
    )
    linker = Linker(tables if len(tables) > 1 else tables[0], settings)
    linker.training.estimate_u_using_random_sampling(max_pairs=model.U_SAMPLE_PAIRS, seed=model.SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "family_name"))
    # Blocked on birth year and the family name's initial: the birth year alone gives 10^8 pairs in Chicago.
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_year", "substr(family_name, 1, 1)"))
    pairs = _pairs(linker.inference.predict(threshold_match_probability=min(SCAN)))
    clusters = model.cluster_pairs(pairs, threshold=BASELINE_THRESHOLD)
    seconds = time.perf_counter() - started
    scan = [(t, score(model.cluster_pairs(pairs, threshold=t), gold).pairwise[2]) for t in SCAN]
    return Result(name, "plain Splink baseline", BASELINE_THRESHOLD, score(clusters, gold), seconds,
                  best=max(scan, key=lambda item: item[1]))


def run_dataset(name: str, workdir: Path) -> list[Result]:
    if name == "febrl":
        paths, mapping, gold, id_column = febrl_inputs(workdir)
        inputs = [_normalised(p, mapping, id_column, workdir, source_dataset=p.stem) for p in paths]
        link_type = "link_only"
    elif name == "chicago":
        path, mapping, gold, id_column = chicago_input(workdir)
        inputs = [_normalised(path, mapping, id_column, workdir)]
        link_type = "dedupe_only"
    else:
        frame, _, gold, fields = historical_input(workdir)
        return _run_both(name, [frame], fields, gold, "dedupe_only", [])
    fields = set().union(*(i.fields for i in inputs))
    frames = [i.frame_path for i in inputs]
    notes = [line for i in inputs for line in i.warning_lines()]
    return _run_both(name, frames, fields, gold, link_type, notes)


def _run_both(name: str, frames: list[Path], fields: set[str], gold: dict[str, str], link_type: str,
              notes: list[str]) -> list[Result]:
    results = [run_forewarn(name, frames, fields, gold, link_type), run_baseline(name, frames, gold, link_type)]
    results[0].notes = notes
    return results


# --- report ---

def _row(result: Result) -> str:
    p, b = result.scores.pairwise, result.scores.bcubed
    best = f"{result.best[1]:.4f} at {result.best[0]}" if result.best else "-"
    return (f"| {result.name} | {result.system} | {result.threshold} | {p[0]:.4f} | {p[1]:.4f} | **{p[2]:.4f}** "
            f"| {b[0]:.4f} | {b[1]:.4f} | {b[2]:.4f} | {best} | {result.seconds:.1f} |")


def report(results: list[Result]) -> str:
    import splink

    lines = [f"## Linkage accuracy, run of {dt.date.today().isoformat()}", "",
             f"- Machine: {_machine()}; Splink {splink.__version__} on DuckDB.",
             "- Command: `python benchmarks/linkage_accuracy.py`",
             "- Scores over labelled records only; Chicago records without a gold label were clustered too.",
             "- Seconds: load into DuckDB, train, predict, cluster (normalising the CSV not included).", "",
             "| data | system | threshold | pairwise P | pairwise R | pairwise F1 | B³ P | B³ R | B³ F1 "
             "| best pairwise F1 (threshold) | seconds |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    lines += [_row(r) for r in results]
    lines.append("")
    for result in results:
        if result.system != "Forewarn model":
            continue
        target = TARGETS[result.name]
        met = "met" if result.scores.pairwise[2] >= target else "**not met**"
        lines.append(f"- {result.name}: target pairwise F1 >= {target}: {met} "
                     f"({result.scores.pairwise[2]:.4f} at p >= {result.threshold}).")
        lines += [f"  - input warning: {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="chicago,febrl,historical",
                        help="comma-separated data sets (chicago, febrl, historical)")
    parser.add_argument("--no-write", action="store_true", help="print the section, do not append it")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(names) - set(TARGETS)
    if unknown:
        parser.error(f"--only: unknown data set(s) {', '.join(sorted(unknown))}")
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="linkage-accuracy-") as tmp:
        for name in names:
            print(f"{name}...", flush=True)
            for result in run_dataset(name, Path(tmp)):
                print(_row(result), flush=True)
                results.append(result)
    section = report(results)
    print(section)
    if not args.no_write:
        with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
