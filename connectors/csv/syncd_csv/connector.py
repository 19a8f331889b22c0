"""The CSV connector: a folder of CSV files, one per stream."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator, Sequence

from syncd import (
    Capabilities,
    Change,
    ConfigError,
    Connector,
    Cursor,
    ReadItem,
    Record,
    Rejected,
    StreamSpec,
    Tombstone,
    WriteOutcome,
)
from syncd_csv.config import CsvConfig
from syncd_csv.digest import file_digest, new_digest
from syncd_csv.schema import RowError, Schema, load_schema
from syncd_csv.table import Row, layout_of, read_rows
from syncd_csv.writer import apply_changes


class CsvConnector(Connector[CsvConfig]):
    """Reads and writes the CSV files of a folder.

    A stream with ``updated_at`` reads incrementally: the rows whose timestamp is at or after the
    cursor (and rows with no timestamp), at least once. Without it, every read compares each row's
    fingerprint with the previous read's: only changed rows come back, and rows that disappeared
    come back as tombstones. Malformed rows come back as rejects with their line number.

    Either cursor keeps a digest of the file it was read from: while the file's bytes are the same,
    a read yields the cursor it was given and nothing else, without parsing a row. A write streams
    the file through once, holding only the batch of changes in memory (:mod:`syncd_csv.writer`).
    """

    name = "csv"
    config_class = CsvConfig
    capabilities = Capabilities(incremental=True, write=True, deletes=True)

    def check(self) -> None:
        directory = self.config.directory
        if not directory.is_dir():
            raise ConfigError(f"connector {self.name!r}: {directory} is not a directory", key="directory")
        if not os.access(directory, os.W_OK):
            raise ConfigError(f"connector {self.name!r}: {directory} is not writable (write-back needs it)")
        self.streams()

    def streams(self) -> list[StreamSpec]:
        return [self._schema(stream).spec for stream in self.config.streams]

    def _schema(self, stream: str) -> Schema:
        if stream not in self.config.streams:
            self.stream(stream)  # raises, naming the streams there are
        return load_schema(self.config, stream, self.name)

    def _rows(self, schema: Schema, digest: hashlib.blake2b) -> Iterator[Row]:
        rows = read_rows(schema.path, self.config.encoding, self.config.delimiter, digest=digest)
        next(rows, None)  # the header
        return rows

    def read(self, stream: str, cursor: Cursor | None) -> Iterator[ReadItem]:
        schema = self._schema(stream)
        if cursor is not None and self._unchanged_since(schema, cursor):
            return iter([cursor])
        digest = new_digest(schema, self.config)  # of the very bytes parsed, should the file change
        if schema.spec.cursor_field is not None:
            return self._read_incremental(schema, schema.spec.cursor_field, cursor, digest)
        return self._read_fingerprinted(schema, cursor, digest)

    def _unchanged_since(self, schema: Schema, cursor: Cursor) -> bool:
        """True when the file is byte for byte the one ``cursor`` was read from (older cursors: never)."""
        read_from = cursor.state.get("digest")
        return read_from is not None and read_from == file_digest(schema, self.config)

    def _rejected(self, schema: Schema, row: Row, error: RowError) -> Rejected:
        key = dict(zip(schema.spec.key, error.key_cells, strict=True)) if error.key_cells else None
        return Rejected(f"{schema.location} line {row.line}: {error}", f"{schema.location}:{row.line}", key)

    def _read_incremental(
        self, schema: Schema, column: str, cursor: Cursor | None, digest: hashlib.blake2b
    ) -> Iterator[ReadItem]:
        since = cursor.position if cursor and isinstance(cursor.position, dt.datetime) else None
        newest = since
        for row in self._rows(schema, digest):
            try:
                values = schema.record(row.cells)
            except RowError as error:
                yield self._rejected(schema, row, error)
                continue
            stamp = values[column]
            if stamp is None or since is None or stamp >= since:
                yield Record(values)
            if stamp is not None and (newest is None or stamp > newest):
                newest = stamp
        yield Cursor(newest, {"digest": digest.hexdigest()})

    def _read_fingerprinted(
        self, schema: Schema, cursor: Cursor | None, digest: hashlib.blake2b
    ) -> Iterator[ReadItem]:
        previous: dict[str, str] = dict(cursor.state.get("fingerprints", {})) if cursor else {}
        current: dict[str, str] = {}
        unknown_rejects = False
        for row in self._rows(schema, digest):
            try:
                values = schema.record(row.cells)
            except RowError as error:
                yield self._rejected(schema, row, error)
                unknown_rejects |= self._keep_previous(schema, error, previous, current)
                continue
            key_id, fingerprint = schema.key_id(values), schema.fingerprint(row.cells)
            if key_id in current:
                yield Rejected(
                    f"{schema.location} line {row.line}: repeats key {key_id}",
                    f"{schema.location}:{row.line}",
                )
                continue
            current[key_id] = fingerprint
            if previous.get(key_id) != fingerprint:
                yield Record(values)
        yield from self._tombstones(schema, previous, current, unknown_rejects)
        generation = cursor.position if cursor and isinstance(cursor.position, int) else 0
        yield Cursor(generation + 1, {"fingerprints": current, "digest": digest.hexdigest()})

    @staticmethod
    def _keep_previous(
        schema: Schema, error: RowError, previous: dict[str, str], current: dict[str, str]
    ) -> bool:
        """Keep a rejected row's fingerprint so it is not taken for a delete; True if its key is unknown."""
        if error.key_cells is None:
            return True
        key_id = schema.key_id(dict(zip(schema.spec.key, error.key_cells, strict=True)))
        if key_id in previous:
            current[key_id] = previous[key_id]
        return False

    def _tombstones(
        self, schema: Schema, previous: dict[str, str], current: dict[str, str], unknown_rejects: bool
    ) -> Iterator[ReadItem]:
        gone = [key_id for key_id in previous if key_id not in current]
        if unknown_rejects:  # a rejected row may be one of them: believe no delete this time
            current.update({key_id: previous[key_id] for key_id in gone})
            return
        for key_id in gone:
            yield Tombstone(schema.key_from_id(key_id))

    def write(self, stream: str, changes: Sequence[Change]) -> list[WriteOutcome]:
        schema = self._schema(stream)
        rows = read_rows(schema.path, self.config.encoding, self.config.delimiter)
        layout = layout_of(schema.path, self.config.encoding)
        return apply_changes(schema, rows, changes, config=self.config, layout=layout, now=self.clock())
