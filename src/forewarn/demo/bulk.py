"""Fast bulk writes for generated data: ids allocated locally, rows as tuples, COPY on PostgreSQL.

A bulk load runs in one transaction. On PostgreSQL it takes its tables' locks up front, so the ids
it hands out locally (from the table's sequence and MAX(id)) cannot collide with another writer's,
then streams rows to the server with COPY from a writer thread while Python goes on generating:
the server parses and stores one batch while the next is built. Elsewhere (SQLite) rows go in with
Django's bulk_create, and SQLite's single writer makes the same local ids safe.

Rows are tuples in the order of a `Table`'s fields; fields a generator does not supply get their
model default, so a field added to a model later still loads.
"""

from __future__ import annotations

import gc
import json
import queue
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from django.db import connection, models
from psycopg import sql

BATCH = 5_000
NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
UNSAFE = frozenset("\\\t\n\r")


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


def copy_json(value) -> str:
    return escape(json.dumps(value))


def copy_value(value) -> str:
    """One value in PostgreSQL's COPY text format (the general, slower path)."""
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple | dict):
        return copy_json(value)
    return value.isoformat()


def check_pool(name: str, values: Iterable[str]) -> None:
    """Refuse a pool of generated text that would need COPY escaping (the fast formatters assume none)."""
    for value in values:
        if UNSAFE.intersection(value):
            raise ValueError(f"{name}: {value!r} contains a tab, newline or backslash")


class _JsonText:
    """JSON in COPY text, memoised: generators repeat a few values (a tuple of codes, an event's data)."""

    def __init__(self):
        self.tuples: dict = {}
        self.dicts: dict = {}

    def __call__(self, value) -> str:
        kind = type(value)
        if kind is tuple:
            cache, key = self.tuples, value
        elif kind is dict:
            cache, key = self.dicts, tuple(value.items())
        else:
            return copy_json(value)
        try:
            text = cache.get(key)
        except TypeError:  # a nested list or dict: not hashable
            return copy_json(value)
        if text is None:
            text = cache[key] = copy_json(value)
        return text


