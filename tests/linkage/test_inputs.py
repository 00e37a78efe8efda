"""Reading linkage inputs (linkage/inputs.py) and the CLI's refusals of bad input.

Every refusal names file:row:column, exits 2 and leaves nothing at --out. Implausible values are
warnings and become missing. The records are fictional.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from pathlib import Path

import pytest
from click.testing import CliRunner

from forewarn import cli
from forewarn.linkage import inputs
from forewarn.linkage.inputs import InputInvalid, InputSpec, input_normalise

HEADER = "Ref,Forename,Surname,DOB,Joined,Gender,YOB\n"
MAP = "given_name=Forename,family_name=Surname,birth_date=DOB,start_date=Joined,sex=Gender,birth_year=YOB"
TODAY = dt.date(2026, 6, 1)


def _file(tmp_path: Path, body: str, name: str = "people.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_bytes((header + body).encode("utf-8") if isinstance(body, str) else header.encode() + body)
    return path


def _spec(path: Path, mapping: str = MAP, date_format: str | None = None, id_column: str = "Ref") -> InputSpec:
    fields = dict(part.split("=") for part in mapping.split(","))
    return InputSpec(path=path, id_column=id_column, mapping=fields, date_format=date_format)


def _read(tmp_path: Path, spec: InputSpec):
    frame = input_normalise(spec=spec, frame_path=tmp_path / "frame.csv", today=TODAY)
    with frame.frame_path.open(newline="") as handle:
        return frame, list(csv.DictReader(handle))


def _dedupe(*args):
    return CliRunner().invoke(cli.main, ["link", "dedupe", *[str(a) for a in args]])


GOOD = "A1,Morwenna,Tresize,1984-03-02,2006-09-04,F,1984\n"


@pytest.mark.parametrize(("body", "options", "expected"), [
    # A mapped column that does not exist.
    (GOOD, ["--map", MAP.replace("Surname", "Lastname")], "people.csv:1:Lastname: column not in the header"),
    (GOOD, ["--id", "Reference"], "people.csv:1:Reference: column not in the header"),
    # An unknown canonical field.
    (GOOD, ["--map", MAP + ",shoe_size=YOB"], "people.csv:1:YOB: 'shoe_size' is not a canonical field"),
    # A date that is not in the given format (nor ISO).
    (GOOD + "A2,Gethin,Penhal,31/02/1990,,M,\n", ["--date-format", "%d/%m/%Y"],
     "people.csv:3:DOB: '31/02/1990' is not a date in the format %d/%m/%Y or ISO"),
    (GOOD + "A2,Gethin,Penhal,02/03/1990,,M,\n", [],
     "people.csv:3:DOB: '02/03/1990' is not a date in an ISO date (YYYY-MM-DD); give --date-format"),
    (GOOD + "A2,Gethin,Penhal,,,M,nineteen\n", [], "people.csv:3:YOB: 'nineteen' is not a year"),
    # Duplicate ids, also when a spreadsheet wrote one as 7.0.
    ("7,Morwenna,Tresize,,,F,\nA2,Gethin,Penhal,,,M,\n7.0,Aled,Morcas,,,M,\n", [],
     "people.csv:4:Ref: id '7' is already on row 2"),
    ("A1,Morwenna,Tresize,,,F,\n ,Gethin,Penhal,,,M,\n", [], "people.csv:3:Ref: empty id"),
    # A row with fewer cells than the header.
    (GOOD + "A2,Gethin\n", [], "people.csv:3:Surname: the row has 2 cell(s), the header 7"),
])
def test_refusals(tmp_path, body, options, expected):
    path = _file(tmp_path, body)
    out = tmp_path / "clusters.csv"
    args = {"--id": "Ref", "--map": MAP, "--out": out}
    for name, value in zip(options[::2], options[1::2], strict=True):
        args[name] = value
    result = _dedupe(path, *[item for pair in args.items() for item in pair])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]  # no partial output either


def test_undecodable_file_names_row_and_column(tmp_path):
    body = GOOD.encode() + b"A2,Gethin,Pen\xe9hal,,,M,\n"  # Latin-1 e-acute: not UTF-8
    path = _file(tmp_path, body, name="latin1.csv")
    out = tmp_path / "clusters.csv"
    result = _dedupe(path, "--id", "Ref", "--map", MAP, "--out", out)
    assert result.exit_code == 2
    assert "latin1.csv:3:Surname: not UTF-8 (byte 0xe9)" in result.stderr
    assert not out.exists()


def test_errors_are_listed_with_a_count(tmp_path):
    body = "".join(f"A{i},Gethin,Penhal,bad{i},,M,\n" for i in range(15))
    with pytest.raises(InputInvalid) as caught:
        _read(tmp_path, _spec(_file(tmp_path, body)))
    lines = caught.value.message.splitlines()
    assert lines[0].startswith("people.csv:2:DOB: 'bad0'") and lines[9].startswith("people.csv:11:DOB")
    assert lines[-1].endswith("(and 5 more)")


def test_rows_are_physical_lines_after_a_multiline_cell(tmp_path):
    body = 'A1,"Morwenna\nJane",Tresize,,,F,\nA2,Gethin,Penhal,1990-13-01,,M,\n'
    with pytest.raises(InputInvalid, match=r"people\.csv:4:DOB"):
        _read(tmp_path, _spec(_file(tmp_path, body)))


def test_empty_files_are_refused(tmp_path):
    with pytest.raises(InputInvalid, match=r"empty\.csv:1:-: the file is empty"):
        _read(tmp_path, _spec(_file(tmp_path, "", name="empty.csv", header="")))
    with pytest.raises(InputInvalid, match=r"header\.csv:2:-: the file has a header but no records"):
        _read(tmp_path, _spec(_file(tmp_path, "", name="header.csv")))


def test_implausible_values_are_warnings_and_missing(tmp_path):
    body = ("A1,Morwenna,Tresize,1984-03-02,2030-01-01,F,1984\n"  # start date in the future
            "A2,Gethin,Penhal,1850-01-01,2001-05-01,Q,1850\n"  # born before 1900; sex code unknown
            "A3,Aled,Morcas,,,M,2099.0\n")  # born in the future
    frame, rows = _read(tmp_path, _spec(_file(tmp_path, body)))
    by_id = {row["unique_id"]: row for row in rows}
    assert by_id["A1"]["start_date"] == "" and by_id["A1"]["birth_date"] == "1984-03-02"
    assert by_id["A2"]["birth_date"] == by_id["A2"]["birth_year"] == by_id["A2"]["sex"] == ""
    assert by_id["A2"]["start_date"] == "2001-05-01"
    assert by_id["A3"]["birth_year"] == ""
    # In the order first met, each with its count and first row.
    assert frame.warning_lines() == [
        "people.csv: 1 value(s) in column Joined treated as missing: date in the future (first at row 2)",
        "people.csv: 1 value(s) in column Gender treated as missing: not a recognised sex (M, F, male, female, "
        "U, unknown) (first at row 3)",
        "people.csv: 2 value(s) in column YOB treated as missing: birth year outside 1900..2026 (first at row 3)",
        "people.csv: 1 value(s) in column DOB treated as missing: date before 1900 (first at row 3)",
    ]


def test_normalised_frame(tmp_path):
    body = ("\ufeffRef,Name,Collar,Force,DOB,Postcode\n"
            "21565.0,\"  TRESIZE,  Morwenna Jane \",00417.0,KENT  police,07/04/1984,sw1a1aa\n"
            "B2,POLICE OFFICER,,,,\n")
    path = tmp_path / "people.csv"
    path.write_text(body, encoding="utf-8")
    spec = _spec(path, "full_name=Name,badge_number=Collar,organisation=Force,birth_date=DOB,postcode=Postcode",
                 date_format="%m/%d/%Y")
    frame, rows = _read(tmp_path, spec)
    assert rows[0] == {
        "unique_id": "21565", "given_name": "morwenna", "middle_name": "jane", "family_name": "tresize",
        "suffix": "", "full_name": "morwenna jane tresize", "birth_date": "1984-07-04", "birth_year": "1984",
        "sex": "", "postcode": "SW1A 1AA", "birth_place": "", "organisation": "kent police", "badge_number": "417", "rank": "",
        "start_date": "", "end_date": "",
    }
    assert rows[1]["given_name"] == rows[1]["family_name"] == rows[1]["full_name"] == ""
    assert frame.rows == 2
    # Fields with at least one value: the model compares only these.
    assert frame.fields == {"given_name", "middle_name", "family_name", "full_name", "birth_date", "birth_year",
                            "postcode", "organisation", "badge_number"}


def test_gzip_input(tmp_path):
    path = tmp_path / "people.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(HEADER + GOOD + "A2,Gethin,Penhal,1990-01-02,,M,\n")
    frame, rows = _read(tmp_path, _spec(path))
    assert [row["family_name"] for row in rows] == ["tresize", "penhal"] and frame.rows == 2


@pytest.mark.parametrize("by_lines", [False, True])
def test_progress_reaches_the_file_size(tmp_path, monkeypatch, by_lines):
    monkeypatch.setattr(inputs, "BULK_BLOCK_BYTES", 64 << 10)  # several blocks in bulk
    first = "A,Gethin,Penhal,,,M,,extra\n" if by_lines else ""  # a cell beyond the header: the line reader
    path = _file(tmp_path, first + "".join(f"A{i},Gethin,Penhal,,,M,\n" for i in range(25_000)))
    seen = []
    frame = input_normalise(spec=_spec(path), frame_path=tmp_path / "frame.csv", today=TODAY,
                            progress=lambda done, total: seen.append((done, total)))
    size = path.stat().st_size
    assert frame.reader == ("lines" if by_lines else "bulk")
    assert len(seen) >= 3 and seen[-1] == (size, size) and 0 < seen[0][0] < size
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


@pytest.mark.parametrize(("mapping", "message"), [
    ("given_name", "'given_name' is not FIELD=COLUMN"),
    ("given_name=Forename,given_name=Surname", "'given_name' is mapped twice"),
])
def test_map_syntax(tmp_path, mapping, message):
    result = _dedupe(_file(tmp_path, GOOD), "--id", "Ref", "--map", mapping, "--out", tmp_path / "out.csv")
    assert result.exit_code == 2 and message in result.stderr


# The bulk reader (Arrow, column by column) and the line reader must write the same frame and warnings.
TRICKY = {
    "Ref": ["{n}", " {n} ", "{n}.0", "x{n}"],
    "Name": ["Tresize, Morwenna Jane", "PC Gethin ap Rhys Jr.", "POLICE OFFICER", "", "Zoë Ørsted", "Aled",
             "Morcas, Aled", "UNKNOWN", "O'Brien-Smith, Seren", 'The "Rock" Penhal'],
    "Forename": ["Morwenna", " GETHIN ", "", "police", "N/A", "Zoë", "o'neil", "Jr"],
    "Surname": ["Tresize", "officer", "", "Penhal.", "MC GUIRE", "unknown", "Ap, Rhys"],
    "Suffix": ["", "Junior", "snr", "III"],
    "DOB": ["07/04/1984", "", "1984-07-04", "01/01/1850", "01/01/2999", " 12/12/1990 ", "1990-01-02 00:00:00"],
    "YOB": ["", "1984", "1984.0", "1850", "2999", " 1990 "],
    "Gender": ["M", "female", "", "U", "Q", "w", "Unknown", "x"],
    "Force": ["Kent Police", "", "KENT  police", "Dyfed-Powys"],
    "Collar": ["00417", "417.0", "", "ka-12"],
    "Rank": ["PC", "Sergeant", ""],
    "Postcode": ["sw1a1aa", "", "pl1 2ab", "90210"],
    "Joined": ["", "04/09/2006", "2030-01-01", "01/01/1899"],
    "Left": ["", "2030-01-01", "01/02/2020"],
    "Born": ["", "Bristol, City of", "West Devon", "unknown", "Stoke-on-Trent"],
}
TRICKY_MAP = ("full_name=Name,given_name=Forename,family_name=Surname,suffix=Suffix,birth_date=DOB,"
              "birth_year=YOB,sex=Gender,organisation=Force,badge_number=Collar,rank=Rank,postcode=Postcode,"
              "start_date=Joined,end_date=Left,birth_place=Born")


def _tricky_file(path: Path, rows: int, seed: int, bom: bool = False) -> Path:
    import random

    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n" if seed % 2 else "\r\n")
        writer.writerow(TRICKY)
        for n in range(rows):
            writer.writerow([rng.choice(values).format(n=n) for values in TRICKY.values()])
    return path


@pytest.mark.parametrize(("seed", "bom", "gz"), [(1, False, False), (2, True, False), (3, False, True)])
def test_bulk_and_line_readers_agree(tmp_path, monkeypatch, seed, bom, gz):
    monkeypatch.setattr(inputs, "BULK_BLOCK_BYTES", 4 << 10)  # many blocks: warnings' first rows cross blocks
    path = _tricky_file(tmp_path / "tricky.csv", 600, seed, bom=bom)
    if gz:
        packed = tmp_path / "tricky.csv.gz"
        packed.write_bytes(gzip.compress(path.read_bytes()))
        path = packed
    spec = _spec(path, TRICKY_MAP, date_format="%d/%m/%Y")
    bulk = input_normalise(spec=spec, frame_path=tmp_path / "bulk.csv", today=TODAY, source_dataset="records")
    lines = inputs._stream_normalise(spec=spec, frame_path=tmp_path / "lines.csv", source_dataset="records",
                                     today=TODAY, progress=None)
    assert bulk.reader == "bulk"
    with bulk.frame_path.open(newline="") as a, lines.frame_path.open(newline="") as b:
        assert list(csv.DictReader(a)) == list(csv.DictReader(b))
    assert (bulk.rows, bulk.fields) == (lines.rows, lines.fields)
    assert bulk.warning_lines() == lines.warning_lines() and bulk.warning_lines()


@pytest.mark.parametrize("body", [
    GOOD + "A2,Gethin,Penhal,1990-13-01,,M,\n",  # a bad date
    GOOD + "A1,Gethin,Penhal,,,M,\n",  # a duplicate id
    GOOD + " ,Gethin,Penhal,,,M,\n",  # an empty id
    GOOD + "A2,Gethin\n",  # a short row
    GOOD + "\n" + "A2,Gethin,Penhal,2030-01-01,,M,\n",  # a warning after a blank line: its row is a line number
])
def test_files_the_bulk_reader_leaves_to_the_line_reader(tmp_path, body):
    spec = _spec(_file(tmp_path, body))
    assert inputs._bulk_normalise(spec=spec, frame_path=tmp_path / "frame.csv", source_dataset=None,
                                  today=TODAY, progress=None) is None


def test_place_of_birth_is_normalised_by_both_readers(tmp_path):
    path = _tricky_file(tmp_path / "tricky.csv", 60, 4)
    spec = _spec(path, TRICKY_MAP, date_format="%d/%m/%Y")
    frame = input_normalise(spec=spec, frame_path=tmp_path / "bulk.csv", today=TODAY)
    with frame.frame_path.open(newline="") as handle:
        places = {row["birth_place"] for row in csv.DictReader(handle)}
    assert places == {"", "bristol", "west devon", "stoke on trent"}  # "unknown" is missing, as "" is
    assert "birth_place" in frame.fields
