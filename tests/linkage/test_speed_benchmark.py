"""The national-wash benchmark (benchmarks/linkage_speed.py): its generator's truth and a small run end to end.

The full run (300,000 against 1,000,000) is a benchmark, not a test: figures in docs/benchmarks.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import linkage_speed  # noqa: E402 - after the path set-up

TODAY = dt.date(2026, 11, 21)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speed")
    return linkage_speed.generate(folder, scale=0.003, today=TODAY)


def test_generator_truth_is_consistent(generated):
    people = {row["PersonRef"]: row for row in _read(generated.workforce)}
    records = {row["RecordRef"]: row for row in _read(generated.records)}
    assert len(people) == generated.people == 900 and len(records) == generated.records_written == 3000
    assert set(generated.truth) <= set(records) and set(generated.truth.values()) <= set(people)
    assert len(generated.truth) == int(3000 * linkage_speed.SHARE_MATCHED)
    # Every record is a workforce person's record, a namesake or another person, and counted as one kind.
    assert generated.kinds["namesake (not a match)"] + generated.kinds["another person (not a match)"] == \
        3000 - len(generated.truth)
    for kind in ("given name: nickname", "given name: typo", "family name: typo", "moved to another force",
                 "birth date: year one out", "birth date: day and month swapped"):
        assert generated.kinds[kind] > 0, kind
    # Matched records mostly keep the person's family name (7% carry a typo) and birth date.
    same_family = sum(records[r]["FamilyName"].strip().lower() == people[p]["Surname"].lower()
                      for r, p in generated.truth.items())
    assert 0.85 < same_family / len(generated.truth) < 0.99
    # Namesakes share a workforce person's full name but are not in the truth.
    names = {(p["Forename"].lower(), p["Surname"].lower()): p for p in people.values()}
    namesakes = [r for ref, r in records.items() if ref not in generated.truth
                 and (r["GivenName"].strip().lower(), r["FamilyName"].strip().lower()) in names]
    assert len(namesakes) >= generated.kinds["namesake (not a match)"]
    # Every date is valid in its file's format.
    for record in records.values():
        for column in ("DOB", "StartDate"):
            if record[column]:
                dt.datetime.strptime(record[column], linkage_speed.DATE_FORMAT)


def test_generator_is_repeatable(generated, tmp_path):
    again = linkage_speed.generate(tmp_path, scale=0.003, today=TODAY)
    assert again.truth == generated.truth
    assert again.records.read_bytes() == generated.records.read_bytes()
    assert again.workforce.read_bytes() == generated.workforce.read_bytes()


def test_scores_count_links_against_the_truth(tmp_path):
    matches = tmp_path / "matches.csv"
    matches.write_text("record_id,person_id,match_probability,evidence\nr1,p1,1,\nr2,p9,1,\nr4,p4,1,\n")
    scores = linkage_speed.score(matches, {"r1": "p1", "r2": "p2", "r3": "p3"})
    assert (scores.links, scores.correct, scores.true_links) == (3, 1, 3)
    assert scores.precision == pytest.approx(1 / 3) and scores.recall == pytest.approx(1 / 3)


def test_section_replaced_for_the_same_engine_and_size(tmp_path):
    output = tmp_path / "benchmarks.md"
    output.write_text("# Benchmarks\n\n## Someone else's run\n\nfigures\n")
    title = f"{linkage_speed.SECTION_TITLE} — duckdb, 900 workforce records against 3,000 records (x)\n"
    linkage_speed.write_section(output, title + "\nfirst\n", engine="duckdb", people=900)
    output.write_text(output.read_text() + "\n## A later section\n\nkept\n")
    linkage_speed.write_section(output, title + "\nsecond\n", engine="duckdb", people=900)
    text = output.read_text()
    assert text.count(linkage_speed.SECTION_TITLE) == 1 and "second" in text and "first" not in text
    assert "## Someone else's run\n\nfigures" in text and text.rstrip().endswith("kept")
    linkage_speed.write_section(output, title.replace("duckdb", "spark") + "\nspark\n", engine="spark", people=900)
    assert output.read_text().count(linkage_speed.SECTION_TITLE) == 2


def test_small_run_end_to_end(tmp_path, capsys):
    output = tmp_path / "benchmarks.md"
    assert linkage_speed.main(["--scale", "0.003", "--output", str(output), "--workdir", str(tmp_path)]) == 0
    text = output.read_text()
    assert "## National data wash — duckdb, 900 workforce records against 3,000 records" in text
    f1 = float(text.split("| pairwise F1 | **")[1].split("**")[0])
    assert 0.8 < f1 <= 1.0  # the small run trains on 3,000 records; the national figures are in the docs
    assert "wall time, end to end" in text and "peak memory" in text and "reading records.csv" in text
    assert [p.name for p in tmp_path.iterdir()] == ["benchmarks.md"]  # generated files deleted
