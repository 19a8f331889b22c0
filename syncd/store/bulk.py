"""The driver-level path for the two tables a snapshot page touches row by row.

Record state and ID map see 200,000 rows per page. Their rows go to the driver as plain tuples
already in the database's format, through the DB-API cursor of the current transaction: SQLAlchemy's
per-row parameter and result processing costs several times the database work itself. Keys travel as
one JSON parameter (no bound-parameter limit); PostgreSQL receives bulk rows by ``COPY``, either as
tuples psycopg formats or as lines already in ``COPY``'s text format (see :func:`copy_text`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from syncd.store.batch import LOOKUP_CHUNK, chunked

#: Lines per write when a ``COPY`` is fed ready-made text.
COPY_CHUNK = 10_000


def driver_format(connection: Connection, table: Table, column: str) -> Callable[[Any], Any]:
    """Converts a value of ``column`` as SQLAlchemy would before handing it to the driver."""
    processor = table.c[column].type._cached_bind_processor(connection.dialect)
    if processor is None:
        return _unchanged
    convert = processor
    return lambda value: None if value is None else convert(value)


def _unchanged(value: Any) -> Any:
    return value


def lookup_pairs(
    connection: Connection,
    table: Table,
    want: tuple[str, str],
    where: Mapping[str, Any],
    among: Sequence[str],
) -> list[tuple[Any, Any]]:
    """``(want[0], want[1])`` of the rows matching ``where`` whose ``want[0]`` is one of ``among``."""
    postgres = _is_postgresql(connection)
    mark = "%s" if postgres else "?"
    conditions = [f"{name} = {mark}" for name in where]
    elements = "SELECT jsonb_array_elements_text(%s::jsonb)" if postgres else "SELECT value FROM json_each(?)"
    conditions.append(f"{want[0]} IN ({elements})")
    sql = f"SELECT {want[0]}, {want[1]} FROM {table.name} WHERE {' AND '.join(conditions)}"
    found: list[tuple[Any, Any]] = []
    with _cursor(connection) as cursor:
        for chunk in chunked(among, LOOKUP_CHUNK):
            cursor.execute(sql, (*where.values(), json.dumps(chunk)))
            found.extend(cursor.fetchall())
    return found


def differing_keys(
    connection: Connection, table: Table, pipeline: str, fingerprints: Mapping[str, str]
) -> list[str]:
    """Keys of ``fingerprints`` whose stored fingerprint differs or is missing, compared in the database."""
    if _is_postgresql(connection):
        each, mark = "json_each_text(%s::json)", "%s"
    else:
        each, mark = "json_each(?)", "?"
    sql = (
        f"SELECT j.key FROM {each} AS j WHERE NOT EXISTS (SELECT 1 FROM {table.name} AS r "
        f"WHERE r.pipeline = {mark} AND r.source_key = j.key AND r.fingerprint = j.value)"
    )
    differing: list[str] = []
    with _cursor(connection) as cursor:
        for chunk in chunked(fingerprints.items(), LOOKUP_CHUNK):
            cursor.execute(sql, (json.dumps(dict(chunk)), pipeline))
            differing.extend(key for (key,) in cursor.fetchall())
    return differing


def all_pairs(
    connection: Connection, table: Table, want: tuple[str, str], pipeline: str, limit: int
) -> dict[Any, Any] | None:
    """``{want[0]: want[1]}`` over every row of ``pipeline`` in one query, or ``None`` if it holds
    more than ``limit`` rows (then fetching them all would cost more than it saves)."""
    mark = "%s" if _is_postgresql(connection) else "?"
    sql = f"SELECT {want[0]}, {want[1]} FROM {table.name} WHERE pipeline = {mark} LIMIT {mark}"
    with _cursor(connection) as cursor:
        cursor.execute(sql, (pipeline, limit + 1))
        pairs = cursor.fetchall()
    return dict(pairs) if len(pairs) <= limit else None


def has_rows(connection: Connection, table: Table, pipeline: str) -> bool:
    mark = "%s" if _is_postgresql(connection) else "?"
    with _cursor(connection) as cursor:
        cursor.execute(f"SELECT 1 FROM {table.name} WHERE pipeline = {mark} LIMIT 1", (pipeline,))
        return cursor.fetchone() is not None


def copy_text(value: str) -> str:
    """``value`` as one field of ``COPY``'s text format: backslash, tab, newline and return escaped."""
    if "\\" in value:  # JSON text often holds one; str.replace is many times faster than translate
        value = value.replace("\\", "\\\\")
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


#: Rows: tuples in the driver's format, or on PostgreSQL lines in ``COPY``'s text format.
Rows = Sequence[tuple[Any, ...]] | Sequence[str]


def fast_insert(connection: Connection, table: Table, columns: Sequence[str], rows: Rows) -> None:
    """Insert ``rows`` whose keys are all new: ``COPY`` straight into the table on PostgreSQL.

    A key that already exists is an integrity error, as with any ``INSERT``.
    """
    names = ", ".join(columns)
    with _cursor(connection) as cursor:
        if _is_postgresql(connection):
            _copy(cursor, f"COPY {table.name} ({names}) FROM STDIN", rows)
            return
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


def fast_upsert(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Rows,
    *,
    key: Sequence[str],
) -> None:
    """Upsert ``rows`` (in ``columns`` order, in the driver's format), overwriting non-key columns."""
    if not rows:
        return
    update = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in key)
    conflict = f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {update}"
    if _is_postgresql(connection):
        _upsert_by_copy(connection, table, columns, rows, conflict)
        return
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks}) {conflict}"
    with _cursor(connection) as cursor:
        for chunk in chunked(rows, LOOKUP_CHUNK):
            cursor.executemany(sql, chunk)


def _upsert_by_copy(
    connection: Connection, table: Table, columns: Sequence[str], rows: Rows, conflict: str
) -> None:
    # COPY into a session-local staging table, then a single INSERT ... SELECT ... ON CONFLICT.
    staging = f"syncd_staging_{table.name}"
    names = ", ".join(columns)
    with _cursor(connection) as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} (LIKE {table.name}) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"TRUNCATE {staging}")
        _copy(cursor, f"COPY {staging} ({names}) FROM STDIN", rows)
        cursor.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {staging} {conflict}")


def _copy(cursor: Any, sql: str, rows: Rows) -> None:
    with cursor.copy(sql) as copy:
        if rows and isinstance(rows[0], str):
            for chunk in chunked(cast(Sequence[str], rows), COPY_CHUNK):
                copy.write("".join(chunk))
            return
        for row in rows:
            copy.write_row(row)


@contextmanager
def _cursor(connection: Connection) -> Iterator[Any]:
    """The DB-API cursor of ``connection``'s current transaction."""
    cursor = connection.connection.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def _is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"
