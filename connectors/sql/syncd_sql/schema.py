"""A stream's table as the connector sees it: reflected columns, their syncd types, and value conversion."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from syncd import Capabilities, ConfigError, FieldSpec, FieldType, StreamSpec
from syncd_sql.config import SqlStream

log = logging.getLogger(__name__)


def field_type(column_type: sa.types.TypeEngine[Any]) -> FieldType | None:
    """The syncd type of a column type; ``None`` for types the connector does not sync."""
    checks: list[tuple[type[Any], FieldType]] = [
        (sa.Boolean, FieldType.BOOLEAN),
        (sa.Integer, FieldType.INTEGER),
        (sa.Float, FieldType.FLOAT),
        (sa.Numeric, FieldType.DECIMAL),
        (sa.DateTime, FieldType.DATETIME),
        (sa.Date, FieldType.DATE),
        (sa.String, FieldType.STRING),
    ]
    for sa_type, kind in checks:
        if isinstance(column_type, sa_type):
            return kind
    return None


@dataclass(frozen=True)
class Schema:
    table: sa.Table
    spec: StreamSpec
    options: SqlStream
    zone: ZoneInfo

    def column(self, name: str) -> sa.Column[Any]:
        return self.table.c[name]

    @property
    def key_columns(self) -> list[sa.Column[Any]]:
        return [self.table.c[name] for name in self.spec.key]

    def from_db(self, name: str, value: Any) -> Any:
        """A value as read, made syncd-typed: naive timestamps get the configured zone."""
        if isinstance(value, dt.datetime) and value.utcoffset() is None:
            return value.replace(tzinfo=self.zone)
        return value

    def to_db(self, name: str, value: Any) -> Any:
        """A syncd value as the column stores it: naive timestamps in the configured zone."""
        if isinstance(value, dt.datetime) and not getattr(self.column(name).type, "timezone", False):
            return value.astimezone(self.zone).replace(tzinfo=None)
        return value


def load_schema(engine: sa.Engine, stream: str, options: SqlStream, zone: ZoneInfo, connector: str) -> Schema:
    where = f"connector {connector!r}, stream {stream!r}"
    try:
        table = sa.Table(options.table, sa.MetaData(), autoload_with=engine, schema=options.table_schema)
    except sa.exc.NoSuchTableError:
        raise ConfigError(f"{where}: no table {options.table!r}", connector=connector, key="table") from None
    internal = {options.deleted} - {None}
    wanted = options.columns or [c.name for c in table.columns if c.name not in internal]
    needed = [*options.key, *[c for c in (options.updated_at, options.deleted) if c]]
    for name in {*wanted, *needed}:
        if name not in table.c:
            known = ", ".join(c.name for c in table.columns)
            raise ConfigError(f"{where}: table {table.name!r} has no column {name!r} (columns: {known})")
    fields = _fields(table, [*dict.fromkeys([*options.key, *wanted])], where)
    spec = StreamSpec(
        name=stream,
        key=tuple(options.key),
        fields=fields,
        cursor_field=options.updated_at,
        capabilities=Capabilities(
            incremental=options.updated_at is not None, write=True, deletes=options.deleted is not None
        ),
    )
    return Schema(table, spec, options, zone)


def _fields(table: sa.Table, names: list[str], where: str) -> tuple[FieldSpec, ...]:
    fields = []
    for name in names:
        kind = field_type(table.c[name].type)
        if kind is None:
            log.warning("%s: column %r of type %s is not synced", where, name, table.c[name].type)
            continue
        fields.append(FieldSpec(name, kind))
    return tuple(fields)


def unique_key(table: sa.Table, key: list[str]) -> bool:
    """Whether the key columns are the primary key or a unique constraint/index (upserts need one)."""
    wanted = set(key)
    if {c.name for c in table.primary_key.columns} == wanted:
        return True
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and {c.name for c in constraint.columns} == wanted:
            return True
    return any(index.unique and {c.name for c in index.columns} == wanted for index in table.indexes)
