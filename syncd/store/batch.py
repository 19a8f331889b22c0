"""Statements over thousands of rows at once.

A 200,000-record snapshot page must not become 200,000 statements. Lookups pass all their keys as a
single parameter (a PostgreSQL array, a SQLite JSON array read with ``json_each``), so there is no
bound-parameter limit to chunk around; upserts are ``INSERT ... ON CONFLICT DO UPDATE`` executed over
a list of rows, which both drivers send as batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import ARRAY, ColumnElement, String, Table, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

#: Keys per lookup statement and rows per upsert statement.
LOOKUP_CHUNK = 50_000
WRITE_CHUNK = 5_000

T = TypeVar("T")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def one_of(connection: Connection, column: ColumnElement[str], values: Sequence[str]) -> ColumnElement[bool]:
    """``column IN values`` with ``values`` bound as one parameter."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String())))
    each = func.json_each(json.dumps(list(values))).table_valued("value")
    return column.in_(select(each.c.value))


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert ``rows``; where ``key`` already exists, overwrite the ``update`` columns."""
    if not rows:
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in update}
    )
    for chunk in chunked(rows, WRITE_CHUNK):
        connection.execute(statement, chunk)


# The two tables a snapshot page touches row by row (record state and ID map) take the driver-level
# path below: the rows arrive as tuples already in the database's format, and SQLAlchemy's per-row
# parameter processing (several times the cost of the database work itself) is skipped.


def lookup_pairs(
    connection: Connection,
    table: Table,
    want: tuple[str, str],
    where: Mapping[str, Any],
    among: Sequence[str],
) -> list[tuple[Any, Any]]:
    """``(want[0], want[1])`` of the rows matching ``where`` whose ``want[0]`` is one of ``among``."""
    found: list[tuple[Any, Any]] = []
    sql = _lookup_sql(connection, table, want, where)
    for chunk in chunked(among, LOOKUP_CHUNK):
        cursor = connection.exec_driver_sql(sql, (*where.values(), json.dumps(chunk)))
        found.extend(tuple(row) for row in cursor.fetchall())
    return found


def fast_upsert(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    key: Sequence[str],
) -> None:
    """Upsert ``rows`` (tuples in ``columns`` order, in the driver's format), overwriting non-key columns."""
    if not rows:
        return
    update = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in key)
    conflict = f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {update}"
    if connection.dialect.name == "postgresql":
        _upsert_copy(connection, table, columns, rows, conflict)
        return
    values = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({values}) {conflict}"
    for chunk in chunked(rows, LOOKUP_CHUNK):
        connection.exec_driver_sql(sql, chunk)


def driver_value(connection: Connection, table: Table, column: str, value: Any) -> Any:
    """``value`` converted as SQLAlchemy would before handing it to the driver."""
    processor = table.c[column].type._cached_bind_processor(connection.dialect)
    return value if processor is None or value is None else processor(value)


def _upsert_copy(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    conflict: str,
) -> None:
    # COPY into a session-local staging table, then one INSERT ... SELECT: the fastest way into
    # PostgreSQL, and the upsert stays a single statement.
    staging = f"syncd_staging_{table.name}"
    names = ", ".join(columns)
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} (LIKE {table.name}) ON COMMIT DELETE ROWS"
    )
    connection.exec_driver_sql(f"TRUNCATE {staging}")
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {staging} {conflict}")


def _lookup_sql(connection: Connection, table: Table, want: tuple[str, str], where: Mapping[str, Any]) -> str:
    placeholder = "%s" if connection.dialect.name == "postgresql" else "?"
    conditions = [f"{name} = {placeholder}" for name in where]
    # All the keys travel as one JSON array parameter.
    if placeholder == "%s":
        conditions.append(f"{want[0]} IN (SELECT jsonb_array_elements_text(%s::jsonb))")
    else:
        conditions.append(f"{want[0]} IN (SELECT value FROM json_each(?))")
    return f"SELECT {want[0]}, {want[1]} FROM {table.name} WHERE {' AND '.join(conditions)}"
