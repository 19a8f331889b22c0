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
