"""Which CRM record each source record is, unique both ways within a pipeline."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from syncd.errors import FatalError
from syncd.store.batch import LOOKUP_CHUNK, chunked, one_of
from syncd.store.bulk import driver_format, fast_upsert, lookup_pairs
from syncd.store.models import metadata
from syncd.store.pages import forget_pages

TABLE = metadata.tables["id_map"]
STATE = metadata.tables["record_state"]
COLUMNS = ["pipeline", "source_key", "crm_id", "updated_at"]


class IdMap:
    def __init__(self, connection: Connection, clock: Callable[[], datetime]) -> None:
        self._connection = connection
        self._clock = clock

    def crm_ids(self, pipeline: str, source_keys: Iterable[str]) -> dict[str, str]:
        """``{source key: CRM id}`` for the keys that are mapped."""
        return dict(self._lookup(pipeline, "source_key", "crm_id", source_keys))

    def source_keys(self, pipeline: str, crm_ids: Iterable[str]) -> dict[str, str]:
        """``{CRM id: source key}`` for the CRM ids that are mapped."""
        return dict(self._lookup(pipeline, "crm_id", "source_key", crm_ids))

    def seen_before(self, pipeline: str, hashes: Mapping[str, str]) -> dict[str, tuple[str, bool]]:
        """``{CRM id: (source key, unchanged)}`` for the mapped ids of ``hashes`` (CRM id -> raw hash).

        A record is unchanged when its stored :meth:`remember_raw` value is its raw hash joined with
        the record state's current fingerprint. Any later change of the record state (a write, a
        held conflict, a resolution) changes that fingerprint, so a stale hash never matches. One
        query per few thousand ids, as :meth:`crm_ids`.
        """
        postgres = self._connection.dialect.name == "postgresql"
        mark = "%s" if postgres else "?"
        ids = "SELECT jsonb_array_elements_text(%s::jsonb)" if postgres else "SELECT value FROM json_each(?)"
        sql = (  # plain SQL through the driver: this runs for every row of every snapshot
            f"SELECT m.crm_id, m.source_key, m.crm_fingerprint, r.fingerprint FROM {TABLE.name} m "
            f"LEFT JOIN {STATE.name} r ON r.pipeline = m.pipeline AND r.source_key = m.source_key "
            f"WHERE m.pipeline = {mark} AND m.crm_id IN ({ids})"
        )
        found: dict[str, tuple[str, bool]] = {}
        cursor = self._connection.connection.cursor()  # the driver's own: no per-row result processing
        try:
            rows: list[tuple[str, str, str | None, str | None]] = []
            for chunk in chunked(hashes, LOOKUP_CHUNK):
                cursor.execute(sql, (pipeline, json.dumps(chunk)))
                rows.extend(cursor.fetchall())
        finally:
            cursor.close()
        for crm_id, key, remembered, fingerprint in rows:
            raw = hashes[crm_id]
            found[crm_id] = (key, bool(raw) and remembered == f"{raw}:{fingerprint}")
        return found

    def remember_raw(self, pipeline: str, raw: Mapping[str, tuple[str, str] | None]) -> None:
        """``{source key: (raw hash, record-state fingerprint) or None}``: what :meth:`seen_before`
        compares with (None forgets it)."""
        if not raw:
            return
        statement = (
            update(TABLE)
            .where(TABLE.c.pipeline == bindparam("p"), TABLE.c.source_key == bindparam("k"))
            .values(crm_fingerprint=bindparam("f"))
        )
        rows = [
            {"p": pipeline, "k": key, "f": None if pair is None else f"{pair[0]}:{pair[1]}"}
            for key, pair in raw.items()
        ]
        forget_pages(self._connection, pipeline)
        self._connection.execute(statement, rows)

    def upsert(self, pipeline: str, mapping: Mapping[str, str]) -> None:
        """Map each source key to its CRM id, replacing an older mapping of the same key.

        A CRM id already mapped to a different key is refused (:class:`FatalError` naming the pairs):
        two source records would otherwise write to the same CRM record.
        """
        if mapping:
            forget_pages(self._connection, pipeline)
        now = driver_format(self._connection, TABLE, "updated_at")(self._clock())
        rows = [(pipeline, key, crm_id, now) for key, crm_id in mapping.items()]
        try:
            with self._connection.begin_nested():
                fast_upsert(self._connection, TABLE, COLUMNS, rows, key=["pipeline", "source_key"])
        except (IntegrityError, self._connection.dialect.loaded_dbapi.IntegrityError):
            raise self._clash(pipeline, mapping) from None

    def delete(self, pipeline: str, source_keys: Iterable[str]) -> int:
        deleted = 0
        for chunk in chunked(source_keys, LOOKUP_CHUNK):
            where = one_of(self._connection, TABLE.c.source_key, chunk)
            result = self._connection.execute(delete(TABLE).where(TABLE.c.pipeline == pipeline, where))
            deleted += result.rowcount
        if deleted:
            forget_pages(self._connection, pipeline)
        return deleted

    def count(self, pipeline: str) -> int:
        query = select(func.count()).select_from(TABLE).where(TABLE.c.pipeline == pipeline)
        return int(self._connection.execute(query).scalar_one())

    def _lookup(self, pipeline: str, by: str, want: str, values: Iterable[str]) -> list[tuple[str, str]]:
        return lookup_pairs(self._connection, TABLE, (by, want), {"pipeline": pipeline}, list(values))

    def _clash(self, pipeline: str, mapping: Mapping[str, str]) -> FatalError:
        given = Counter(mapping.values())
        taken = self.source_keys(pipeline, given)
        problems = [f"{crm_id} is given for {n} keys" for crm_id, n in given.items() if n > 1]
        problems += [
            f"{crm_id} is already mapped to {taken[crm_id]!r}, not {key!r}"
            for key, crm_id in mapping.items()
            if taken.get(crm_id, key) != key
        ]
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        return FatalError(f"a CRM id can map to one source key only: {shown}", pipeline=pipeline)
