"""``syncd status``: what every pipeline did last, where it stands, and what it left for an operator.

Everything comes from one read-only snapshot of the state store, so status is safe (and consistent)
while the daemon or another ``syncd sync`` is working: it takes no lease, holds no write lock, starts
no emulator and calls no Zoho API. Credits are the store's own ledger for the rolling 24 hours.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.engine import Connection

from syncd.config import PipelineConfig, SyncdConfig
from syncd.store import CreditUsage, Direction, Run, StateStore, Transaction
from syncd.store.credits import Credits
from syncd.store.leases import Lease, Leases
from syncd.store.rejects import RejectStatus

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class JobInFlight:
    id: int
    direction: str
    operation: str
    step: str
    rows: int
    job_id: str | None
    since: datetime


@dataclass(frozen=True)
class PipelineStatus:
    name: str
    connector: str
    stream: str
    module: str
    direction: str
    conflict_policy: str
    last_run: Run | None
    running_on: str | None
    push_cursor: str | None
    last_full_snapshot_at: datetime | None
    snapshot_page: int | None
    jobs_in_flight: list[JobInFlight] = field(default_factory=list)
    open_rejects: int = 0
    rejects_to_retry: int = 0
    open_conflicts: int = 0


@dataclass(frozen=True)
class CreditStatus:
    org: str
    spent: int
    reserved: int
    daily_limit: int
    reserve: int

    @property
    def available(self) -> int:
        return CreditUsage(self.org, self.spent, self.reserved).available(
            limit=self.daily_limit, reserve=self.reserve
        )


@dataclass(frozen=True)
class StatusReport:
    database: str
    initialised: bool
    pipelines: list[PipelineStatus]
    credits: CreditStatus

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["credits"]["available"] = self.credits.available
        converted: dict[str, Any] = plain(data)
        return converted


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for other databases and in-memory SQLite)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def collect_status(config: SyncdConfig, org: str, *, clock: Clock) -> StatusReport:
    """The status of every configured pipeline; a SQLite file that does not exist yet means no runs yet."""
    url = config.state.url
    database = make_url(url).render_as_string(hide_password=True)
    missing = sqlite_file(url)
    if missing is not None and not missing.exists():
        empty = [_pipeline(name, pipeline) for name, pipeline in config.pipelines.items()]
        return StatusReport(database, False, empty, _credits(config, CreditUsage(org, 0, 0)))
    with StateStore.open(url, clock=clock, upgrade=False) as store, store.snapshot() as tx:
        return _from_snapshot(config, org, database, tx, clock)


def _from_snapshot(
    config: SyncdConfig, org: str, database: str, tx: Transaction, clock: Clock
) -> StatusReport:
    pipelines = [_pipeline(name, pipeline, tx, clock) for name, pipeline in config.pipelines.items()]
    usage = Credits(_reusing(tx.connection), clock).usage(org)
    return StatusReport(database, True, pipelines, _credits(config, usage))


def _reusing(connection: Connection) -> Callable[[], nullcontext[Connection]]:
    """The store's shared-table helpers take a transaction factory: hand them the snapshot's."""
    return lambda: nullcontext(connection)


def _credits(config: SyncdConfig, usage: CreditUsage) -> CreditStatus:
    limits = config.credits
    return CreditStatus(usage.org, usage.spent, usage.reserved, limits.daily_limit, limits.reserve)


def _pipeline(
    name: str, pipeline: PipelineConfig, tx: Transaction | None = None, clock: Clock | None = None
) -> PipelineStatus:
    described: dict[str, Any] = {
        "name": name,
        "connector": pipeline.connector,
        "stream": pipeline.stream,
        "module": pipeline.module,
        "direction": pipeline.direction.value,
        "conflict_policy": pipeline.conflict_policy.value,
    }
    if tx is None or clock is None:
        return PipelineStatus(
            **described, last_run=None, running_on=None, push_cursor=None,
            last_full_snapshot_at=None, snapshot_page=None,
        )  # fmt: skip
    return PipelineStatus(**described, **_state_of(name, tx, clock))


def _state_of(name: str, tx: Transaction, clock: Clock) -> dict[str, Any]:
    runs = tx.runs.last(name, limit=1)
    lease: Lease | None = Leases(_reusing(tx.connection), clock).holder(name)
    pull = tx.checkpoints.get(name, Direction.PULL)
    return {
        "last_run": runs[0] if runs else None,
        "running_on": lease.holder if lease else None,
        "push_cursor": tx.checkpoints.get(name, Direction.PUSH).cursor,
        "last_full_snapshot_at": pull.last_full_snapshot_at,
        "snapshot_page": pull.snapshot_page,
        "jobs_in_flight": [
            JobInFlight(e.id, e.direction, e.operation, e.step.value, e.row_count, e.job_id, e.updated_at)
            for e in tx.journal.unfinished(name)
        ],
        "open_rejects": len(tx.rejects.find(name, status=RejectStatus.OPEN)),
        "rejects_to_retry": len(tx.rejects.find(name, status=RejectStatus.RETRY)),
        "open_conflicts": len(tx.conflicts.find(name)),
    }


def plain(value: Any) -> Any:
    """JSON-ready: timestamps in ISO 8601, enums by value."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value
