"""Plain SQL that the store's hot and bulk paths share, the same on SQLite and
PostgreSQL: key conditions, timestamps as raw queries return them, the cursor of the
statements every request runs (:func:`hot_cursor`), bulk inserts (``COPY`` on
PostgreSQL) and the reset of id sequences after them."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from types import SimpleNamespace
from typing import Any, cast

import polars as pl
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.utils import CursorWrapper
from django.db.models import Model

KEYS_PER_QUERY = 200  # keys in one "(a AND b) OR ..." condition (SQLite's depth limit)
ROWS_PER_BATCH = 50_000  # rows handed to executemany at once on SQLite


def where_keys(keys: Sequence[tuple[Any, ...]], columns: str) -> tuple[str, list[Any]]:
    """``(a=%s AND b=%s) OR ...`` for a few keys, and its parameters."""
    one = "(" + " AND ".join(f"{c} = %s" for c in columns.split()) + ")"
    return " OR ".join([one] * len(keys)), [x for k in keys for x in k]


@contextmanager
def hot_cursor() -> Iterator[CursorWrapper]:
    """A cursor for the few statements every request runs (the session, the user, the
    save of a cell). On PostgreSQL their parameters are bound by the server and each
    statement is prepared once per connection, so that the server neither parses nor
    plans it again (most of its cost: several joins and CTEs) and the client does not
    quote the parameters into the text; a statement is prepared only where the
    connection allows it (``prepare_threshold``, set for the pooled connections that
    go straight to PostgreSQL: ktxh.settings), else it is sent unprepared. Elsewhere,
    Django's own cursor. Either way Django's cursor wrapper runs it: its errors, its
    ``execute_wrappers`` and its query log apply as to any query."""
    db = connections[DEFAULT_DB_ALIAS]  # the thread's connection, looked up once
    if db.vendor != "postgresql":
        with db.cursor() as own:
            yield own
        return
    db.close_if_health_check_failed()  # what Django's own cursor() does first
    db.ensure_connection()
    db.validate_thread_sharing()
    with db.wrap_database_errors:
        raw: Any = _prepared_cursor()(db.connection)
    if db.queries_logged:
        raw.logged = True
        cursor: CursorWrapper = db.make_debug_cursor(raw)
    else:
        cursor = db.make_cursor(raw)
    with cursor:
        yield cursor


@cache
def _prepared_cursor() -> type[Any]:
    """psycopg's cursor (server-side binding) that asks for every statement to be
    prepared (the connection's ``prepare_threshold`` still decides whether it is); made
    on first use, so that a process on SQLite never imports psycopg."""
    import psycopg

    class PreparedCursor(psycopg.Cursor[Any]):
        logged = False  # Django's query log is on (DEBUG, tests counting queries)

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs.setdefault("prepare", True)
            done = super().execute(query, params, **kwargs)
            if self.logged:
                # what Django's log reads of a cursor (last_executed_query): the
                # statement with its parameters, as Django's own client-side binding
                # would send it
                text = cast(Any, connection.ops).compose_sql(query, params)  # PostgreSQL's
                self._query = SimpleNamespace(query=text.encode())  # type: ignore[assignment]
            return done

    return PreparedCursor


def db_datetime(raw: object) -> datetime | None:
    """A timestamp as a raw query returns it (SQLite gives UTC text), made aware."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(raw))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def binary_order(*columns: str) -> str:
    """``ORDER BY`` on text columns by their bytes, whatever the server's collation,
    so that a dump is the same file on SQLite and on PostgreSQL."""
    if connection.vendor == "postgresql":
        return ", ".join(f'{c} COLLATE "C"' for c in columns)
    return ", ".join(columns)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def insert_frame(model: type[Model], frame: pl.DataFrame) -> int:
    """Insert every row of ``frame`` (its columns named as the table's) into the
    model's table: ``COPY`` on PostgreSQL, batched ``executemany`` elsewhere.
    Datetime columns are aware ``pl.Datetime`` in UTC."""
    if frame.is_empty():
        return 0
    columns = ", ".join(connection.ops.quote_name(c) for c in frame.columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buf = io.BytesIO()
            frame.write_csv(buf, include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.f%:z")
            with cursor.cursor.copy(
                f"COPY {table(model)} ({columns}) FROM STDIN WITH (FORMAT csv)"
            ) as copy:
                copy.write(buf.getvalue())
        else:
            marks = ", ".join(["%s"] * frame.width)
            sql = f"INSERT INTO {table(model)} ({columns}) VALUES ({marks})"
            # timestamps as Django keeps them in SQLite: UTC text, microseconds when any
            frame = frame.with_columns(
                pl.when(pl.col(c).dt.microsecond() == 0)
                .then(pl.col(c).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S"))
                .otherwise(
                    pl.col(c).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%6f")
                )
                .alias(c)
                for c, dt in frame.schema.items()
                if isinstance(dt, pl.Datetime)
            )
            for chunk in frame.iter_slices(ROWS_PER_BATCH):
                cursor.executemany(sql, chunk.rows())
    return frame.height


def analyze(*models: type[Model]) -> None:
    """After a bulk load on PostgreSQL, the planner's statistics of the tables loaded:
    without them (autovacuum off, or not yet come by) a cell's look-up may take the
    wrong index and read hundreds of rows for one. ANALYZE counts the rows of the
    loading transaction itself. SQLite plans without statistics as well here."""
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for m in models:
                cursor.execute(f"ANALYZE {qn(m._meta.db_table)}")


def reset_sequences(*models: type[Model]) -> None:
    """After rows were inserted with ids of our own, the next id follows them.

    On PostgreSQL a sequence is never moved back: sequences are outside transactions, so
    a load inside a larger action that is rolled back (a plan started, a catalog
    replaced) would otherwise leave them below the ids of the rows that come back."""
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for m in models:
                table, pk = m._meta.db_table, str(m._meta.pk.column)
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
                seq = cursor.fetchone()[0]
                if seq is None:
                    continue
                cursor.execute(f"SELECT COALESCE(MAX({qn(pk)}), 0) FROM {qn(table)}")
                top = int(cursor.fetchone()[0])
                cursor.execute(f"SELECT last_value, is_called FROM {seq}")
                last, called = cursor.fetchone()
                used = int(last) if called else int(last) - 1
                value = max(top, used)
                cursor.execute("SELECT setval(%s, %s, %s)", [seq, max(value, 1), value >= 1])
        return
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for s in statements:
                cursor.execute(s)
