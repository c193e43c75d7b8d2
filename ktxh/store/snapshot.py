"""A Parquet snapshot of the store (:mod:`ktxh.io.parquet`): ``ktxh snapshot DIR``.

Everything is read in one consistent view of the database: a read-only
REPEATABLE READ transaction on PostgreSQL (run it against a read replica to keep
analytics off the primary: docs/deploy.md), a deferred read transaction on SQLite
(WAL: writers go on meanwhile). The values are read in blocks of org units, a few
million rows each (``COPY ... TO STDOUT`` as CSV on PostgreSQL, parsed by polars), and
each block becomes one part file, so memory stays bounded for a country's values.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from django.db import connection, transaction

from ktxh.io import parquet
from ktxh.store import models
from ktxh.store.frames import current_plan
from ktxh.store.sql import db_datetime, table

VALUE_SQL = (
    "SELECT indicator_id, orgunit_id, year, measure, value, printed, source, source_ref, "
    "seed_line, confidence, note, version, {updated_at}, updated_by FROM {table} "
    "WHERE orgunit_id IN ({units}) ORDER BY orgunit_id, indicator_id, year, measure"
)
# the time of a value's last change as UTC text, "2026-12-04 17:46:11.708397"
PG_UTC_TEXT = "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"


@dataclass
class Snapshot:
    directory: Path
    values: int = 0
    parts: int = 0
    counts: dict[str, int] = field(default_factory=dict)


@contextmanager
def _consistent_read() -> Iterator[None]:
    """One view of the database for every statement inside."""
    if connection.in_atomic_block:  # inside a transaction already: its view
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    # SQLite: Django would start its transactions IMMEDIATE (taking the write lock);
    # a deferred one reads a snapshot and lets writers go on (WAL)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("COMMIT")


def _blocks(limit: int) -> list[list[str]]:
    """The org units (in tree order) in blocks of at most ``limit`` values each."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT orgunit_id, COUNT(*) FROM {table(models.Value)} GROUP BY orgunit_id"
        )
        counts = dict(cursor.fetchall())
    blocks: list[list[str]] = [[]]
    size = 0
    for code in models.OrgUnit.objects.order_by("path").values_list("code", flat=True):
        n = int(counts.get(code, 0))
        if n == 0:
            continue
        if size and size + n > limit:
            blocks.append([])
            size = 0
        blocks[-1].append(code)
        size += n
    return blocks


def _read_block(units: list[str], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    marks = ", ".join(["%s"] * len(units))
    postgres = connection.vendor == "postgresql"
    sql = VALUE_SQL.format(
        table=table(models.Value),
        units=marks,
        updated_at=PG_UTC_TEXT if postgres else "updated_at",
    )
    raw: dict[str, pl.DataType] = {
        n: (pl.String() if isinstance(t, pl.Enum | pl.Categorical) else t)
        for n, t in schema.items()
    }
    raw["updated_at"] = pl.String()
    if postgres:
        buf = io.BytesIO()
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", units) as copy,
        ):
            for data in copy:
                buf.write(data)
        frame = pl.read_csv(buf.getvalue(), has_header=False, schema=raw)
        # COPY writes empty text as "" and NULL as nothing: text columns are never null
        texts = [n for n, t in schema.items() if t == pl.String()]
        frame = frame.with_columns(pl.col(texts).fill_null(""))
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, units)
            rows = [(*r[:12], _utc_text(r[12]), r[13]) for r in cursor.fetchall()]
        frame = pl.DataFrame(rows, schema=raw, orient="row")
    text = pl.col("updated_at")
    stamps = (
        pl.when(text.str.contains(".", literal=True))
        .then(text)
        .otherwise(text + ".000000")
        .str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us")
        .dt.replace_time_zone("UTC")
    )
    return frame.with_columns(stamps).cast(schema)  # type: ignore[arg-type]


def _utc_text(raw: object) -> str | None:
    """SQLite's timestamp (UTC) as PostgreSQL's :data:`PG_UTC_TEXT` gives it."""
    when = db_datetime(raw)
    return None if when is None else when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def take_snapshot(directory: Path, *, part_rows: int = parquet.PART_ROWS) -> Snapshot:
    """Write the store's plan as a Parquet snapshot into ``directory``."""
    directory = Path(directory)
    parquet.prepare(directory)
    out = Snapshot(directory)
    with _consistent_read():
        plan = current_plan()
        forms = [{**f.row, "form": f.number, "title": f.title} for f in models.Form.objects.all()]
        indicators = [
            {
                **{k: "" if v is None else str(v) for k, v in i.row.items()},
                "code": i.code,
                "form": i.form_id,
                "position": i.position,
                "name": i.name,
                "kind": i.kind,
                "parent": i.parent_code,
                "unit": i.unit,
                "decimals": i.decimals,
            }
            for i in models.Indicator.objects.order_by("form", "position")
        ]
        units = list(
            models.MeasureUnit.objects.order_by("order").values(
                "name", "dimension", "scale", "base", "share"
            )
        )
        tree = list(
            models.OrgUnit.objects.order_by("path").values(
                "code", "name", "level", "parent", "path", "valid_from", "valid_to"
            )
        )
        rounds = list(models.Round.objects.values("year", "due", "status"))
        for name, rows in (
            ("forms", forms),
            ("indicators", indicators),
            ("units", units),
            ("orgunits", tree),
            ("rounds", rounds),
        ):
            out.counts[name] = parquet.write_table(directory, name, rows)
        schema = parquet.value_schema(
            [str(i["code"]) for i in indicators],
            [str(u["code"]) for u in tree],
            list(models.Measure.values),
        )
        for n, block in enumerate(_blocks(part_rows)):
            frame = _read_block(block, schema) if block else pl.DataFrame(schema=schema)
            parquet.write_part(directory, n, frame)
            out.values += frame.height
            out.parts += 1
        position = _wal_position()
    out.counts["values"] = out.values
    parquet.write_manifest(
        directory,
        {
            "plan": plan.name,
            "title": plan.title,
            "reference_year": plan.reference_year,
            "top_orgunit": plan.top_orgunit,
            "loaded_at": plan.loaded_at.isoformat(),
            "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": connection.vendor,
            "wal_position": position,
            "counts": out.counts,
            "parts": out.parts,
        },
    )
    return out


def _wal_position() -> Any:
    """Where the database was (PostgreSQL's WAL position, also on a read replica)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text "
            "ELSE pg_current_wal_lsn()::text END"
        )
        return cursor.fetchone()[0]
