"""Reading linkage input files: one streaming pass that validates, normalises and writes a frame.

A bad file stops with `file:row:column: reason` before anything reaches the output (issue #5 §2): a mapped
column missing from the header, an unknown canonical field, an empty or duplicate id, a date that is
neither ISO nor in --date-format, a row with too few cells, bytes that are not UTF-8. Implausible values
(a start date in the future, a birth year outside 1900..now, an unknown sex code) are counted, reported as
warnings and written as missing: real rosters carry them and they must not stop a national run.

Two readers, one result. The bulk reader (`_bulk_normalise`) parses the file in blocks of a few MB with
Arrow's CSV reader and normalises column by column, calling the Python normalisers once per distinct value
of a block rather than once per cell: a national roster repeats the same names, forces, ranks and dates
hundreds of thousands of times, and a Python loop over 1.3 million rows took half a minute (issue #5 §4).
It handles the files that are good. At the first sign of anything it cannot report exactly as the line
reader would (a bad date, an empty or duplicate id, a short row, undecodable bytes, a quoted header, or
warnings in a file whose records do not sit one to a line) it stops, and the line reader
(`_stream_normalise`) reads the file again from the start and gives the `file:row:column: reason`
messages. Both write the same frame.

The line reader reads the file line by line (plain or gzip, detected from its first bytes), so memory
stays flat except for the set of ids already seen, which duplicate detection needs. Each line is decoded on
its own so an undecodable byte is reported at its real row and column rather than somewhere in an 8 KiB
buffer. The bulk reader holds one block and the column of ids (for duplicates) at a time.
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
SEX_UNRECOGNISED = "not a recognised sex (M, F, male, female, U, unknown)"
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
    reader: str = "lines"  # which reader produced it: "bulk" (Arrow, by column) or "lines"

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
        if "birth_place" in mapping:
            out["birth_place"] = normalise.place(self.cell(cells, "birth_place"))
        if "sex" in mapping:
            out["sex"], recognised = normalise.sex(self.cell(cells, "sex"))
            if not recognised:
                self.warn(row, mapping["sex"], SEX_UNRECOGNISED)
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
    """Validate and normalise `spec.path` into `frame_path`; InputInvalid on bad input.

    `progress(bytes_read, total_bytes)` is called every few thousand rows (every block in bulk).
    """
    mapping_check(spec)
    path = spec.path
    if not path.is_file():
        raise InputInvalid(f"{path}: no such file.", field="file", code="linkage.no_file")
    today = today or dt.date.today()
    bulk = _bulk_normalise(spec=spec, frame_path=frame_path, source_dataset=source_dataset, today=today,
                           progress=progress)
    if bulk is not None:
        return bulk
    return _stream_normalise(spec=spec, frame_path=frame_path, source_dataset=source_dataset, today=today,
                             progress=progress)


def _stream_normalise(*, spec: InputSpec, frame_path: Path, source_dataset: str | None, today: dt.date,
                      progress: Callable[[int, int], None] | None) -> NormalisedInput:
    """The line reader: every row through `_Reader`, errors named at their physical row and column."""
    path = spec.path
    reader = _Reader(spec, today)
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


# The bulk reader. Arrow parses a block at a time; each mapped column is normalised once per distinct
# value of the block (the normalisers are the same functions the line reader calls, so the two agree).

BULK_BLOCK_BYTES = 32 << 20  # about 400,000 rows of a roster; bigger blocks repeat less work per value
# The order in which the line reader meets warnings within one row: sorting warnings by (first row, step)
# lists them as the line reader would.
_WARNING_STEPS = {"sex": 0, "birth_year": 1, **{name: 2 + i for i, name in enumerate(normalise.DATE_FIELDS)}}


class _Unsure(Exception):
    """The bulk reader met something only the line reader reports exactly: read the file again by lines."""


class _Column:
    """One file column of a block, encoded as its distinct values and, per cell, which one it holds."""

    def __init__(self, cells):
        self.cells = cells
        encoded = cells.dictionary_encode()
        self.indices = encoded.indices
        self.values: list[str] = encoded.dictionary.to_pylist()

    def lookup(self, table: dict[str, object], value_type):
        """The column with every cell replaced by table[cell]."""
        import pyarrow as pa

        return pa.array([table[raw] for raw in self.values], type=value_type).take(self.indices)

    def map(self, function: Callable[[str], object]):
        """function(stripped cell) for every cell, computed once per distinct value (text results)."""
        import pyarrow as pa

        return self.lookup({raw: function(raw.strip()) for raw in self.values}, pa.string())

    def rows_where(self, distinct: set[str], first_row: int) -> tuple[int, int]:
        """(count, first physical row) of the cells whose value is in `distinct`."""
        import pyarrow as pa
        import pyarrow.compute as pc

        mask = pc.is_in(self.cells, value_set=pa.array(sorted(distinct), type=pa.string()))
        count = pc.sum(mask).as_py() or 0
        return count, (first_row + pc.index(mask, True).as_py()) if count else 0


class _Bulk:
    """The normalisation of `_Reader`, block by block; raises _Unsure where `_Reader` would report an error."""

    def __init__(self, spec: InputSpec, today: dt.date, index: dict[str, int]):
        self.spec, self.today, self.index = spec, today, index
        self.dates = normalise.DateParser(spec.date_format)
        # (column, reason) -> [count, first row, step]
        self.warnings: dict[tuple[str, str], list[int]] = {}

    def warn(self, field_name: str, reason: str, count: int, first_row: int) -> None:
        if not count:
            return
        column = self.spec.mapping[field_name]
        step = _WARNING_STEPS[field_name]
        seen = self.warnings.get((column, reason))
        if seen is None:
            self.warnings[(column, reason)] = [count, first_row, step]
        else:
            seen[0] += count
            seen[1:] = min(seen[1:], [first_row, step])

    def warning_list(self) -> list[Warning_]:
        ordered = sorted(self.warnings.items(), key=lambda item: (item[1][1], item[1][2]))
        return [Warning_(column=column, reason=reason, count=count, first_row=first)
                for (column, reason), (count, first, _) in ordered]

    def block(self, batch, first_row: int):
        """The normalised columns of one block of records (a dict of Arrow arrays)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        mapping = self.spec.mapping
        cells = {name: _Column(batch.column(f"c{self.index[column]}")) for name, column in mapping.items()}
        length = batch.num_rows
        nothing = pa.nulls(length, type=pa.string())
        out: dict[str, object] = dict.fromkeys(normalise.FRAME_COLUMNS, nothing)
        ids = pc.replace_substring_regex(pc.utf8_trim_whitespace(batch.column(f"c{self.index[self.spec.id_column]}")),
                                         pattern=r"^([+-]?\d+)\.0*$", replacement=r"\1")
        if pc.any(pc.equal(ids, "")).as_py():
            raise _Unsure("empty id")
        out["unique_id"] = ids
        for name_field in normalise.NAME_FIELDS:
            if name_field in cells:
                out[name_field] = cells[name_field].map(normalise.name)
        given, family = out["given_name"], out["family_name"]
        joined = pc.binary_join_element_wise(given, family, " ", null_handling="skip")
        placeholder = pc.fill_null(pc.is_in(joined, value_set=pa.array(sorted(normalise.PLACEHOLDER_NAMES))), False)
        if pc.any(placeholder).as_py():
            out["given_name"] = pc.if_else(placeholder, nothing, given)
            out["family_name"] = pc.if_else(placeholder, nothing, family)
        if "suffix" in cells:
            out["suffix"] = cells["suffix"].map(normalise.suffix)
        if "full_name" in cells:
            self._full_name(cells["full_name"], out)
        for text_field in ("organisation", "rank"):
            if text_field in cells:
                out[text_field] = cells[text_field].map(normalise.text)
        if "badge_number" in cells:
            out["badge_number"] = cells["badge_number"].map(normalise.badge_number)
        if "postcode" in cells:
            out["postcode"] = cells["postcode"].map(normalise.postcode)
        if "birth_place" in cells:
            out["birth_place"] = cells["birth_place"].map(normalise.place)
        if "sex" in cells:

            def sex(value: str) -> tuple[str | None, str | None]:
                code, recognised = normalise.sex(value)
                return code, None if recognised else SEX_UNRECOGNISED

            self._checked(cells["sex"], "sex", sex, out, pa.string(), first_row)
        self._dates(cells, out, first_row)
        out["birth_year"] = pc.cast(out["birth_year"], pa.int32())
        return out

    def _full_name(self, column: _Column, out: dict[str, object]) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        parts = {raw: normalise.split_full_name(raw.strip()) for raw in column.values}
        given, middle, family, suffix = (column.lookup({raw: split[i] for raw, split in parts.items()}, pa.string())
                                         for i in range(4))
        out["full_name"] = column.lookup({raw: " ".join(p for p in split[:3] if p) or None
                                          for raw, split in parts.items()}, pa.string())
        empty = pc.and_(pc.is_null(out["given_name"]), pc.is_null(out["family_name"]))
        out["given_name"] = pc.if_else(empty, given, out["given_name"])
        out["family_name"] = pc.if_else(empty, family, out["family_name"])
        out["middle_name"] = pc.if_else(empty, pc.coalesce(out["middle_name"], middle), out["middle_name"])
        out["suffix"] = pc.if_else(empty, pc.coalesce(out["suffix"], suffix), out["suffix"])

    def _checked(self, column: _Column, field_name: str, check: Callable[[str], tuple[object, str | None]],
                 out: dict[str, object], value_type, first_row: int) -> None:
        """out[field_name] from check(stripped value) -> (value, warning or None); empty cells are missing."""
        values: dict[str, object] = {}
        flagged: dict[str, set[str]] = {}
        for raw in column.values:
            stripped = raw.strip()
            values[raw], reason = check(stripped) if stripped else (None, None)
            if reason:
                flagged.setdefault(reason, set()).add(raw)
        out[field_name] = column.lookup(values, value_type)
        for reason, raws in flagged.items():
            self.warn(field_name, reason, *column.rows_where(raws, first_row))

    def _dates(self, cells: dict[str, _Column], out: dict[str, object], first_row: int) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        this_year = self.today.year
        out["birth_year"] = pa.nulls(len(out["unique_id"]), type=pa.int32())
        if "birth_year" in cells:

            def birth_year(value: str) -> tuple[int | None, str | None]:
                try:
                    year = normalise.year(value)
                except ValueError:
                    raise _Unsure("not a year") from None
                if normalise.EARLIEST_YEAR <= year <= this_year:
                    return year, None
                return None, f"birth year outside {normalise.EARLIEST_YEAR}..{this_year}"

            self._checked(cells["birth_year"], "birth_year", birth_year, out, pa.int32(), first_row)
        earliest = dt.date(normalise.EARLIEST_YEAR, 1, 1)
        for date_field in normalise.DATE_FIELDS:
            if date_field not in cells:
                continue

            def date(value: str, date_field: str = date_field) -> tuple[str | None, str | None]:
                try:
                    parsed = self.dates.parse(value)
                except ValueError:
                    raise _Unsure("not a date") from None
                if parsed < earliest:
                    return None, f"date before {normalise.EARLIEST_YEAR}"
                if parsed > self.today and date_field != "end_date":
                    return None, "date in the future"  # an end date may lie ahead (a fixed-term contract)
                return parsed.isoformat(), None

            self._checked(cells[date_field], date_field, date, out, pa.string(), first_row)
        if "birth_date" in cells:
            from_date = pc.cast(pc.utf8_slice_codeunits(out["birth_date"], 0, 4), pa.int32())
            out["birth_year"] = pc.coalesce(out["birth_year"], from_date)


