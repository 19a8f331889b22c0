"""Run history: when each run of a pipeline started and ended, what it did and what it cost."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from syncd.errors import FatalError
from syncd.store.models import metadata

TABLE = metadata.tables["runs"]


class Outcome(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # finished, with rejects or deferred work
    FAILED = "failed"


@dataclass(frozen=True)
class Run:
    id: int
    pipeline: str
    holder: str | None
    started_at: datetime
    finished_at: datetime | None
    outcome: Outcome
    counts: Mapping[str, int]
    credits: int
    error: str | None


class Runs:
    def __init__(self, connection: Connection, clock: Callable[[], datetime]) -> None:
        self._connection = connection
        self._clock = clock

    def start(self, pipeline: str, *, holder: str | None = None) -> Run:
        values: dict[str, Any] = {
            "pipeline": pipeline,
            "holder": holder,
            "started_at": self._clock(),
            "outcome": Outcome.RUNNING.value,
            "counts": {},
            "credits": 0,
        }
        run_id = self._connection.execute(insert(TABLE).returning(TABLE.c.id), values).scalar_one()
        return self.get(run_id)

    def finish(
        self,
        run_id: int,
        outcome: Outcome,
        *,
        counts: Mapping[str, int] | None = None,
        credits: int = 0,
        error: str | None = None,
    ) -> Run:
        if Outcome(outcome) == Outcome.RUNNING:
            raise ValueError("a run finishes as succeeded, partial or failed, not running")
        if self.get(run_id).finished_at is not None:
            raise FatalError(f"run {run_id} has already finished", run=run_id)
        changes = {
            "outcome": Outcome(outcome).value,
            "finished_at": self._clock(),
            "counts": dict(counts or {}),
            "credits": credits,
            "error": error,
        }
        self._connection.execute(update(TABLE).where(TABLE.c.id == run_id).values(changes))
        return self.get(run_id)

    def get(self, run_id: int) -> Run:
        row = self._connection.execute(select(TABLE).where(TABLE.c.id == run_id)).first()
        if row is None:
            raise FatalError(f"run {run_id} does not exist", run=run_id)
        return _run(row._mapping)

    def last(self, pipeline: str | None = None, *, limit: int = 10) -> list[Run]:
        """The most recent runs, newest first."""
        query = select(TABLE).order_by(TABLE.c.started_at.desc(), TABLE.c.id.desc()).limit(limit)
        if pipeline is not None:
            query = query.where(TABLE.c.pipeline == pipeline)
        return [_run(row._mapping) for row in self._connection.execute(query)]


def _run(row: RowMapping) -> Run:
    values = dict(row)
    values["outcome"] = Outcome(values["outcome"])
    return Run(**values)
