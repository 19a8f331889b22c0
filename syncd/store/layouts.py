"""Field lists of stored canonical values, kept once per pipeline instead of once per record.

A record's values are stored as a JSON array; its ``layout`` names the field list (in
``record_layouts``) that turns the array back into ``{field: value}``. A layout's number is a hash of
its field list, so two transactions that meet a new field list at once both arrive at the same row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from syncd.store.models import metadata

TABLE = metadata.tables["record_layouts"]
Fields = tuple[str, ...]


def layout_number(fields: Sequence[str]) -> int:
    """The layout of ``fields``: the first 8 bytes of the SHA-256 of their JSON list, signed."""
    digest = hashlib.sha256(orjson.dumps(list(fields))).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Layouts:
    """The layouts of one transaction: read once per pipeline, written when a new field list appears."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._by_number: dict[str, dict[int, Fields]] = {}

    def fields(self, pipeline: str) -> dict[int, Fields]:
        """``{layout: field names}`` of every layout of ``pipeline``."""
        if pipeline not in self._by_number:
            query = select(TABLE.c.layout, TABLE.c.fields).where(TABLE.c.pipeline == pipeline)
            rows = self._connection.execute(query)
            self._by_number[pipeline] = {layout: tuple(fields) for layout, fields in rows}
        return self._by_number[pipeline]

    def field_names(self, pipeline: str, layout: int) -> Fields:
        """The fields of ``layout``, read again if another transaction stored it after this one looked."""
        known = self.fields(pipeline)
        if layout not in known:
            del self._by_number[pipeline]
            known = self.fields(pipeline)
        return known[layout]

    def number(self, pipeline: str, fields: Fields) -> int:
        """The layout of ``fields`` in ``pipeline``, stored first if it is new."""
        known = self.fields(pipeline)
        layout = layout_number(fields)
        if known.get(layout) == fields:
            return layout
        if layout in known:
            raise _collision(pipeline, fields, known[layout])
        self._store(pipeline, layout, fields)
        known[layout] = fields
        return layout

    def _store(self, pipeline: str, layout: int, fields: Fields) -> None:
        insert = postgresql.insert if self._connection.dialect.name == "postgresql" else sqlite.insert
        row: dict[str, Any] = {"pipeline": pipeline, "layout": layout, "fields": list(fields)}
        self._connection.execute(insert(TABLE).values(row).on_conflict_do_nothing())
        query = select(TABLE.c.fields).where(TABLE.c.pipeline == pipeline, TABLE.c.layout == layout)
        stored = tuple(self._connection.execute(query).scalar_one())
        if stored != fields:  # another field list with the same hash: refuse rather than mix them up
            raise _collision(pipeline, fields, stored)


def _collision(pipeline: str, fields: Fields, other: Fields) -> RuntimeError:
    return RuntimeError(
        f"record layout hash collision in pipeline {pipeline!r}: fields {list(fields)} and {list(other)}"
    )