def _bulk_normalise(*, spec: InputSpec, frame_path: Path, source_dataset: str | None, today: dt.date,
                    progress: Callable[[int, int], None] | None) -> NormalisedInput | None:
    """The bulk reader; None when the file needs the line reader (which then reports what is wrong)."""
    try:
        import pyarrow  # noqa: F401 - Arrow comes with DuckDB's and Splink's dependencies
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    try:
        return _bulk_read(spec=spec, frame_path=frame_path, source_dataset=source_dataset, today=today,
                          progress=progress)
    except _Unsure:
        return None


def _blocks(binary: IO[bytes]) -> Iterator[bytes]:
    """The stream in blocks of about BULK_BLOCK_BYTES, each ending at a newline (the last where the file ends)."""
    pending = b""
    while data := binary.read(BULK_BLOCK_BYTES):
        data = pending + data
        cut = data.rfind(b"\n") + 1
        block, pending = data[:cut], data[cut:]
        if block:
            yield block
    if pending:
        yield pending


def _bulk_read(*, spec: InputSpec, frame_path: Path, source_dataset: str | None, today: dt.date,
               progress: Callable[[int, int], None] | None) -> NormalisedInput:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    path = spec.path
    total = path.stat().st_size
    columns = normalise.frame_columns(with_source=bool(source_dataset))
    with path.open("rb") as raw, _open_binary_from(raw) as binary:
        first = binary.readline()
        if first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        try:
            header_text = first.decode("utf-8")
        except UnicodeDecodeError:
            raise _Unsure("undecodable header") from None
        if not header_text.strip() or '"' in header_text:
            raise _Unsure("an empty or quoted header")
        header = next(csv.reader([header_text]))
        reader = _Reader(spec, today)
        reader.header(header)  # a missing column is refused here, as by the line reader
        index = reader.index
        bulk = _Bulk(spec, today, index)
        wanted = sorted({f"c{index[column]}" for column in [spec.id_column, *spec.mapping.values()]})
        options = {
            "read_options": pacsv.ReadOptions(column_names=[f"c{i}" for i in range(len(header))]),
            # A quoted multi-line cell is read whole when it lies inside a block (`_blocks` never cuts one).
            "parse_options": pacsv.ParseOptions(newlines_in_values=False),
            "convert_options": pacsv.ConvertOptions(
                column_types={name: pa.string() for name in wanted}, include_columns=wanted,
                strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[], check_utf8=True),
        }
        schema = pa.schema([(c, pa.int32() if c == "birth_year" else pa.string()) for c in columns])
        present: set[str] = set()
        ids = []
        rows = newlines = 0
        last = b"\n"
        with pacsv.CSVWriter(str(frame_path), schema, write_options=pacsv.WriteOptions(quoting_style="needed")) \
                as writer:
            for block in _blocks(binary):
                if block.count(b'"') % 2:
                    raise _Unsure("a quoted cell across blocks")  # doubled quotes inside a cell come in pairs
                newlines += block.count(b"\n")
                last = block[-1:]
                try:
                    table = pacsv.read_csv(pa.py_buffer(block), **options).combine_chunks()
                except pa.ArrowException:
                    raise _Unsure("Arrow cannot read a block") from None  # short rows, bad bytes, ...
                if table.num_rows == 0:
                    continue
                batch = table.to_batches()[0]
                out = bulk.block(batch, first_row=rows + 2)
                rows += batch.num_rows
                ids.append(out["unique_id"])
                if source_dataset:
                    out["source_dataset"] = pa.array([source_dataset] * batch.num_rows, type=pa.string())
                present.update(name for name in normalise.CANONICAL_FIELDS if out[name].null_count < batch.num_rows)
                writer.write_batch(pa.record_batch([out[c] for c in columns], schema=schema))
                if progress:
                    progress(raw.tell(), total)
    if rows == 0:
        raise _Unsure("no records")
    every_id = pa.chunked_array(ids)
    if pc.count_distinct(every_id).as_py() != len(every_id):
        raise _Unsure("a duplicate id")
    lines = 1 + newlines + (last != b"\n")
    if bulk.warnings and lines != rows + 1:
        raise _Unsure("warnings in a file with blank lines")  # their rows would be misnamed
    if progress:
        progress(total, total)
    return NormalisedInput(spec=spec, frame_path=frame_path, rows=rows, fields=present,
                           warnings=bulk.warning_list(), reader="bulk")
