"""What both sides agreed on at the last sync, per record: canonical values, fingerprint, timestamps.

The engine compares a side's fingerprint with the stored one to find changes; only changed records
are read in full (:meth:`Records.get`) and written back (:meth:`Records.upsert`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection, RowMapping

from syncd.store.batch import LOOKUP_CHUNK, chunked, one_of
from syncd.store.bulk import (
    all_pairs,
    copy_text,
    differing_keys,
    fast_insert,
    fast_upsert,
    has_rows,
    lookup_pairs,
)
from syncd.store.layouts import Fields, Layouts
from syncd.store.models import metadata
from syncd.store.pages import forget_pages
from syncd.store.types import copy_utc, sqlite_utc

TABLE = metadata.tables["record_state"]
COLUMNS = [
    "pipeline",
    "source_key",
    "layout",
    "canonical_values",
    "fingerprint",
    "source_modified_at",
    "crm_modified_at",
    "synced_at",
]
#: Pages smaller than this compare their fingerprints inside the database.
SMALL_PAGE = 5_000
#: A page compares in Python against all stored pairs unless the pipeline holds this many times more.
FETCH_ALL_RATIO = 4
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_stdlib_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _encode(values: Iterable[Any]) -> str:
    """A compact JSON array; what orjson refuses (an integer over 64 bits, say) goes to the stdlib."""
    listed = list(values)
    try:
        return orjson.dumps(listed, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return _stdlib_encode(listed)


@dataclass(frozen=True)
class SyncedRecord:
    """A record as last synced. ``synced_at`` is set by the store when it is written."""

    key: str
    values: Mapping[str, Any]
    fingerprint: str
    source_modified_at: datetime | None = None
    crm_modified_at: datetime | None = None
    synced_at: datetime | None = None


class Records:
    """Record state of one transaction. The engine applies a snapshot page in one transaction as::

        with store.transaction() as tx:
            changed = set(tx.records.changed(pipeline, {key: fingerprint for each record of the page}))
            previous = tx.records.get(pipeline, changed)        # base values, only when it needs them
            ...                                                 # diff, plan, write to the other side
            tx.records.upsert(pipeline, [the SyncedRecord of each changed key])

    Pass the whole page to :meth:`changed` in one call: a large page is compared against one fetch of
    every stored fingerprint, far cheaper than :meth:`fingerprints` over the same keys. Pass the
    changed records to :meth:`upsert` in one call too: into a pipeline with no rows yet (the first
    load) it inserts without conflict handling, by ``COPY`` on PostgreSQL.
    """

    def __init__(self, connection: Connection, clock: Callable[[], datetime]) -> None:
        self._connection = connection
        self._clock = clock
        self._layouts = Layouts(connection)

    def fingerprints(self, pipeline: str, keys: Iterable[str]) -> dict[str, str]:
        """``{key: fingerprint}`` for the keys that were synced before."""
        wanted = ("source_key", "fingerprint")
        return dict(lookup_pairs(self._connection, TABLE, wanted, {"pipeline": pipeline}, list(keys)))

    def changed(self, pipeline: str, fingerprints: Mapping[str, str]) -> list[str]:
        """Keys whose fingerprint differs from the stored one, or that were never synced.

        A large page is compared in Python against every stored ``(key, fingerprint)`` pair of the
        pipeline, fetched in one query; a small page, or one much smaller than the pipeline (the
        fetch stops after ``FETCH_ALL_RATIO`` times the page), is compared inside the database so
        only the changed keys come back.
        """
        if len(fingerprints) >= SMALL_PAGE:
            limit = FETCH_ALL_RATIO * len(fingerprints)
            stored = all_pairs(self._connection, TABLE, ("source_key", "fingerprint"), pipeline, limit)
            if stored is not None:
                return [key for key, fingerprint in fingerprints.items() if stored.get(key) != fingerprint]
        return differing_keys(self._connection, TABLE, pipeline, fingerprints)

    def get(self, pipeline: str, keys: Iterable[str]) -> dict[str, SyncedRecord]:
        """The full stored state of the keys that were synced before."""
        found: dict[str, SyncedRecord] = {}
        for chunk in chunked(keys, LOOKUP_CHUNK):
            query = select(TABLE).where(
                TABLE.c.pipeline == pipeline, one_of(self._connection, TABLE.c.source_key, chunk)
            )
            for row in self._connection.execute(query):
                fields = self._layouts.field_names(pipeline, row.layout)
                found[row.source_key] = _record(row._mapping, fields)
        return found

    def upsert(self, pipeline: str, records: Iterable[SyncedRecord]) -> int:
        """Store these records as synced now; returns how many were written."""
        latest = {record.key: record for record in records}  # a key given twice: the last one wins
        postgres = self._connection.dialect.name == "postgresql"
        row = _copy_line if postgres else _sqlite_row
        synced_at = copy_utc(self._clock()) if postgres else sqlite_utc(self._clock())
        layouts: dict[Fields, int] = {}
        rows: list[Any] = []  # lines of COPY text on PostgreSQL, tuples for the driver on SQLite
        for record in latest.values():
            fields = tuple(record.values)
            layout = layouts.get(fields)
            if layout is None:
                layout = layouts[fields] = self._layouts.number(pipeline, fields)
            rows.append(row(pipeline, record, layout, synced_at))
        if rows:
            forget_pages(self._connection, pipeline)
        if rows and not has_rows(self._connection, TABLE, pipeline):
            fast_insert(self._connection, TABLE, COLUMNS, rows)  # a first load: every key is new
        else:
            fast_upsert(self._connection, TABLE, COLUMNS, rows, key=["pipeline", "source_key"])
        return len(rows)

    def delete(self, pipeline: str, keys: Iterable[str]) -> int:
        deleted = 0
        for chunk in chunked(keys, LOOKUP_CHUNK):
            where = one_of(self._connection, TABLE.c.source_key, chunk)
            deleted += self._connection.execute(
                delete(TABLE).where(TABLE.c.pipeline == pipeline, where)
            ).rowcount
        if deleted:
            forget_pages(self._connection, pipeline)
        return deleted

    def count(self, pipeline: str) -> int:
        query = select(func.count()).select_from(TABLE).where(TABLE.c.pipeline == pipeline)
        return int(self._connection.execute(query).scalar_one())


def _sqlite_row(
    pipeline: str, record: SyncedRecord, layout: int, synced_at: str
) -> tuple[str | int | None, ...]:
    return (
        pipeline,
        record.key,
        layout,
        _encode(record.values.values()),
        record.fingerprint,
        sqlite_utc(record.source_modified_at),
        sqlite_utc(record.crm_modified_at),
        synced_at,
    )


def _copy_line(pipeline: str, record: SyncedRecord, layout: int, synced_at: str) -> str:
    """The record as one line of ``COPY``'s text format, built without psycopg's per-value dispatch."""
    fields = (
        copy_text(pipeline),
        copy_text(record.key),
        str(layout),
        copy_text(_encode(record.values.values())),
        copy_text(record.fingerprint),
        copy_utc(record.source_modified_at),
        copy_utc(record.crm_modified_at),
        synced_at,
    )
    return "\t".join(fields) + "\n"


def _record(row: RowMapping, fields: Fields) -> SyncedRecord:
    return SyncedRecord(
        key=row["source_key"],
        values=dict(zip(fields, row["canonical_values"], strict=True)),
        fingerprint=row["fingerprint"],
        source_modified_at=row["source_modified_at"],
        crm_modified_at=row["crm_modified_at"],
        synced_at=row["synced_at"],
    )
