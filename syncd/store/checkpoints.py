"""Where each pipeline stopped reading, per direction.

A pull checkpoints every snapshot page it has applied (page number and Zoho's ``next_page_token`` with
its expiry) and the time of its last complete snapshot; a push keeps the connector's cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from syncd.store.batch import upsert
from syncd.store.models import metadata

TABLE = metadata.tables["checkpoints"]


class Direction(StrEnum):
    PULL = "pull"  # CRM -> source
    PUSH = "push"  # source -> CRM


@dataclass(frozen=True)
class Checkpoint:
    pipeline: str
    direction: Direction
    cursor: str | None = None
    snapshot_page: int | None = None
    page_token: str | None = None
    page_token_expires_at: datetime | None = None
    last_full_snapshot_at: datetime | None = None
    updated_at: datetime | None = None

    def page_token_usable(self, now: datetime) -> bool:
        """Whether ``page_token`` can still fetch the next page (Zoho lets them expire after 24 hours)."""
        if self.page_token is None:
            return False
        return self.page_token_expires_at is None or now < self.page_token_expires_at

    def with_changes(self, **changes: Any) -> Checkpoint:
        return replace(self, **changes)


class Checkpoints:
    def __init__(self, connection: Connection, clock: Callable[[], datetime]) -> None:
        self._connection = connection
        self._clock = clock

    def get(self, pipeline: str, direction: Direction | str) -> Checkpoint:
        """The checkpoint, or an empty one (start from scratch) if there is none yet."""
        direction = Direction(direction)
        row = self._connection.execute(
            select(TABLE).where(TABLE.c.pipeline == pipeline, TABLE.c.direction == direction.value)
        ).first()
        if row is None:
            return Checkpoint(pipeline=pipeline, direction=direction)
        values = dict(row._mapping)
        values["direction"] = Direction(values["direction"])
        return Checkpoint(**values)

    def save(self, checkpoint: Checkpoint) -> Checkpoint:
        saved = replace(checkpoint, direction=Direction(checkpoint.direction), updated_at=self._clock())
        row = {field.name: getattr(saved, field.name) for field in fields(saved)}
        row["direction"] = saved.direction.value
        columns = [name for name in row if name not in ("pipeline", "direction")]
        upsert(self._connection, TABLE, [row], key=["pipeline", "direction"], update=columns)
        return saved

    def update(self, pipeline: str, direction: Direction | str, **changes: Any) -> Checkpoint:
        """Change some fields of a checkpoint and keep the others."""
        return self.save(self.get(pipeline, direction).with_changes(**changes))