class Memo(dict):
    """A formatter's memo for values that repeat (a load's one timestamp): str() once each."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def __missing__(self, value):
        text = self[value] = self.fn(value)
        return text

    def __call__(self, value):
        return self[value]


class Table:
    """One model's bulk layout: the fields a generator supplies, in order, and a COPY line formatter.

    `format(row)` turns a row (a tuple in `fields` order, or a dict of attname -> value when
    `keyed`) into one line of COPY text, the other columns filled with their defaults. It is
    compiled once per table (an f-string per field type) because a national load formats millions
    of rows; it does not escape text, so `copy_text` checks each batch and falls back to the
    escaping formatter when a value needs it.
    """

    def __init__(self, model: type[models.Model], fields: Sequence[str], *, now, keyed: bool = False):
        by_name = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [name for name in fields if name not in by_name]
        if unknown:
            raise ValueError(f"{model._meta.label} has no field {', '.join(unknown)}")
        rest = [f for f in model._meta.concrete_fields if f.attname not in fields]
        self.model, self.fields, self.keyed = model, tuple(fields), keyed
        self.label = model._meta.label
        self.columns = (*self.fields, *(f.attname for f in rest))
        self.defaults = {f.attname: _default(f, now) for f in rest}
        self.sql = 'COPY "{}" ({}) FROM STDIN'.format(
            model._meta.db_table, ", ".join(f'"{by_name[name].column}"' for name in self.columns))
        suffix = "".join("\t" + copy_value(value) for value in self.defaults.values())
        supplied = [by_name[name] for name in self.fields]
        self.format = _compile(supplied, suffix, keyed=keyed, escaping=False)
        self._format_escaping = _compile(supplied, suffix, keyed=keyed, escaping=True)

    def copy_text(self, rows: Sequence) -> str:
        text = "".join(map(self.format, rows))
        tabs = len(rows) * (len(self.columns) - 1)
        # Any tab, newline, carriage return or backslash (but NULL's) in a value shows in these counts.
        if (text.count("\t") != tabs or text.count("\n") != len(rows) or "\r" in text
                or text.count("\\") != text.count(NULL)):
            text = "".join(map(self._format_escaping, rows))
        return text

    def instances(self, rows: Sequence) -> list[models.Model]:
        model, fields = self.model, self.fields
        if self.keyed:
            return [model(**{name: row[name] for name in fields}) for row in rows]
        return [model(**dict(zip(fields, row, strict=True))) for row in rows]


def _default(field: models.Field, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()  # "" for text fields, None for nullable ones


def _compile(fields: list[models.Field], suffix: str, *, keyed: bool, escaping: bool):
    parts = []
    for i, field in enumerate(fields):
        value = f"r[{field.attname!r}]" if keyed else f"r[{i}]"
        if isinstance(field, models.JSONField):
            text = f"J({value})"
        elif isinstance(field, models.BooleanField):
            text = f"('t' if {value} else 'f')"
        elif isinstance(field, models.DateField):  # and DateTimeField
            # Memoised: a load repeats a few thousand days and one timestamp, and formatting a date
            # in an f-string costs about a microsecond, a dictionary lookup a tenth of that.
            text = f"T({value})"
        elif escaping and isinstance(field, models.CharField | models.TextField):
            text = f"E({value})"
        else:
            text = value  # ints format as COPY reads them; text is checked per batch
        if field.null:
            text = f"(N if {value} is None else {text})"
        parts.append("{" + text + "}")
    source = 'def format(r):\n    return f"' + "\\t".join(parts) + '{S}\\n"\n'
    namespace = {"J": _JsonText(), "T": Memo(str), "E": escape, "N": NULL, "S": suffix}
    exec(compile(source, f"<copy format {len(fields)} fields>", "exec"), namespace)  # noqa: S102 - our own source
    return namespace["format"]


class Ids:
    """Hands out ids for one model locally, starting past both its sequence and its largest id.

    Safe because the load holds its tables' locks (PostgreSQL) or SQLite's single write lock; call
    `commit_sequence` at the end so later inserts through the ORM continue after these ids.
    """

    def __init__(self, model: type[models.Model]):
        self.model = model
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608 - table name is ours
            start = cursor.fetchone()[0] + 1
            if on_postgresql():
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                self.sequence = cursor.fetchone()[0]
                cursor.execute(f"SELECT last_value + is_called::int FROM {self.sequence}")  # noqa: S608
                start = max(start, cursor.fetchone()[0])
        self.first = self.next = start

    def take(self, n: int = 1) -> int:
        """The first of `n` consecutive ids."""
        first = self.next
        self.next += n
        return first

    def commit_sequence(self) -> None:
        if on_postgresql() and self.next > self.first:
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval(%s, %s)", [self.sequence, self.next - 1])


def lock_tables(models_: Iterable[type[models.Model]], *, mode: str) -> None:
    """Lock the tables a load writes (PostgreSQL), so no other writer takes ids between ours."""
    if on_postgresql():
        names = ", ".join(f'"{m._meta.db_table}"' for m in models_)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {names} IN {mode} MODE")


def load_settings() -> None:
    """Transaction-local settings for a bulk load on PostgreSQL.

    synchronous_commit off: the one commit of a load need not wait for the WAL flush (a crash
    before the flush loses the whole load, never part of it). More maintenance memory lets the
    index rebuild sort a million keys in memory, shared with its parallel workers (1 GB took the
    rebuild of nine indexes over a million rows from 11 s to 7 s against 256 MB).
    """
    if on_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")


@contextmanager
def indexes_deferred(models_: Sequence[type[models.Model]], *, enabled: bool = True):
    """Drop the secondary indexes, unique and foreign-key constraints of these tables, then recreate
    them from their own definitions when the block ends (see `DeferredIndexes`)."""
    deferred = DeferredIndexes(models_, enabled=enabled)
    yield deferred
    deferred.rebuild()


class DeferredIndexes:
    """The secondary indexes, unique and foreign-key constraints of some tables, dropped for a load
    (PostgreSQL, inside the load's transaction) and rebuilt from their own definitions by `rebuild`.

    Building an index once over a million sorted rows is several times cheaper than updating it row
    by row, and re-adding a foreign key checks every row in one set-wise join instead of one
    deferred trigger per row at commit. Re-adding validates: a row that breaks a constraint fails
    the load. Everything happens in the caller's transaction, so any failure, here or in the load,
    rolls back to the original indexes and constraints. Primary keys stay: foreign keys need them.
    """

    def __init__(self, models_: Sequence[type[models.Model]], *, enabled: bool = True):
        self.indexes: list[tuple[str, str]] = []
        self.constraints: list[tuple[str, str, str, str]] = []
        if not enabled or not on_postgresql():
            return
        if not connection.in_atomic_block:
            raise RuntimeError("indexes can only be deferred inside the load's transaction")
        tables = [m._meta.db_table for m in models_]
        with connection.cursor() as cursor:
            # Indexes that back no constraint (those come back with their constraint).
            cursor.execute(
                """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
                   WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS (
                       SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                       AND c.contype IN ('p', 'u', 'x'))
                   ORDER BY 1""", [tables])
            self.indexes = cursor.fetchall()
            # Foreign keys, and unique constraints no foreign key depends on.
            cursor.execute(
                """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
                   FROM pg_constraint c WHERE c.conrelid = ANY(%s::regclass[]) AND (c.contype = 'f' OR (
                       c.contype = 'u' AND NOT EXISTS (
                           SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)))
                   ORDER BY c.contype DESC, 1, 2""", [tables])  # unique before foreign keys when re-added
            self.constraints = cursor.fetchall()
            for table, name, _, _ in self.constraints:
                cursor.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.SQL(table), sql.Identifier(name)).as_string(cursor.connection))
            for name, _ in self.indexes:
                cursor.execute(f"DROP INDEX {name}")

    def rebuild(self, raw=None) -> None:
        """Recreate what was dropped, through Django's connection or `raw` (the same connection's
        psycopg object, from a thread that overlaps the rebuild with work that needs no queries)."""
        if not self.indexes and not self.constraints:
            return
        with (raw or connection).cursor() as cursor:
            for _, definition in self.indexes:
                cursor.execute(definition)
            for table, name, definition, _ in self.constraints:
                cursor.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                    sql.SQL(table), sql.Identifier(name)).as_string(cursor.connection) + definition)
        self.indexes, self.constraints = [], []


@contextmanager
def overlapping(work):
    """Run `work(raw_connection)` in a thread while the block runs, on the load's own connection
    (its psycopg object: Django's is per thread); the block must not query meanwhile. Joins the
    thread when the block ends and raises what `work` raised."""
    if work is None:
        yield
        return
    connection.ensure_connection()
    raw, errors = connection.connection, []

    def run():
        try:
            work(raw)
        except BaseException as error:  # noqa: BLE001 - raised in the caller's thread below
            errors.append(error)

    thread = threading.Thread(target=run, name="overlapping", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()
    if errors:
        with connection.wrap_database_errors:  # as Django's own error (IntegrityError...), as a query would
            raise errors[0]


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector for a load.

    A load creates millions of short-lived tuples and no reference cycles: reference counting frees
    them all, while each collector pass would walk every object alive (the workforce, the chunks
    waiting to be written) for nothing. Forked workers inherit the pause.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Writer:
    """Writes batches of rows for a load: COPY from a background thread on PostgreSQL, bulk_create elsewhere.

    On PostgreSQL the thread owns the connection until `close()`: the caller must not query in
    between. The thread waits on the server with the GIL released, so generating the next batch
    and storing the last one overlap.
    """

    def __init__(self, *, depth: int = 8):
        self.written: dict[str, int] = defaultdict(int)
        self._thread = None
        if on_postgresql():
            connection.ensure_connection()
            self._raw = connection.connection
            self._queue: queue.Queue = queue.Queue(maxsize=depth)
            self._error: BaseException | None = None
            self._thread = threading.Thread(target=self._run, name="copy-writer", daemon=True)
            self._thread.start()

    @property
    def text(self) -> bool:
        """Whether batches are wanted as COPY text (PostgreSQL) rather than rows."""
        return self._thread is not None

    def rows(self, table: Table, rows: Sequence) -> None:
        if not rows:
            return
        if self._thread is None:
            table.model.objects.bulk_create(table.instances(rows), batch_size=500)
            self.written[table.label] += len(rows)
        else:
            self.copy(table, table.copy_text(rows), len(rows))

    def copy(self, table: Table, text: str | bytes, count: int) -> None:
        """A batch already in COPY text (from `Table.copy_text`, maybe built in another process)."""
        self._raise()
        self._queue.put((table.sql, text))
        self.written[table.label] += count

    def _run(self) -> None:
        try:
            with self._raw.cursor() as cursor:
                while (item := self._queue.get()) is not None:
                    with cursor.copy(item[0]) as copy:
                        copy.write(item[1])
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread in _raise
            self._error = error
            while self._queue.get() is not None:  # unblock the producer until close()
                pass

    def _raise(self) -> None:
        if self._thread is not None and self._error is not None:
            raise self._error

    def close(self) -> None:
        """Wait for every batch to be stored; raise what the writer met."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Sink:
    """Collects rows per table and hands them to a Writer in batches."""

    def __init__(self, writer: Writer, batch: int = BATCH):
        self.writer, self.batch = writer, batch
        self.rows: dict[Table, list] = defaultdict(list)

    def add(self, table: Table, row) -> None:
        rows = self.rows[table]
        rows.append(row)
        if len(rows) >= self.batch:
            self.writer.rows(table, rows)
            self.rows[table] = []

    def flush(self) -> None:
        for table, rows in self.rows.items():
            self.writer.rows(table, rows)
        self.rows.clear()
