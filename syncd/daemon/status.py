"""The one-line status systemd shows (``systemctl status syncd``): what runs, what is next, what fails."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from syncd.daemon.scheduler import PipelineState


def describe(states: Sequence[PipelineState]) -> str:
    """``running contacts; 3 pipelines; next deals at 2026-01-05T02:00:00Z; failing accounts (2x)``."""
    if not states:
        return "idle: no pipelines configured"
    running = sorted(s.name for s in states if s.running)
    parts = [f"running {', '.join(running)}" if running else "idle", _count(len(states))]
    upcoming = sorted((s.next_run, s.name) for s in states if s.next_run is not None and not s.running)
    if upcoming:
        when, name = upcoming[0]
        parts.append(f"next {name} at {when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}")
    failing = sorted((s for s in states if s.consecutive_failures), key=lambda s: s.name)
    if failing:
        parts.append("failing " + ", ".join(f"{s.name} ({s.consecutive_failures}x)" for s in failing))
    return "; ".join(parts)


def _count(n: int) -> str:
    return f"{n} pipeline" if n == 1 else f"{n} pipelines"


__all__ = ["describe"]
