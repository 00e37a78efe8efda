"""Fast bulk writes for generated data: ids allocated up front, then COPY (PostgreSQL) or bulk_create.

Ids are allocated before the rows are built so that related rows (a case's allegations, their
subjects, its audit event) can point at each other without a round trip per batch. On PostgreSQL
ids come from the table's own sequence (safe alongside other writers) and rows go in by COPY, which
is what lets a national-scale load run at tens of thousands of rows a second; elsewhere rows go in
with Django's bulk_create.
"""

from __future__ import annotations

import json
from collections import defaultdict

from django.db import connection, models
from django.utils import timezone

BATCH = 5_000


dumps = json.dumps
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, int):
        return str(value)
    return value.isoformat()


class IdBlock:
    """Hands out ids for one model, fetching them from the database in blocks."""

    def __init__(self, model: type[models.Model], block: int = BATCH):
        self.model, self.block = model, block
        self._ids: list[int] = []
        self._next_sqlite: int | None = None

    def _fetch(self) -> None:
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Reserve a block by moving the sequence on; nextval per id costs a round of WAL each.
                # Assumes no other writer inserts into this table during a bulk load (demo and benchmark).
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                               "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)", [table, table, self.block])
                end = cursor.fetchone()[0]
                self._ids = list(range(end - self.block + 1, end + 1))
                self._ids.reverse()
                return
            if self._next_sqlite is None:
                # SQLite serialises writers (IMMEDIATE transactions), so max(id)+1 is ours.
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608 - table name is ours
                self._next_sqlite = cursor.fetchone()[0] + 1
            self._ids = list(range(self._next_sqlite, self._next_sqlite + self.block))
            self._next_sqlite += self.block
        self._ids.reverse()

    def next(self) -> int:
        if not self._ids:
            self._fetch()
        return self._ids.pop()


class Sink:
    """Collects rows (dicts of attname -> value, including `id`) per model and writes them in batches."""

    def __init__(self, batch: int = BATCH):
        self.batch = batch
        self.rows: dict[type[models.Model], list[dict]] = defaultdict(list)
        self.ids: dict[type[models.Model], IdBlock] = {}
        self.written: dict[str, int] = defaultdict(int)
        self.now = timezone.now()
        # Parents must be written before children (foreign keys are checked at once on PostgreSQL).
        self.order: list[type[models.Model]] = []
        self._plans: dict = {}

    def new_id(self, model: type[models.Model]) -> int:
        if model not in self.ids:
            self.ids[model] = IdBlock(model, self.batch)
        return self.ids[model].next()

    def add(self, model: type[models.Model], row: dict) -> dict:
        if model not in self.order:
            self.order.append(model)
        self.rows[model].append(row)
        return row

    def maybe_flush(self) -> None:
        if any(len(rows) >= self.batch for rows in self.rows.values()):
            self.flush()

    def flush(self) -> None:
        for model in self.order:
            rows = self.rows[model]
            if rows:
                self._write(model, rows)
                self.written[model._meta.label] += len(rows)
                self.rows[model] = []

    def _write(self, model, rows: list[dict]) -> None:
        fields = [f for f in model._meta.concrete_fields]
        if connection.vendor == "postgresql":
            self._copy(model, fields, rows)
        else:
            model.objects.bulk_create([model(**row) for row in rows], batch_size=500)

    def _copy(self, model, fields, rows: list[dict]) -> None:
        if model not in self._plans:
            self._plans[model] = self._copy_plan(model, fields)
        sql, plan = self._plans[model]
        # COPY text format built here: psycopg's per-row adaptation is the slowest step at this volume.
        lines = []
        for row in rows:
            lines.append("\t".join([_copy_text(dumps(row.get(n, d)) if is_json else row.get(n, d))
                                    for n, d, is_json in plan]))
        lines.append("")
        with connection.cursor() as cursor:
            with cursor.cursor.copy(sql) as copy:
                copy.write("\n".join(lines))

    def _copy_plan(self, model, fields):
        defaults = {}
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults[f.attname] = self.now
            else:
                defaults[f.attname] = f.get_default()  # "" for text fields, None for nullable ones
        json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
        columns = ", ".join(f'"{f.column}"' for f in fields)
        plan = [(f.attname, defaults[f.attname], f.attname in json_fields) for f in fields]
        return f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN', plan
