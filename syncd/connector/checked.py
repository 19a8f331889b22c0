"""Holding a connector to its declared streams.

:func:`checked_read` passes a connector's read through, item by item, and stops with a
:class:`~syncd.errors.ConnectorOutputError` at the first item that breaks the contract: a record
without its key, with an undeclared field or a value of the wrong type, a cursor that moves
backwards, a read that ends without a cursor. Everything yielded before that point has already been
handed on, so nothing the connector produced before is lost; the caller simply gets no new cursor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from syncd.connector.base import Connector
from syncd.connector.records import Change, Cursor, ReadItem, Record, Rejected, Tombstone, WriteOutcome
from syncd.connector.streams import StreamSpec
from syncd.errors import ConnectorOutputError


def describe_key(spec: StreamSpec, values: Mapping[str, Any]) -> str:
    """A record key as a person reads it: ``id=42`` or ``region='eu', id=42``."""
    return ", ".join(f"{name}={values.get(name)!r}" for name in spec.key)


def _fail(
    connector: str, spec: StreamSpec, problem: str, values: Mapping[str, Any] | None, field: str | None
) -> None:
    key = describe_key(spec, values) if values is not None else None
    where = f" (record {key})" if key else ""
    raise ConnectorOutputError(
        f"connector {connector!r}, stream {spec.name!r}{where}: {problem}",
        connector=connector,
        stream=spec.name,
        key=key,
        field=field,
    )


def check_record(connector: str, spec: StreamSpec, values: Mapping[str, Any]) -> None:
    """Raise ConnectorOutputError if ``values`` is not a record of ``spec``."""
    fields = spec.field_map
    for name in spec.key:
        if values.get(name) is None:
            _fail(connector, spec, f"key field {name!r} is missing", values, name)
    unknown = sorted(set(values) - set(fields))
    if unknown:
        _fail(connector, spec, f"field {unknown[0]!r} is not declared by the stream", values, unknown[0])
    for name, value in values.items():
        problem = fields[name].problem(value)
        if problem:
            _fail(connector, spec, f"field {name!r}: {problem}", values, name)


def check_tombstone(connector: str, spec: StreamSpec, key: Mapping[str, Any]) -> None:
    for name in spec.key:
        if key.get(name) is None:
            _fail(connector, spec, f"tombstone without key field {name!r}", key, name)
    extra = sorted(set(key) - set(spec.key))
    if extra:
        _fail(connector, spec, f"tombstone carries non-key field {extra[0]!r}", key, extra[0])


class RecordChecks:
    """:func:`check_record` for many records of one stream, remembering what a record's shape decides.

    Whether a record has its key, declares all its fields and holds values of the right types
    depends on its field names and value types alone, except for values whose fit depends on the
    value itself (a date-time's offset): so each shape met is checked in full once, and later
    records of that shape only have those values checked. A record that fails is checked in full,
    which raises with the first problem.
    """

    def __init__(self, connector: str, spec: StreamSpec) -> None:
        self._connector = connector
        self._spec = spec
        self._fields = spec.field_map
        # (field names, value types) -> the fields whose values are still checked one by one
        self._shapes: dict[tuple[tuple[str, ...], tuple[type, ...]], tuple[str, ...]] = {}

    def check(self, values: Mapping[str, Any]) -> None:
        shape = (tuple(values), tuple(map(type, values.values())))
        by_value = self._shapes.get(shape)
        if by_value is None:
            check_record(self._connector, self._spec, values)
            self._shapes[shape] = tuple(
                name for name, kind in zip(*shape, strict=True) if not self._fields[name].accepts_every(kind)
            )
        elif by_value and any(self._fields[name].problem(values[name]) for name in by_value):
            check_record(self._connector, self._spec, values)


def checked_read(connector: Connector[Any], stream: str, cursor: Cursor | None) -> Iterator[ReadItem]:
    """``connector.read(stream, cursor)``, each item checked against the stream's declaration."""
    spec = connector.stream(stream)
    records = RecordChecks(connector.name, spec)
    last = cursor
    ended_with_cursor = False
    for item in connector.read(stream, cursor):
        if type(item) is Record:  # most items: checked without the dispatch below
            records.check(item.values)
            ended_with_cursor = False
            yield item
            continue
        ended_with_cursor = isinstance(item, Cursor)
        _check_item(connector.name, spec, item, last)
        if isinstance(item, Cursor):
            last = item
        yield item
    if not ended_with_cursor:
        _fail(connector.name, spec, "read ended without a final cursor", None, None)


def _check_item(connector: str, spec: StreamSpec, item: object, last: Cursor | None) -> None:
    if isinstance(item, Record):
        check_record(connector, spec, item.values)
    elif isinstance(item, Tombstone):
        if not spec.capabilities.deletes:
            _fail(
                connector, spec, "yielded a tombstone but the stream does not declare deletes", item.key, None
            )
        check_tombstone(connector, spec, item.key)
    elif isinstance(item, Cursor):
        if item.moves_back_from(last):
            _fail(connector, spec, f"cursor moved backwards from {last} to {item}", None, None)
    elif not isinstance(item, Rejected):
        _fail(
            connector,
            spec,
            f"read yielded {type(item).__name__}, not a Record, Tombstone, Rejected or Cursor",
            None,
            None,
        )


def checked_write(connector: Connector[Any], stream: str, changes: Sequence[Change]) -> list[WriteOutcome]:
    """``connector.write(stream, changes)``, checking there is one outcome per change, in order."""
    spec = connector.stream(stream)
    if not spec.capabilities.write:
        _fail(connector.name, spec, "the stream does not declare write-back", None, None)
    outcomes = connector.write(stream, changes)
    if len(outcomes) != len(changes):
        _fail(
            connector.name,
            spec,
            f"write returned {len(outcomes)} outcomes for {len(changes)} changes",
            None,
            None,
        )
    for change, outcome in zip(changes, outcomes, strict=True):
        if dict(outcome.key) != dict(change.key):
            _fail(
                connector.name, spec, "write outcomes are not in the order of the changes", change.key, None
            )
    return outcomes
