"""What the scheduler is told: when each pipeline runs, and how long a failing one waits.

A pipeline's schedule is the config's :data:`~syncd.config.schedule.Schedule`: an interval
(``"15m"``, ``"1h30m"``, ``"1d"``) or a five-field cron line (``"*/15 * * * *"``), read in the
scheduler's time zone. Intervals run once right away and then every interval; cron follows the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from syncd.config.schedule import Interval, Schedule, parse_schedule
from syncd.errors import ConfigError, FatalError, RetriableError


def to_schedule(value: Schedule | str, *, pipeline: str | None = None) -> Schedule:
    """*value* parsed; a ConfigError naming the pipeline when it is neither interval nor cron line."""
    try:
        return parse_schedule(value)
    except ValueError as exc:
        raise ConfigError(f"invalid schedule: {exc}", pipeline=pipeline) from None


def build_trigger(schedule: Schedule | str, timezone: tzinfo | None = None) -> BaseTrigger:
    """The APScheduler trigger for an interval or a cron line."""
    parsed = to_schedule(schedule)
    if isinstance(parsed, Interval):
        return IntervalTrigger(seconds=parsed.every.total_seconds(), timezone=timezone)
    return CronTrigger.from_crontab(parsed.expression, timezone=timezone)


@dataclass(frozen=True)
class PipelineSchedule:
    """When one pipeline runs. Two schedules that compare equal need no rescheduling on reload.

    ``trigger`` may be given as text (``"1h30m"``); it is kept parsed, so ``"60m"`` equals ``"1h"``.
    """

    name: str
    trigger: Schedule | str
    misfire_grace_time: timedelta = field(default=timedelta(minutes=10))
    """How late a run may still start (after a suspend, say); later ones are skipped and coalesced."""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ConfigError("a pipeline needs a name to be scheduled")
        object.__setattr__(self, "trigger", to_schedule(self.trigger, pipeline=self.name))

    @property
    def schedule(self) -> Schedule:
        return to_schedule(self.trigger, pipeline=self.name)  # already parsed: returned as is

    @property
    def is_interval(self) -> bool:
        return isinstance(self.trigger, Interval)


@dataclass(frozen=True)
class Backoff:
    """How long a failing pipeline waits before its next attempt.

    The n-th failure in a row delays the next run by ``initial * factor**(n-1)``, at most
    ``maximum``; the pipeline's own schedule still applies when it is later. A success resets the
    count. Errors that a retry soon will not fix (configuration, fatal: a revoked token, a full
    credit budget) wait the maximum straight away; a retriable error that says when to come back
    (``retry_after``) is not retried earlier.
    """

    initial: timedelta = timedelta(minutes=1)
    maximum: timedelta = timedelta(hours=1)
    factor: float = 2.0

    def delay(self, failures: int, error: BaseException) -> timedelta:
        if isinstance(error, ConfigError | FatalError):
            return self.maximum
        growth = self.factor ** min(max(failures - 1, 0), 64)  # bounded: no float overflow
        seconds = min(self.initial.total_seconds() * growth, self.maximum.total_seconds())
        delay = timedelta(seconds=seconds)
        if isinstance(error, RetriableError) and error.retry_after:
            delay = max(delay, timedelta(seconds=error.retry_after))
        return delay


__all__ = ["Backoff", "PipelineSchedule", "build_trigger", "to_schedule"]
