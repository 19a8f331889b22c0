"""Rich tables for the operator commands: status, rejects and conflicts as a person reads them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console, Group
from rich.table import Table

from syncd.engine.status import PipelineStatus, StatusReport
from syncd.store import Conflict, Reject


def when(moment: datetime | None) -> str:
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def status_view(report: StatusReport) -> Group:
    credits = report.credits
    parts: list[Any] = [
        f"State: {report.database}" + ("" if report.initialised else " (no runs yet)"),
        f"Credits (rolling 24 h, {credits.org}): {credits.spent} spent, {credits.reserved} reserved, "
        f"{credits.available} available of {credits.daily_limit} (reserve {credits.reserve})",
        _pipelines_table(report.pipelines),
    ]
    jobs = _jobs_table(report.pipelines)
    if jobs.row_count:
        parts.append(jobs)
    return Group(*parts)


def _pipelines_table(pipelines: Sequence[PipelineStatus]) -> Table:
    table = Table("pipeline", "flow", "last run", "outcome", "counts", "credits", "rejects", "conflicts")
    table.title = "Pipelines"
    for p in pipelines:
        run = p.last_run
        outcome = "never run" if run is None else run.outcome.value
        if p.running_on:
            outcome += f" (running on {p.running_on})"
        table.add_row(
            p.name,
            f"{p.connector}.{p.stream} {_arrow(p.direction)} {p.module}",
            when(run.started_at if run else None),
            outcome + (f": {run.error}" if run and run.error else ""),
            _counts(run.counts) if run else "",
            str(run.credits) if run else "",
            _rejects(p),
            str(p.open_conflicts),
        )
    return table


def _arrow(direction: str) -> str:
    return {"push": "→", "pull": "←"}.get(direction, "↔")


def _rejects(p: PipelineStatus) -> str:
    return f"{p.open_rejects}" + (f" (+{p.rejects_to_retry} to retry)" if p.rejects_to_retry else "")


def _jobs_table(pipelines: Sequence[PipelineStatus]) -> Table:
    table = Table("pipeline", "batch", "direction", "operation", "step", "rows", "Zoho job", "since")
    table.title = "Jobs in flight"
    for p in pipelines:
        for job in p.jobs_in_flight:
            table.add_row(
                p.name, str(job.id), job.direction, job.operation, job.step, str(job.rows),
                job.job_id or "—", when(job.since),
            )  # fmt: skip
    return table


def rejects_table(rejects: Sequence[Reject]) -> Table:
    table = Table("id", "pipeline", "key", "direction", "reason", "codes", "retry?", "attempts", "last seen")
    table.title = f"Rejects ({len(rejects)})"
    for r in rejects:
        table.add_row(
            str(r.id), r.pipeline, r.key, r.direction, r.message, " ".join(r.error_codes),
            "yes" if r.retryable else "needs a fix", str(r.attempts), when(r.last_seen),
        )  # fmt: skip
    return table


def reject_view(reject: Reject) -> Table:
    table = Table("field", "value", show_header=False)
    table.title = f"Reject {reject.id} ({reject.status.value})"
    facts: dict[str, Any] = {
        "pipeline": reject.pipeline,
        "key": reject.key,
        "direction": reject.direction,
        "reason": reject.message,
        "codes": " ".join(reject.error_codes) or "—",
        "retryable": "yes" if reject.retryable else "no: the data needs a fix",
        "attempts": reject.attempts,
        "first seen": when(reject.first_seen),
        "last seen": when(reject.last_seen),
    }
    for name, value in facts.items():
        table.add_row(name, str(value))
    for name, value in reject.row.items():
        table.add_row(f"row.{name}", _shown(value))
    return table


def conflicts_table(conflicts: Sequence[Conflict]) -> Table:
    table = Table("id", "pipeline", "key", "field", "last synced", "source", "CRM", "resolution")
    table.title = f"Conflicts ({len(conflicts)})"
    for c in conflicts:
        for field in sorted({*c.source, *c.crm}):
            table.add_row(
                str(c.id), c.pipeline, c.key, field, _shown(c.base.get(field)),
                _shown(c.source.get(field)), _shown(c.crm.get(field)), _resolution(c),
            )  # fmt: skip
    return table


def _resolution(conflict: Conflict) -> str:
    return "open" if conflict.resolution is None else conflict.resolution.value


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    return json.dumps(value, default=str) if isinstance(value, Mapping | list) else str(value)


def _counts(counts: Mapping[str, int]) -> str:
    """``push_created: 5, pull_read: 20`` as ``push 5 created · pull 20 read``, zeros left out."""
    sides: dict[str, list[str]] = {}
    for name, value in counts.items():
        side, _, what = name.partition("_")
        if value and what:
            sides.setdefault(side, []).append(f"{value} {what}")
    return " · ".join(f"{side} {', '.join(parts)}" for side, parts in sides.items()) or "nothing"


def console(*, err: bool = False) -> Console:
    """A rich console; piped output (logs, CI) gets 120 columns rather than rich's 80."""
    probe = Console(stderr=err)
    return Console(stderr=err, soft_wrap=False, width=None if probe.is_terminal else max(probe.width, 120))
