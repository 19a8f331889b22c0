"""Reading a connector the way the conformance checks do: checked, to the end, by key."""

from __future__ import annotations

from typing import Any

from syncd.connector import Connector, Cursor, Record, StreamSpec, checked_read


def read_all(
    connector: Connector[Any], stream: str, cursor: Cursor | None = None
) -> tuple[list[Any], Cursor]:
    """Every item of a checked read, and its final cursor."""
    items = list(checked_read(connector, stream, cursor))
    final = items[-1]
    assert isinstance(final, Cursor)
    return items, final


def records_by_key(spec: StreamSpec, items: list[Any]) -> dict[tuple[Any, ...], list[Record]]:
    found: dict[tuple[Any, ...], list[Record]] = {}
    for item in items:
        if isinstance(item, Record):
            found.setdefault(spec.key_of(item.values), []).append(item)
    return found
