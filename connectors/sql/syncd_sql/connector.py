"""The SQL connector: any table SQLAlchemy reflects (SQLite, PostgreSQL, MySQL/MariaDB)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from syncd import (
    Capabilities,
    Change,
    ConfigError,
    Connector,
    Cursor,
    FatalError,
    ReadItem,
    Record,
    Rejected,
    StreamSpec,
    Tombstone,
    WriteOutcome,
)
from syncd_sql.config import SqlConfig
from syncd_sql.schema import Schema, load_schema, unique_key
from syncd_sql.writer import write_changes


class SqlConnector(Connector[SqlConfig]):
    """Reads and writes tables.

    Reads page through the table in (updated-at, key) order. With ``updated_at``, a read given a
    cursor starts ``overlap_seconds`` before it, so rows committed late by long transactions are not
    missed; the key breaks ties between rows with one timestamp. Rows whose soft-delete column is
    set come back as tombstones. Writes are batched upserts on the key.
    """

    name = "sql"
    config_class = SqlConfig
    capabilities = Capabilities(incremental=True, write=True, deletes=True)

    def __init__(self, config: SqlConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self._engine: sa.Engine | None = None
        self._schemas: dict[str, Schema] = {}

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            try:
                self._engine = sa.create_engine(self.config.url.get_secret_value(), pool_pre_ping=True)
            except (sa.exc.ArgumentError, ImportError) as exc:
                raise ConfigError(f"connector {self.name!r}: cannot use url: {exc}", key="url") from None
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def check(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.DBAPIError as exc:
            reason = str(exc.orig or exc).strip()
            raise FatalError(f"connector {self.name!r}: cannot connect: {reason}") from None
        for stream in self.config.streams:
            schema = self._schema(stream)
            if not unique_key(schema.table, schema.options.key):
                raise ConfigError(
                    f"connector {self.name!r}, stream {stream!r}: key {schema.options.key} is neither the "
                    "primary key nor unique; write-back upserts need a unique constraint on it"
                )

    def streams(self) -> list[StreamSpec]:
        return [self._schema(stream).spec for stream in self.config.streams]

    def _schema(self, stream: str) -> Schema:
        if stream not in self.config.streams:
            self.stream(stream)  # raises, naming the streams there are
        if stream not in self._schemas:
            options = self.config.streams[stream]
            zone = ZoneInfo(self.config.timezone)
            self._schemas[stream] = load_schema(self.engine, stream, options, zone, self.name)
        return self._schemas[stream]

    def read(self, stream: str, cursor: Cursor | None) -> Iterator[ReadItem]:
        schema = self._schema(stream)
        since = cursor.position if cursor is not None and isinstance(cursor.position, dt.datetime) else None
        newest = since
        for page in self._pages(schema, since):
            for row in page:
                yield self._item(schema, row)
                stamp = self._stamp(schema, row)
                if stamp is not None and (newest is None or stamp > newest):
                    newest = stamp
            yield Cursor(newest)
        yield Cursor(newest)

    def _stamp(self, schema: Schema, row: sa.Row[Any]) -> dt.datetime | None:
        column = schema.options.updated_at
        if column is None:
            return None
        value = schema.from_db(column, row._mapping[column])
        return value if isinstance(value, dt.datetime) else None

    def _order(self, schema: Schema) -> list[sa.Column[Any]]:
        stamp = schema.options.updated_at
        ordered = [schema.column(stamp)] if stamp else []
        return [*ordered, *schema.key_columns]

    def _pages(self, schema: Schema, since: dt.datetime | None) -> Iterator[list[sa.Row[Any]]]:
        """The rows to read in pages of ``batch_size``, continuing each page after the last row (keyset)."""
        stamp = schema.options.updated_at
        order = self._order(schema) if since is not None else schema.key_columns
        query = sa.select(schema.table).order_by(*order).limit(self.config.batch_size)
        if since is not None and stamp is not None:
            start = since - dt.timedelta(seconds=self.config.overlap_seconds)
            query = query.where(schema.column(stamp) >= schema.to_db(stamp, start))
        after: tuple[Any, ...] | None = None
        while True:
            page_query = query if after is None else query.where(sa.tuple_(*order) > sa.tuple_(*after))
            with self.engine.connect() as connection:
                rows = list(connection.execute(page_query))
            if rows:
                yield rows
            if len(rows) < self.config.batch_size:
                return
            after = tuple(rows[-1]._mapping[column.name] for column in order)

    def _item(self, schema: Schema, row: sa.Row[Any]) -> ReadItem:
        raw = row._mapping
        values = {f.name: schema.from_db(f.name, raw[f.name]) for f in schema.spec.fields}
        key = {name: values[name] for name in schema.spec.key}
        deleted = schema.options.deleted
        if deleted is not None and raw[deleted] not in (None, False, 0):
            return Tombstone(key)
        for spec in schema.spec.fields:
            problem = spec.problem(values[spec.name])
            if problem:
                where = f"{schema.table.fullname}({', '.join(f'{k}={v!r}' for k, v in key.items())})"
                return Rejected(f"{where}: column {spec.name!r}: {problem}", where, key)
        return Record(values)

    def write(self, stream: str, changes: Sequence[Change]) -> list[WriteOutcome]:
        return write_changes(self.engine, self._schema(stream), changes, self.config.batch_size, self.clock())
