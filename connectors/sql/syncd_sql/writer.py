"""Applying CRM-side changes to a table: batched upserts on the key, deletes hard or soft."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite

from syncd import Change, ChangeKind, TransientError, WriteOutcome
from syncd_sql.schema import Schema


def _problem(schema: Schema, change: Change) -> str | None:
    fields = schema.spec.field_map
    for name, value in change.values.items():
        if name not in fields:
            return f"table {schema.table.name!r} has no synced column {name!r}"
        problem = fields[name].problem(value)
        if problem:
            return f"field {name!r}: {problem}"
    missing = [name for name in schema.spec.key if change.key.get(name) is None]
    return f"key field {missing[0]!r} is missing" if missing else None


def _deleted_value(schema: Schema, now: dt.datetime) -> Any:
    column = schema.column(schema.options.deleted or "")
    if isinstance(column.type, sa.Boolean):
        return True
    if isinstance(column.type, sa.DateTime):
        return schema.to_db(column.name, now)
    return 1


def _alive_value(column: sa.Column[Any]) -> Any:
    """Not deleted: a flag (BOOLEAN, or MySQL's TINYINT) is false, a timestamp is NULL."""
    if isinstance(column.type, sa.Boolean | sa.Integer):
        return False
    return None


def _upsert_row(schema: Schema, change: Change, now: dt.datetime) -> dict[str, Any]:
    row = {name: schema.to_db(name, value) for name, value in change.values.items()}
    stamp, deleted = schema.options.updated_at, schema.options.deleted
    if stamp is not None and stamp not in row:
        row[stamp] = schema.to_db(stamp, now)
    if deleted is not None:  # a record written from the CRM is alive again
        row[deleted] = _alive_value(schema.column(deleted))
    return row


def _upsert_statement(engine: sa.Engine, schema: Schema, columns: Sequence[str]) -> sa.Executable:
    table, key = schema.table, schema.spec.key
    updated = [name for name in columns if name not in key]
    dialect = engine.dialect.name
    if dialect in {"postgresql", "sqlite"}:
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        if not updated:
            return insert.on_conflict_do_nothing(index_elements=list(key))
        return insert.on_conflict_do_update(
            index_elements=list(key), set_={name: insert.excluded[name] for name in updated}
        )
    if dialect in {"mysql", "mariadb"}:
        mysql_insert = mysql.insert(table)
        refresh = updated or list(key)
        return mysql_insert.on_duplicate_key_update({name: mysql_insert.inserted[name] for name in refresh})
    raise NotImplementedError(
        f"write-back to {dialect} is not supported (SQLite, PostgreSQL, MySQL/MariaDB are)"
    )


def _delete_statement(schema: Schema, change: Change, now: dt.datetime) -> sa.Executable:
    where = sa.and_(
        *(schema.column(name) == schema.to_db(name, change.key[name]) for name in schema.spec.key)
    )
    if schema.options.deleted is None:
        return sa.delete(schema.table).where(where)
    values = {schema.options.deleted: _deleted_value(schema, now)}
    if schema.options.updated_at is not None:
        values[schema.options.updated_at] = schema.to_db(schema.options.updated_at, now)
    return sa.update(schema.table).where(where).values(values)


def _apply(
    connection: sa.Connection, engine: sa.Engine, schema: Schema, changes: Sequence[Change], now: dt.datetime
) -> None:
    """Apply ``changes`` on ``connection``: upserts grouped by their columns, one executemany each."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        if change.kind is ChangeKind.DELETE:
            connection.execute(_delete_statement(schema, change, now))
            continue
        row = _upsert_row(schema, change, now)
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for columns, rows in groups.items():
        connection.execute(_upsert_statement(engine, schema, columns), rows)


def _reason(error: sa.exc.DBAPIError) -> str:
    return str(error.orig).strip().splitlines()[0] if error.orig else str(error)


def write_changes(
    engine: sa.Engine, schema: Schema, changes: Sequence[Change], batch_size: int, now: dt.datetime
) -> list[WriteOutcome]:
    """Apply ``changes`` in batches, one transaction each; a batch that fails is retried row by row."""
    outcomes: dict[int, WriteOutcome] = {}
    valid: list[tuple[int, Change]] = []
    for position, change in enumerate(changes):
        problem = _problem(schema, change)
        if problem is not None:
            outcomes[position] = WriteOutcome.rejected(change.key, problem)
        else:
            valid.append((position, change))
    for start in range(0, len(valid), batch_size):
        outcomes.update(_write_batch(engine, schema, valid[start : start + batch_size], now))
    return [outcomes[position] for position in range(len(changes))]


def _write_batch(
    engine: sa.Engine, schema: Schema, batch: list[tuple[int, Change]], now: dt.datetime
) -> dict[int, WriteOutcome]:
    try:
        with engine.begin() as connection:
            _apply(connection, engine, schema, [change for _, change in batch], now)
    except (sa.exc.IntegrityError, sa.exc.DataError):
        return _write_one_by_one(engine, schema, batch, now)  # find the rows the database refuses
    except sa.exc.OperationalError as exc:
        raise TransientError(f"writing to {schema.table.fullname} failed: {_reason(exc)}") from None
    return {position: WriteOutcome.applied(change.key) for position, change in batch}


def _write_one_by_one(
    engine: sa.Engine, schema: Schema, batch: list[tuple[int, Change]], now: dt.datetime
) -> dict[int, WriteOutcome]:
    outcomes = {}
    for position, change in batch:
        try:
            with engine.begin() as connection:
                _apply(connection, engine, schema, [change], now)
        except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
            outcomes[position] = WriteOutcome.rejected(change.key, _reason(exc))
        else:
            outcomes[position] = WriteOutcome.applied(change.key)
    return outcomes
