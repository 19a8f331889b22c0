"""What a run did, per pipeline and direction: for people (a table) and for programs (JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.table import Table


@dataclass
class Counts:
    """One direction of one pipeline: ``push`` (source -> CRM) or ``pull`` (CRM -> source)."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    conflicts: int = 0
    deleted: int = 0
    credits: int = 0
    jobs: int = 0


@dataclass
class PipelineReport:
    pipeline: str
    push: Counts = field(default_factory=Counts)
    pull: Counts = field(default_factory=Counts)
    seconds: float = 0.0
    full_snapshot: bool = False
    dry_run: bool = False
    credits_left: int | None = None
    paths: list[str] = field(default_factory=list)  # per planned batch: "bulk_write 25000 rows 500 credits"
    deferred: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def rejected(self) -> int:
        return self.push.rejected + self.pull.rejected

    @property
    def credits(self) -> int:
        return self.push.credits + self.pull.credits

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "credits": self.credits, "rejected": self.rejected}


@dataclass(frozen=True)
class RunReport:
    pipelines: tuple[PipelineReport, ...]

    @property
    def failed(self) -> bool:
        return any(report.error for report in self.pipelines)

    @property
    def rejected(self) -> int:
        return sum(report.rejected for report in self.pipelines)

    def to_json(self) -> dict[str, Any]:
        return {
            "pipelines": [report.to_json() for report in self.pipelines],
            "credits": sum(report.credits for report in self.pipelines),
            "rejected": self.rejected,
            "failed": self.failed,
        }


_COLUMNS = ("read", "created", "updated", "unchanged", "rejected", "conflicts", "deleted", "credits", "jobs")


def summary_table(reports: Sequence[PipelineReport], *, title: str = "syncd sync") -> Table:
    table = Table(title=title)
    table.add_column("pipeline")
    table.add_column("direction")
    for name in _COLUMNS:
        table.add_column(name, justify="right")
    table.add_column("seconds", justify="right")
    for report in reports:
        for direction in ("push", "pull"):
            counts: Counts = getattr(report, direction)
            cells = [str(getattr(counts, name)) for name in _COLUMNS]
            table.add_row(report.pipeline, direction, *cells, f"{report.seconds:.1f}")
    return table


def remarks(report: PipelineReport) -> list[str]:
    """The lines a person should read under the table: errors, deferred work, notes, the plan."""
    lines = [f"{report.pipeline}: FAILED: {report.error}"] if report.error else []
    lines += [f"{report.pipeline}: planned {path}" for path in report.paths] if report.dry_run else []
    lines += [f"{report.pipeline}: deferred {reason}" for reason in report.deferred]
    lines += [f"{report.pipeline}: {note}" for note in report.notes]
    if report.credits_left is not None:
        lines.append(f"{report.pipeline}: {report.credits_left} credits left in the window before this run")
    return lines
