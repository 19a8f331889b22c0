"""Applying CRM-side changes to a CSV file: upsert or delete by key, keeping every other column and row.

A batch is planned first, in memory (it is the batch that is held, never the file): each change is
checked, and the good ones are grouped by key as steps to replay. The file is then copied row by row
into a temporary file beside it: the first valid row of each changed key is patched or dropped as its
steps say, every other row is copied as it is, the rows the batch creates are appended at the end,
and the copy replaces the file atomically. One pass over the file; memory grows with the batch only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from syncd import Change, ChangeKind, FieldSpec, WriteOutcome
from syncd_csv.cells import CellError, format_cell, parse_cell
from syncd_csv.config import CsvConfig
from syncd_csv.schema import RowError, Schema
from syncd_csv.table import Layout, Row, rewrite

Patch = tuple[tuple[int, str], ...]
"""New cell texts with their column positions (tuples: a batch holds many)."""

KeyText = tuple[str, ...]
"""A key as its cells are written (``format_cell`` of each key value): one key, one text."""


def _key_text(schema: Schema, key: Mapping[str, object]) -> KeyText:
    return tuple(format_cell(key[name]) for name in schema.spec.key)


Created = tuple[int, list[str]]
"""A row the batch creates, with the number of the change that created it (rows go in that order)."""


@dataclass
class Plan:
    """A checked batch: one outcome per change, in order, and by key the numbers of the changes to
    make (the changes themselves stay the caller's: a plan adds little to the batch it holds)."""

    schema: Schema
    changes: Sequence[Change]
    now: dt.datetime
    outcomes: list[WriteOutcome] = field(default_factory=list)
    edits: dict[KeyText, list[int]] = field(default_factory=dict)

    def replay(self, key: KeyText, found: list[str] | None) -> tuple[list[str] | None, Created | None]:
        """The file's row ``found`` after the key's changes (``None``: deleted or never there), and
        the row they create (``None``: none).

        An upsert patches the key's current row, or creates one when there is none; a delete drops
        the current row, so an upsert after it creates a new row at the end of the file.
        """
        kept = list(found) if found is not None else None
        created: Created | None = None
        for number in self.edits[key]:
            change = self.changes[number]
            if change.kind is ChangeKind.DELETE:
                if created is not None:
                    created = None
                else:
                    kept = None
                continue
            if kept is None and created is None:
                created = (number, [""] * len(self.schema.header))
            row = created[1] if created is not None else kept
            assert row is not None
            for position, text in _patch(self.schema, change, self.now):
                row[position] = text
        return kept, created


def _problem(schema: Schema, fields: Mapping[str, FieldSpec], change: Change, encoding: str) -> str | None:
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


def _patch(schema: Schema, change: Change, now: dt.datetime) -> Patch:
    values = dict(change.values)
    stamp = schema.spec.cursor_field
    if stamp is not None and stamp not in values:
        values[stamp] = now
    return tuple((schema.header.index(name), format_cell(value)) for name, value in values.items())


def plan_changes(schema: Schema, changes: Sequence[Change], *, encoding: str, now: dt.datetime) -> Plan:
    """Check every change and group the good ones by key; bad ones are rejected with the reason."""
    plan = Plan(schema, changes, now)
    fields = schema.spec.field_map
    for number, change in enumerate(changes):
        problem = _problem(schema, fields, change, encoding)
        if problem is not None:
            plan.outcomes.append(WriteOutcome.rejected(change.key, problem))
            continue
        plan.edits.setdefault(_key_text(schema, change.key), []).append(number)
        plan.outcomes.append(WriteOutcome.applied(change.key))
    return plan


def _row_key(schema: Schema, cells: list[str], key_positions: Sequence[int]) -> KeyText | None:
    """The key of a row whose key cells parse (only those: cheap for the rows no change names)."""
    if len(cells) != len(schema.header):
        return None
    key: dict[str, object] = {}
    for name, position in zip(schema.spec.key, key_positions, strict=True):
        try:
            key[name] = parse_cell(cells[position], schema.spec.field_map[name].type, schema.zone)
        except CellError:
            return None
        if key[name] is None:
            return None
    return _key_text(schema, key)


def _is_record(schema: Schema, cells: list[str]) -> bool:
    try:
        schema.record(cells)
    except RowError:
        return False
    return True


def edited_rows(rows: Iterable[Row], plan: Plan) -> Iterator[list[str]]:
    """``rows`` (header first) with the plan's edits made, then the rows it creates, in change order.

    Only the first valid row of a key is edited; a later row repeating the key, and a row that is
    not a valid record (it is rejected on read), are copied as they are.
    """
    schema = plan.schema
    key_positions = [schema.header.index(name) for name in schema.spec.key]
    replayed: set[KeyText] = set()
    created: list[Created] = []
    rows = iter(rows)
    header = next(rows, None)
    if header is not None:
        yield header.cells
    for row in rows:
        key = _row_key(schema, row.cells, key_positions)
        if key is None or key in replayed or key not in plan.edits or not _is_record(schema, row.cells):
            yield row.cells
            continue
        replayed.add(key)
        kept, new = plan.replay(key, row.cells)
        if kept is not None:
            yield kept
        if new is not None:
            created.append(new)
    for key in plan.edits:
        if key not in replayed:
            _, new = plan.replay(key, None)
            if new is not None:
                created.append(new)
    for _, cells in sorted(created, key=lambda pair: pair[0]):
        yield cells


def apply_changes(
    schema: Schema,
    rows: Iterable[Row],
    changes: Sequence[Change],
    *,
    config: CsvConfig,
    layout: Layout,
    now: dt.datetime,
) -> list[WriteOutcome]:
    """Apply ``changes`` to the file whose ``rows`` (header first) are read as it is rewritten, once,
    atomically; one outcome per change, in order."""
    plan = plan_changes(schema, changes, encoding=config.encoding, now=now)
    rewrite(
        schema.path,
        edited_rows(rows, plan),
        encoding=config.encoding,
        delimiter=config.delimiter,
        layout=layout,
    )
    return plan.outcomes
