"""Applying CRM-side changes to a CSV file: upsert or delete by key, keeping every other column and row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from syncd import Change, ChangeKind, WriteOutcome
from syncd_csv.cells import format_cell
from syncd_csv.config import CsvConfig
from syncd_csv.schema import RowError, Schema
from syncd_csv.table import Layout, rewrite


def _index(schema: Schema, rows: list[list[str]]) -> dict[str, int]:
    """Row position by key id, for rows whose key parses (other rows are kept untouched)."""
    index: dict[str, int] = {}
    for position, cells in enumerate(rows[1:], start=1):
        try:
            index.setdefault(schema.key_id(schema.record(cells)), position)
        except RowError:
            continue
    return index


def _problem(schema: Schema, change: Change, encoding: str) -> str | None:
    fields = schema.spec.field_map
    for name, value in change.values.items():
        if name not in fields:
            return f"{schema.location} has no column {name!r}"
        problem = fields[name].problem(value)
        if problem:
            return f"field {name!r}: {problem}"
        try:
            format_cell(value).encode(encoding)
        except UnicodeEncodeError:
            return f"field {name!r}: {value!r:.60} cannot be written in {encoding}"
    missing = [name for name in schema.spec.key if change.key.get(name) is None]
    return f"key field {missing[0]!r} is missing" if missing else None


def _upsert(
    schema: Schema, rows: list[list[str]], index: dict[str, int], change: Change, now: dt.datetime
) -> None:
    values = dict(change.values)
    stamp = schema.spec.cursor_field
    if stamp is not None and stamp not in values:
        values[stamp] = now
    key_id = schema.key_id(change.key)
    position = index.get(key_id)
    if position is None:
        rows.append([""] * len(schema.header))
        position = index[key_id] = len(rows) - 1
    row = rows[position]
    for name, value in values.items():
        row[schema.header.index(name)] = format_cell(value)


def apply_changes(
    schema: Schema,
    rows: list[list[str]],
    changes: Sequence[Change],
    *,
    config: CsvConfig,
    layout: Layout,
    now: dt.datetime,
) -> list[WriteOutcome]:
    """Apply ``changes`` to ``rows`` (header first) and rewrite the file once, atomically."""
    index = _index(schema, rows)
    deleted: set[int] = set()
    outcomes: list[WriteOutcome] = []
    for change in changes:
        problem = _problem(schema, change, config.encoding)
        if problem is not None:
            outcomes.append(WriteOutcome.rejected(change.key, problem))
            continue
        if change.kind is ChangeKind.DELETE:
            position = index.pop(schema.key_id(change.key), None)
            if position is not None:
                deleted.add(position)
        else:
            _upsert(schema, rows, index, change, now)
        outcomes.append(WriteOutcome.applied(change.key))
    kept = [cells for position, cells in enumerate(rows) if position not in deleted]
    rewrite(schema.path, kept, encoding=config.encoding, delimiter=config.delimiter, layout=layout)
    return outcomes
