"""Records changed on both sides in the same field, held for an operator (the ``manual`` policy).

Each conflict keeps the conflicting fields' base (as last synced), source and CRM values. Resolving
it records which side won, or the merged values an operator chose; the next run applies them: it
reads the :meth:`Conflicts.pending` resolutions and, once their writes succeeded, closes them
(:meth:`Conflicts.close`) as ``applied``, or as ``stale`` when a side changed the record again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from syncd.errors import FatalError
from syncd.store.batch import LOOKUP_CHUNK, WRITE_CHUNK, chunked, one_of
from syncd.store.models import metadata

TABLE = metadata.tables["conflicts"]


class Resolution(StrEnum):
    SOURCE = "source"
    CRM = "crm"
    MERGED = "merged"


class Closing(StrEnum):
    """How a run closed a resolved conflict."""

    APPLIED = "applied"  # both sides hold the chosen values, which are the new sync state
    STALE = "stale"  # a side changed the record again since; the policy decided afresh


@dataclass(frozen=True)
class NewConflict:
    key: str
    base: Mapping[str, Any]
    source: Mapping[str, Any]
    crm: Mapping[str, Any]
    crm_id: str | None = None


@dataclass(frozen=True)
class Conflict:
    id: int
    pipeline: str
    key: str
    crm_id: str | None
    base: Mapping[str, Any]
    source: Mapping[str, Any]
    crm: Mapping[str, Any]
    detected_at: datetime
    resolution: Resolution | None
    resolved_values: Mapping[str, Any] | None
    resolved_at: datetime | None
    closed_at: datetime | None = None
    closed_as: Closing | None = None
    closed_note: str | None = None

    def winning_values(self) -> Mapping[str, Any] | None:
        """The values the next run should write to both sides, once resolved."""
        if self.resolution is None:
            return None
        if self.resolution == Resolution.SOURCE:
            return self.source
        if self.resolution == Resolution.CRM:
            return self.crm
        return self.resolved_values or {}


class Conflicts:
    def __init__(self, connection: Connection, clock: Callable[[], datetime]) -> None:
        self._connection = connection
        self._clock = clock

    def add(self, pipeline: str, conflicts: Iterable[NewConflict]) -> int:
        """Hold these conflicts; an unresolved conflict on the same key is replaced by the newer one."""
        now = self._clock()
        rows = [_row(pipeline, conflict, now) for conflict in conflicts]
        for chunk in chunked(rows, min(WRITE_CHUNK, LOOKUP_CHUNK)):
            keys = [row["source_key"] for row in chunk]
            self._connection.execute(
                delete(TABLE).where(
                    TABLE.c.pipeline == pipeline,
                    TABLE.c.resolution.is_(None),
                    one_of(self._connection, TABLE.c.source_key, keys),
                )
            )
            self._connection.execute(insert(TABLE), chunk)
        return len(rows)

    def get(self, conflict_id: int) -> Conflict:
        row = self._connection.execute(select(TABLE).where(TABLE.c.id == conflict_id)).first()
        if row is None:
            raise FatalError(f"conflict {conflict_id} does not exist", conflict=conflict_id)
        return _conflict(row._mapping)

    def find(self, pipeline: str | None = None, *, unresolved: bool = True) -> list[Conflict]:
        query = select(TABLE).order_by(TABLE.c.id)
        if pipeline is not None:
            query = query.where(TABLE.c.pipeline == pipeline)
        if unresolved:
            query = query.where(TABLE.c.resolution.is_(None))
        return [_conflict(row._mapping) for row in self._connection.execute(query)]

    def pending(self, pipeline: str) -> list[Conflict]:
        """The resolved conflicts of ``pipeline`` no run has applied (or found stale) yet, oldest first."""
        query = (
            select(TABLE)
            .where(TABLE.c.pipeline == pipeline, TABLE.c.resolution.is_not(None), TABLE.c.closed_at.is_(None))
            .order_by(TABLE.c.id)
        )
        return [_conflict(row._mapping) for row in self._connection.execute(query)]

    def close(self, conflict_ids: Iterable[int], closed_as: Closing, note: str | None = None) -> int:
        """Mark resolved conflicts carried out (or stale); ones closed already are left as they are."""
        closed = 0
        for chunk in chunked(sorted(set(conflict_ids)), LOOKUP_CHUNK):
            result = self._connection.execute(
                update(TABLE)
                .where(
                    TABLE.c.id.in_(chunk),
                    TABLE.c.resolution.is_not(None),
                    TABLE.c.closed_at.is_(None),
                )
                .values(closed_at=self._clock(), closed_as=Closing(closed_as).value, closed_note=note)
            )
            closed += result.rowcount
        return closed

    def resolve(
        self, conflict_id: int, resolution: Resolution, values: Mapping[str, Any] | None = None
    ) -> Conflict:
        """Settle a conflict: ``source`` or ``crm`` wins, or ``merged`` with the given ``values``."""
        resolution = Resolution(resolution)
        if (resolution == Resolution.MERGED) != (values is not None):
            raise ValueError("give values with a merged resolution, and only then")
        conflict = self.get(conflict_id)
        if conflict.resolution is not None:
            raise FatalError(f"conflict {conflict_id} is already resolved ({conflict.resolution})")
        changes = {
            "resolution": resolution.value,
            "resolved_values": None if values is None else dict(values),
            "resolved_at": self._clock(),
        }
        self._connection.execute(update(TABLE).where(TABLE.c.id == conflict_id).values(changes))
        return self.get(conflict_id)


def _row(pipeline: str, conflict: NewConflict, now: datetime) -> dict[str, Any]:
    return {
        "pipeline": pipeline,
        "source_key": conflict.key,
        "crm_id": conflict.crm_id,
        "base_values": dict(conflict.base),
        "source_values": dict(conflict.source),
        "crm_values": dict(conflict.crm),
        "detected_at": now,
        "resolution": None,
        "resolved_values": None,
        "resolved_at": None,
        "closed_at": None,
        "closed_as": None,
        "closed_note": None,
    }


def _conflict(row: RowMapping) -> Conflict:
    return Conflict(
        id=row["id"],
        pipeline=row["pipeline"],
        key=row["source_key"],
        crm_id=row["crm_id"],
        base=row["base_values"],
        source=row["source_values"],
        crm=row["crm_values"],
        detected_at=row["detected_at"],
        resolution=None if row["resolution"] is None else Resolution(row["resolution"]),
        resolved_values=row["resolved_values"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        closed_as=None if row["closed_as"] is None else Closing(row["closed_as"]),
        closed_note=row["closed_note"],
    )
