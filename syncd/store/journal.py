"""The job journal: every bulk or REST batch, step by step, so a crash resumes instead of repeating.

Steps only move forward, each committed before the next begins::

    prepared -> uploaded (file_id) -> job_created (job_id, credits) -> result_downloaded -> applied
         \\______________________________________________________________________/-> failed

A batch that already has a ``job_id`` is never given another one: after a crash the engine re-attaches
to that job instead of creating a second.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from syncd.errors import FatalError
from syncd.store.checkpoints import Direction
from syncd.store.models import metadata

TABLE = metadata.tables["journal"]


class Step(StrEnum):
    PREPARED = "prepared"
    UPLOADED = "uploaded"
    JOB_CREATED = "job_created"
    RESULT_DOWNLOADED = "result_downloaded"
    APPLIED = "applied"
    FAILED = "failed"


ORDER = list(Step)
FINISHED = (Step.APPLIED, Step.FAILED)


@dataclass(frozen=True)
class BatchEntry:
    id: int
    pipeline: str
    direction: str
    operation: str
    step: Step
    content_hash: str
    row_keys: Sequence[str]
    row_count: int
    file_id: str | None
    job_id: str | None
    result: Mapping[str, Any] | None
    credits_planned: int
    credits_charged: int | None
    error: str | None
    run_id: int | None
    created_at: datetime
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.step in FINISHED


class Journal:
    def __init__(self, connection: Connection, clock: Callable[[], datetime]) -> None:
        self._connection = connection
        self._clock = clock

    def create(
        self,
        *,
        pipeline: str,
        direction: Direction | str,
        operation: str,
        content_hash: str,
        row_keys: Sequence[str],
        credits_planned: int,
        run_id: int | None = None,
    ) -> BatchEntry:
        """Record a prepared batch: ``row_keys[i]`` is the source key of CSV row ``i``."""
        now = self._clock()
        values = {
            "pipeline": pipeline,
            "direction": Direction(direction).value,
            "operation": operation,
            "step": Step.PREPARED.value,
            "content_hash": content_hash,
            "row_keys": list(row_keys),
            "row_count": len(row_keys),
            "credits_planned": credits_planned,
            "run_id": run_id,
            "created_at": now,
            "updated_at": now,
        }
        entry_id = self._connection.execute(insert(TABLE).returning(TABLE.c.id), values).scalar_one()
        return self.get(entry_id)

    def get(self, entry_id: int) -> BatchEntry:
        row = self._connection.execute(select(TABLE).where(TABLE.c.id == entry_id)).first()
        if row is None:
            raise FatalError(f"journal entry {entry_id} does not exist", journal_entry=entry_id)
        return _entry(row._mapping)

    def advance(
        self,
        entry_id: int,
        step: Step,
        *,
        file_id: str | None = None,
        job_id: str | None = None,
        result: Mapping[str, Any] | None = None,
        credits_charged: int | None = None,
    ) -> BatchEntry:
        """Move a batch forward to ``step``, recording what that step produced."""
        entry = self.get(entry_id)
        _check_move(entry, Step(step), job_id)
        changes: dict[str, Any] = {"step": Step(step).value, "updated_at": self._clock()}
        given = {"file_id": file_id, "job_id": job_id, "credits_charged": credits_charged}
        changes.update({name: value for name, value in given.items() if value is not None})
        if result is not None:
            changes["result"] = dict(result)
        self._connection.execute(update(TABLE).where(TABLE.c.id == entry_id).values(changes))
        return self.get(entry_id)

    def fail(self, entry_id: int, error: str) -> BatchEntry:
        """Give up on a batch for good (its rows are rejects or will be planned again)."""
        _check_move(self.get(entry_id), Step.FAILED, None)
        values = {"step": Step.FAILED.value, "error": error, "updated_at": self._clock()}
        self._connection.execute(update(TABLE).where(TABLE.c.id == entry_id).values(values))
        return self.get(entry_id)

    def unfinished(self, pipeline: str) -> list[BatchEntry]:
        """Batches a crash left in flight, oldest first: resume each at its step."""
        query = (
            select(TABLE)
            .where(TABLE.c.pipeline == pipeline, TABLE.c.step.not_in([s.value for s in FINISHED]))
            .order_by(TABLE.c.id)
        )
        return [_entry(row._mapping) for row in self._connection.execute(query)]

    def find_by_content_hash(self, pipeline: str, content_hash: str) -> BatchEntry | None:
        """The latest batch of ``pipeline`` with exactly this content, if any."""
        query = (
            select(TABLE)
            .where(TABLE.c.pipeline == pipeline, TABLE.c.content_hash == content_hash)
            .order_by(TABLE.c.id.desc())
            .limit(1)
        )
        row = self._connection.execute(query).first()
        return None if row is None else _entry(row._mapping)


def _check_move(entry: BatchEntry, step: Step, job_id: str | None) -> None:
    context = {"pipeline": entry.pipeline, "journal_entry": entry.id, "job_id": entry.job_id}
    if entry.finished:
        raise FatalError(f"batch is already {entry.step}; it cannot move to {step}", **context)
    if step != Step.FAILED and ORDER.index(step) <= ORDER.index(entry.step):
        raise FatalError(f"batch is at step {entry.step}; steps only move forward, not to {step}", **context)
    if entry.job_id is not None and job_id is not None and job_id != entry.job_id:
        raise FatalError(f"batch already has job {entry.job_id}; refusing a second job {job_id}", **context)


def _entry(row: RowMapping) -> BatchEntry:
    values = dict(row)
    values["step"] = Step(values["step"])
    values["row_keys"] = tuple(values["row_keys"])
    return BatchEntry(**values)
