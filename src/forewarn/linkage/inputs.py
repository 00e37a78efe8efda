"""Reading linkage input files: one streaming pass that validates, normalises and writes a frame.

A bad file stops with `file:row:column: reason` before anything reaches the output (issue #5 §2): a mapped
column missing from the header, an unknown canonical field, an empty or duplicate id, a date that is
neither ISO nor in --date-format, a row with too few cells, bytes that are not UTF-8. Implausible values
(a start date in the future, a birth year outside 1900..now, an unknown sex code) are counted, reported as
warnings and written as missing: real rosters carry them and they must not stop a national run.

The file is read line by line (plain or gzip, detected from its first bytes), so memory stays flat except
for the set of ids already seen, which duplicate detection needs. Each line is decoded on its own so an
undecodable byte is reported at its real row and column rather than somewhere in an 8 KiB buffer.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from forewarn.core.errors import ValidationFailed
from forewarn.linkage import normalise

MAX_REPORTED_ERRORS = 10
PROGRESS_EVERY = 10_000


class InputInvalid(ValidationFailed):
    """A linkage input file that cannot be used; the message lists `file:row:column: reason` lines."""

    code = "linkage.input_invalid"


@dataclass(frozen=True)
class InputSpec:
    """One input file and how its columns map onto the canonical fields."""

    path: Path
    id_column: str
    mapping: dict[str, str]  # canonical field -> column in the file
    date_format: str | None = None


@dataclass
class Warning_:
    """Implausible values in one column for one reason, treated as missing."""

    column: str
    reason: str
    count: int = 0
    first_row: int = 0


@dataclass
class NormalisedInput:
    """A validated, normalised copy of one input (CSV with FRAME_COLUMNS, plus source_dataset if set)."""

    spec: InputSpec
    frame_path: Path
    rows: int
    fields: set[str]  # canonical fields with at least one value
    warnings: list[Warning_] = field(default_factory=list)

    def warning_lines(self) -> list[str]:
        name = self.spec.path.name
        return [f"{name}: {w.count:,} value(s) in column {w.column} treated as missing: {w.reason} "
                f"(first at row {w.first_row})" for w in self.warnings]


def mapping_check(spec: InputSpec) -> None:
    """Refuse unknown canonical field names before the file is opened."""
    unknown = sorted(set(spec.mapping) - set(normalise.CANONICAL_FIELDS))
    if unknown:
        raise InputInvalid(
            f"{spec.path.name}:1:{spec.mapping[unknown[0]]}: '{unknown[0]}' is not a canonical field "
            f"(use {', '.join(normalise.CANONICAL_FIELDS)}).", field="map", code="linkage.unknown_field")


class _Lines:
    """Decoded text lines of a file, one at a time, raising InputInvalid at the first undecodable one."""

    def __init__(self, path: Path, binary: IO[bytes]):
        self.path, self.binary = path, binary
        self.line = 0
        self.header: list[str] = []

    def __iter__(self) -> Iterator[str]:
        for raw in self.binary:
            self.line += 1
            if self.line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputInvalid(self._undecodable(raw, exc), field="file", code="linkage.undecodable") from None

    def _undecodable(self, raw: bytes, exc: UnicodeDecodeError) -> str:
        """Name the column holding the first bad byte (the cell count before it on this line)."""
        cells = next(csv.reader([raw[: exc.start].decode("utf-8", errors="replace")]), [])
        index = max(len(cells) - 1, 0)
        column = self.header[index].strip() if index < len(self.header) else f"column {index + 1}"
        return (f"{self.path.name}:{self.line}:{column}: not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file "
                f"as UTF-8")


class _Reader:
    """Validates and normalises rows of one file; collects errors and warnings."""

    def __init__(self, spec: InputSpec, today: dt.date):
        self.spec, self.name, self.today = spec, spec.path.name, today
        self.dates = normalise.DateParser(spec.date_format)
        self.errors: list[str] = []
        self.error_count = 0
        self.warnings: dict[tuple[str, str], Warning_] = {}
        self.index: dict[str, int] = {}

    def error(self, row: int, column: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(f"{self.name}:{row}:{column}: {reason}")

    def warn(self, row: int, column: str, reason: str) -> None:
        warning = self.warnings.setdefault((column, reason), Warning_(column=column, reason=reason, first_row=row))
        warning.count += 1

    def header(self, header: list[str]) -> None:
        self.index = {name.strip(): i for i, name in enumerate(header)}
        mapped = [("id", self.spec.id_column), *self.spec.mapping.items()]
        missing = [column for _, column in mapped if column not in self.index]
        if missing:
            raise InputInvalid(
                f"{self.name}:1:{missing[0]}: column not in the header (the header has: "
                f"{', '.join(name.strip() for name in header)}).", field="map", code="linkage.missing_column")

    def cell(self, cells: list[str], field_name: str) -> str:
        column = self.spec.mapping.get(field_name)
        return cells[self.index[column]].strip() if column else ""

    def date(self, row: int, cells: list[str], field_name: str) -> dt.date | None:
        raw = self.cell(cells, field_name)
        if not raw:
            return None
        try:
            return self.dates.parse(raw)
        except ValueError:
            expected = f"the format {self.spec.date_format} or ISO" if self.spec.date_format else \
                "an ISO date (YYYY-MM-DD); give --date-format for other formats"
            self.error(row, self.spec.mapping[field_name], f"'{raw}' is not a date in {expected}")
            return None

    def parse(self, row: int, cells: list[str]) -> dict[str, object] | None:
        """The normalised record, or None when the row has errors (already recorded)."""
        errors_before = self.error_count
        if len(cells) < len(self.index):
            self.error(row, list(self.index)[len(cells)] if cells else self.spec.id_column,
                       f"the row has {len(cells)} cell(s), the header {len(self.index)}")
            return None
        out: dict[str, object] = dict.fromkeys(normalise.FRAME_COLUMNS)
        record_id = normalise.unique_id(cells[self.index[self.spec.id_column]])
        if not record_id:
            self.error(row, self.spec.id_column, "empty id")
        out["unique_id"] = record_id
        mapping = self.spec.mapping
        for name_field in normalise.NAME_FIELDS:
            if name_field in mapping:
                out[name_field] = normalise.name(self.cell(cells, name_field))
        if normalise.placeholder_name(out["given_name"], out["family_name"]):
            out["given_name"] = out["family_name"] = None
        if "suffix" in mapping:
            out["suffix"] = normalise.suffix(self.cell(cells, "suffix"))
        if "full_name" in mapping:
            raw = self.cell(cells, "full_name")
            given, middle, family, suffix = normalise.split_full_name(raw)
            out["full_name"] = " ".join(p for p in (given, middle, family) if p) or None
            if out["given_name"] is None and out["family_name"] is None:
                out["given_name"], out["family_name"] = given, family
                out["middle_name"] = out["middle_name"] or middle
                out["suffix"] = out["suffix"] or suffix
        for text_field in ("organisation", "rank"):
            if text_field in mapping:
                out[text_field] = normalise.text(self.cell(cells, text_field))
        if "badge_number" in mapping:
            out["badge_number"] = normalise.badge_number(self.cell(cells, "badge_number"))
        if "postcode" in mapping:
            out["postcode"] = normalise.postcode(self.cell(cells, "postcode"))
        if "sex" in mapping:
            out["sex"], recognised = normalise.sex(self.cell(cells, "sex"))
            if not recognised:
                self.warn(row, mapping["sex"], "not a recognised sex (M, F, male, female, U, unknown)")
        self._dates(row, cells, out)
        return None if self.error_count > errors_before else out

    def _dates(self, row: int, cells: list[str], out: dict[str, object]) -> None:
        mapping, this_year = self.spec.mapping, self.today.year
        earliest = dt.date(normalise.EARLIEST_YEAR, 1, 1)
        if "birth_year" in mapping:
            raw = self.cell(cells, "birth_year")
            if raw:
                try:
                    value = normalise.year(raw)
                except ValueError:
                    self.error(row, mapping["birth_year"], f"'{raw}' is not a year")
                else:
                    if normalise.EARLIEST_YEAR <= value <= this_year:
                        out["birth_year"] = value
                    else:
                        self.warn(row, mapping["birth_year"],
                                  f"birth year outside {normalise.EARLIEST_YEAR}..{this_year}")
        for date_field in normalise.DATE_FIELDS:
            if date_field not in mapping:
                continue
            value = self.date(row, cells, date_field)
            if value is None:
                continue
            if value < earliest:
                self.warn(row, mapping[date_field], f"date before {normalise.EARLIEST_YEAR}")
            elif value > self.today and date_field != "end_date":
                # An end date may lie ahead (a fixed-term contract); a birth or start date may not.
                self.warn(row, mapping[date_field], "date in the future")
            else:
                out[date_field] = value.isoformat()
        if out["birth_year"] is None and out["birth_date"] is not None:
            out["birth_year"] = int(str(out["birth_date"])[:4])


def input_normalise(
    *,
    spec: InputSpec,
    frame_path: Path,
    source_dataset: str | None = None,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> NormalisedInput:
    """Validate and normalise `spec.path` into `frame_path` in one streaming pass; InputInvalid on bad input.

    `progress(bytes_read, total_bytes)` is called every few thousand rows.
    """
    mapping_check(spec)
    path = spec.path
    if not path.is_file():
        raise InputInvalid(f"{path}: no such file.", field="file", code="linkage.no_file")
    reader = _Reader(spec, today or dt.date.today())
    total = path.stat().st_size
    columns = normalise.frame_columns(with_source=bool(source_dataset))
    present: set[str] = set()
    seen: dict[str, int] = {}
    rows = 0
    with path.open("rb") as raw, _open_binary_from(raw) as binary, frame_path.open("w", newline="") as out_file:
        lines = _Lines(path, binary)
        records = csv.reader(lines)
        writer = csv.writer(out_file)
        writer.writerow(columns)
        header = next(records, None)
        if not header:
            raise InputInvalid(f"{path.name}:1:-: the file is empty (no header row).", field="file",
                               code="linkage.empty")
        lines.header = header
        reader.header(header)
        id_index = reader.index[spec.id_column]
        start = lines.line + 1
        for cells in records:
            row, start = start, lines.line + 1
            if not cells:
                continue  # a blank line
            rows += 1
            out = reader.parse(row, cells)
            if len(cells) > id_index:
                record_id = normalise.unique_id(cells[id_index])
                if record_id and record_id in seen:
                    reader.error(row, spec.id_column, f"id '{record_id}' is already on row {seen[record_id]}")
                    out = None
                elif record_id:
                    seen[record_id] = row
            if out is None or reader.errors:
                continue
            present.update(name for name in normalise.CANONICAL_FIELDS if out[name] is not None)
            if source_dataset:
                out["source_dataset"] = source_dataset
            writer.writerow([out[c] for c in columns])
            if progress and rows % PROGRESS_EVERY == 0:
                progress(raw.tell(), total)
    if reader.errors:
        more = f" (and {reader.error_count - len(reader.errors)} more)" if reader.error_count > len(reader.errors) \
            else ""
        raise InputInvalid("\n".join(reader.errors) + more, field="file", code="linkage.input_invalid",
                           errors=reader.errors)
    if rows == 0:
        raise InputInvalid(f"{path.name}:2:-: the file has a header but no records.", field="file",
                           code="linkage.empty")
    if progress:
        progress(total, total)
    return NormalisedInput(spec=spec, frame_path=frame_path, rows=rows, fields=present,
                           warnings=list(reader.warnings.values()))


def _open_binary_from(raw: IO[bytes]) -> IO[bytes]:
    magic = raw.read(2)
    raw.seek(0)
    return gzip.GzipFile(fileobj=raw, mode="rb") if magic == b"\x1f\x8b" else _NoClose(raw)


class _NoClose:
    """A context manager around the raw file that leaves closing to its own `with`."""

    def __init__(self, handle: IO[bytes]):
        self.handle = handle

    def __enter__(self) -> IO[bytes]:
        return self.handle

    def __exit__(self, *exc) -> None:
        return None
