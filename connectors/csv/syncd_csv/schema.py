"""A stream's file as the connector sees it: header, typed columns, key, and how rows become records."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from syncd import Capabilities, ConfigError, FieldSpec, FieldType, StreamSpec
from syncd_csv.cells import CellError, format_cell, parse_cell
from syncd_csv.config import CsvConfig
from syncd_csv.table import read_header


class RowError(ValueError):
    """A row that cannot become a record; ``key_cells`` is what is known of its key."""

    def __init__(self, reason: str, key_cells: tuple[str, ...] | None) -> None:
        super().__init__(reason)
        self.key_cells = key_cells


@dataclass(frozen=True)
class Schema:
    path: Path
    header: list[str]
    spec: StreamSpec
    zone: ZoneInfo

    @property
    def location(self) -> str:
        return self.path.name

    def key_cells(self, cells: list[str]) -> tuple[str, ...] | None:
        if len(cells) != len(self.header):
            return None
        return tuple(cells[self.header.index(name)] for name in self.spec.key)

    def record(self, cells: list[str]) -> dict[str, Any]:
        """The typed values of a row; :class:`RowError` naming the column when a cell is wrong."""
        if len(cells) != len(self.header):
            raise RowError(f"has {len(cells)} columns, the header has {len(self.header)}", None)
        values: dict[str, Any] = {}
        for column, cell in zip(self.header, cells, strict=True):
            try:
                values[column] = parse_cell(cell, self.spec.field_map[column].type, self.zone)
            except CellError as exc:
                raise RowError(f"column {column!r}: {exc}", self.key_cells(cells)) from None
        missing = [name for name in self.spec.key if values[name] is None]
        if missing:
            raise RowError(f"key column {missing[0]!r} is empty", None)
        return values

    def key_id(self, values: Mapping[str, Any]) -> str:
        """A stable text id of a record key, for fingerprints and indexes."""
        return json.dumps([format_cell(values[name]) for name in self.spec.key])

    def key_from_id(self, key_id: str) -> dict[str, Any]:
        cells = json.loads(key_id)
        return {
            name: parse_cell(cell, self.spec.field_map[name].type, self.zone)
            for name, cell in zip(self.spec.key, cells, strict=True)
        }

    @staticmethod
    def fingerprint(cells: list[str]) -> str:
        return hashlib.blake2b(json.dumps(cells).encode(), digest_size=12).hexdigest()


def load_schema(config: CsvConfig, stream: str, connector: str) -> Schema:
    """Read the stream's header and check the configured key, types and timestamp column against it."""
    options = config.streams[stream]
    path = config.file_of(stream)
    header = read_header(path, config.encoding, config.delimiter)
    where = f"connector {connector!r}, stream {stream!r} ({path.name})"
    if "" in header or len(set(header)) != len(header):
        raise ConfigError(f"{where}: header columns must be named and unique: {header}", connector=connector)
    types = dict(options.fields)
    if options.updated_at is not None:
        types.setdefault(options.updated_at, FieldType.DATETIME)
    for column in [*options.key, *types]:
        if column not in header:
            raise ConfigError(
                f"{where}: no column {column!r} (columns: {', '.join(header)})", connector=connector
            )
    incremental = options.updated_at is not None
    spec = StreamSpec(
        name=stream,
        key=tuple(options.key),
        fields=tuple(FieldSpec(column, types.get(column, FieldType.STRING)) for column in header),
        cursor_field=options.updated_at,
        capabilities=Capabilities(incremental=incremental, write=True, deletes=not incremental),
    )
    return Schema(path, header, spec, ZoneInfo(config.timezone))
