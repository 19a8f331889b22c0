"""Rows that were refused, why, and whether a retry can help.

A row is refused before upload (it failed validation: it never costs credits) or by Zoho (the result
CSV's ``ERRORS``). It is *retryable* when trying again can work (a lock, a limit, a missing parent that
may arrive) and *needs a fix* when someone must change the data first. The same key refused again
bumps ``attempts`` and ``last_seen`` instead of adding a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping

from syncd.errors import FatalError
from syncd.store.batch import LOOKUP_CHUNK, WRITE_CHUNK, chunked, one_of
from syncd.store.models import metadata

TABLE = metadata.tables["rejects"]
REFRESHED = ["direction", "row", "error_codes", "message", "retryable", "status", "last_seen"]


class RejectStatus(StrEnum):
    OPEN = "open"  # waiting for a fix or for the next retry
    RETRY = "retry"  # an operator asked for a retry; the next run sends it again
    RESOLVED = "resolved"  # synced since, or dismissed


@dataclass(frozen=True)
class NewReject:
    key: str
    direction: str
    message: str
    retryable: bool
    error_codes: Sequence[str] = ()
    row: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reject:
    id: int
    pipeline: str
    key: str
    direction: str
    row: Mapping[str, Any]
    error_codes: Sequence[str]
    message: str
    retryable: bool
    status: RejectStatus
    attempts: int
    first_seen: datetime
    last_seen: datetime


class Rejects:
    def __init__(self, connection: Connection, clock: Callable[[], datetime]) -> None:
        self._connection = connection
        self._clock = clock

    def add(self, pipeline: str, rejects: Iterable[NewReject]) -> int:
        """Record refused rows; a key refused before is reopened with ``attempts`` increased."""
        now = self._clock()
        rows = [_row(pipeline, reject, now) for reject in rejects]
        insert_ = postgresql.insert if self._connection.dialect.name == "postgresql" else sqlite.insert
        statement = insert_(TABLE)
        refreshed: dict[str, Any] = {name: statement.excluded[name] for name in REFRESHED}
        statement = statement.on_conflict_do_update(
            index_elements=["pipeline", "source_key"], set_={**refreshed, "attempts": TABLE.c.attempts + 1}
        )
        for chunk in chunked(rows, WRITE_CHUNK):
            self._connection.execute(statement, chunk)
        return len(rows)

    def get(self, reject_id: int) -> Reject:
        row = self._connection.execute(select(TABLE).where(TABLE.c.id == reject_id)).first()
        if row is None:
            raise FatalError(f"reject {reject_id} does not exist", reject=reject_id)
        return _reject(row._mapping)

    def find(
        self,
        pipeline: str | None = None,
        *,
        status: RejectStatus | None = RejectStatus.OPEN,
        limit: int | None = None,
    ) -> list[Reject]:
        """Rejects, most recently seen first, optionally of one pipeline and one status."""
        query = select(TABLE).order_by(TABLE.c.last_seen.desc(), TABLE.c.id.desc()).limit(limit)
        if pipeline is not None:
            query = query.where(TABLE.c.pipeline == pipeline)
        if status is not None:
            query = query.where(TABLE.c.status == RejectStatus(status).value)
        return [_reject(row._mapping) for row in self._connection.execute(query)]

    def mark_retry(self, reject_ids: Iterable[int]) -> int:
        """Ask for these rejects to be sent again by the next run."""
        return self._set_status([TABLE.c.id.in_(list(reject_ids))], RejectStatus.RETRY)

    def resolve(self, pipeline: str, keys: Iterable[str]) -> int:
        """Close the rejects of keys that have synced since (or that an operator dismissed)."""
        resolved = 0
        for chunk in chunked(keys, LOOKUP_CHUNK):
            where = [TABLE.c.pipeline == pipeline, one_of(self._connection, TABLE.c.source_key, chunk)]
            resolved += self._set_status(where, RejectStatus.RESOLVED)
        return resolved

    def keys_to_retry(self, pipeline: str) -> list[str]:
        """Keys the next run should send again: retryable open rejects and those marked for retry."""
        retry = (TABLE.c.status == RejectStatus.RETRY.value) | (
            (TABLE.c.status == RejectStatus.OPEN.value) & TABLE.c.retryable
        )
        query = select(TABLE.c.source_key).where(TABLE.c.pipeline == pipeline, retry).order_by(TABLE.c.id)
        return list(self._connection.execute(query).scalars())

    def _set_status(self, where: list[Any], status: RejectStatus) -> int:
        statement = update(TABLE).where(*where, TABLE.c.status != status.value).values(status=status.value)
        return self._connection.execute(statement).rowcount


def _row(pipeline: str, reject: NewReject, now: datetime) -> dict[str, Any]:
    return {
        "pipeline": pipeline,
        "source_key": reject.key,
        "direction": reject.direction,
        "row": dict(reject.row),
        "error_codes": list(reject.error_codes),
        "message": reject.message,
        "retryable": reject.retryable,
        "status": RejectStatus.OPEN.value,
        "attempts": 1,
        "first_seen": now,
        "last_seen": now,
    }


def _reject(row: RowMapping) -> Reject:
    values = dict(row)
    values["key"] = values.pop("source_key")
    values["status"] = RejectStatus(values["status"])
    values["error_codes"] = tuple(values["error_codes"])
    return Reject(**values)
