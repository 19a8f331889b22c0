"""Result rows turned into read items: records, tombstones and rejects.

A row's verdict depends, for every type but date-times, on its values' types alone, so the checks are
made once per combination of types met and remembered; a row of a known combination becomes a
record with one ``dict(zip(...))``. Date-times are the exception (a naive one takes the configured
zone), and any row of a combination that fails goes through the full per-field checks, which say
what is wrong with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from syncd import FieldType, ReadItem, Record, Rejected, Tombstone
from syncd_sql.schema import Schema

_NONE = type(None)
_UNSEEN: Any = object()


class RowReader:
    """Reads the rows of one stream's query (select :attr:`columns`)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._fields = schema.spec.fields
        self._names = tuple(field.name for field in self._fields)
        deleted = schema.options.deleted
        names = (*self._names, deleted) if deleted is not None and deleted not in self._names else self._names
        self.columns = [schema.column(name) for name in names]
        self._columns = names
        self._deleted = None if deleted is None else names.index(deleted)
        stamp = schema.options.updated_at
        self._stamp = None if stamp is None else names.index(stamp)
        # value types of a row -> positions of date-times to localise; None: check the row in full
        self._verdicts: dict[tuple[type, ...], tuple[int, ...] | None] = {}

    def item(self, row: Sequence[Any]) -> ReadItem:
        if self._deleted is not None and row[self._deleted] not in (None, False, 0):
            return self._checked(row)
        kinds = tuple(map(type, row))
        moments = self._verdicts.get(kinds, _UNSEEN)
        if moments is _UNSEEN:
            moments = self._verdicts[kinds] = self._judge(kinds)
        if moments is None:
            return self._checked(row)
        values = dict(zip(self._names, row, strict=False))
        for index in moments or ():
            name = self._names[index]
            values[name] = self.schema.from_db(name, row[index])
        return Record.owning(values)

    def stamp(self, row: Sequence[Any]) -> dt.datetime | None:
        """The row's updated-at value, for the cursor."""
        if self._stamp is None:
            return None
        value = self.schema.from_db(self._names[self._stamp], row[self._stamp])
        return value if isinstance(value, dt.datetime) else None

    def _judge(self, kinds: tuple[type, ...]) -> tuple[int, ...] | None:
        """Whether every row with values of these types is a good record, and where its date-times are."""
        moments = []
        for index, (field, kind) in enumerate(zip(self._fields, kinds, strict=False)):
            if kind is _NONE:
                continue
            if issubclass(kind, dt.datetime) and field.type is FieldType.DATETIME:
                moments.append(index)  # made zone-aware, so always a fit
            elif not field.accepts_every(kind):
                return None
        return tuple(moments)

    def _checked(self, row: Sequence[Any]) -> ReadItem:
        """The full way: each value converted and checked, naming the first column that does not fit."""
        schema = self.schema
        raw = row._mapping if isinstance(row, sa.Row) else dict(zip(self._columns, row, strict=True))
        values = {f.name: schema.from_db(f.name, raw[f.name]) for f in self._fields}
        key = {name: values[name] for name in schema.spec.key}
        deleted = schema.options.deleted
        if deleted is not None and raw[deleted] not in (None, False, 0):
            return Tombstone(key)
        for spec in self._fields:
            problem = spec.problem(values[spec.name])
            if problem:
                where = f"{schema.table.fullname}({', '.join(f'{k}={v!r}' for k, v in key.items())})"
                return Rejected(f"{where}: column {spec.name!r}: {problem}", where, key)
        return Record(values)
