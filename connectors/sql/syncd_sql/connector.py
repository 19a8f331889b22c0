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
    StreamSpec,
    WriteOutcome,
)
from syncd_sql.config import SqlConfig
from syncd_sql.rows import RowReader
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
        """The rows in (updated-at, key) order from one streamed query, a cursor after each page.

        The query holds one connection (and, on most databases, one snapshot) until the read ends,
        so a caller drains the read before writing to the same database.
        """
        schema = self._schema(stream)
        since = cursor.position if cursor is not None and isinstance(cursor.position, dt.datetime) else None
        newest = since
        rows = RowReader(schema)
        with self.engine.connect() as connection:
            result = connection.execution_options(yield_per=self.config.batch_size).execute(
                self._query(schema, rows, since)
            )
            for page in result.partitions():
                for row in page:
                    item = rows.item(row)
                    yield item
                    stamp = rows.stamp(row)
                    if stamp is not None and (newest is None or stamp > newest):
                        newest = stamp
                yield Cursor(newest)
        yield Cursor(newest)

    def _query(self, schema: Schema, rows: RowReader, since: dt.datetime | None) -> sa.Select[Any]:
        stamp = schema.options.updated_at
        order = [schema.column(stamp)] if stamp and since is not None else []
        query = sa.select(*rows.columns).order_by(*order, *schema.key_columns)
        if since is not None and stamp is not None:
            start = since - dt.timedelta(seconds=self.config.overlap_seconds)
            query = query.where(schema.column(stamp) >= schema.to_db(stamp, start))
        return query

    def write(self, stream: str, changes: Sequence[Change]) -> list[WriteOutcome]:
        return write_changes(self.engine, self._schema(stream), changes, self.config.batch_size, self.clock())
