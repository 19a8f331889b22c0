"""What the scheduler is told: when each pipeline runs, and how long a failing one waits.

A pipeline's ``schedule`` is either an interval (``"15m"``, ``"1h30m"``, ``"1d"``, ``"45s"``) or a
five-field cron expression (``"*/15 * * * *"``, ``"0 2 * * mon-fri"``), read in the scheduler's
time zone. Intervals run once right away and then every interval; cron follows the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from syncd.errors import ConfigError, FatalError, RetriableError

_INTERVAL = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_interval(text: str) -> timedelta | None:
    """``"1h30m"`` as a timedelta; ``None`` when *text* is not an interval at all."""
    match = _INTERVAL.fullmatch(text.strip().lower())
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def build_trigger(text: str, timezone: tzinfo | None = None, *, pipeline: str | None = None) -> BaseTrigger:
    """An APScheduler trigger for an interval or a 5-field cron *text*; ConfigError if it is neither."""
    interval = parse_interval(text)
    if interval is not None:
        if not interval:
            raise ConfigError(f"schedule {text!r} is a zero interval", pipeline=pipeline)
        return IntervalTrigger(seconds=interval.total_seconds(), timezone=timezone)
    if len(text.split()) != 5:
        raise ConfigError(
            f"schedule {text!r} is neither an interval like '15m' or '1h30m' "
            "nor a 5-field cron expression like '*/15 * * * *'",
            pipeline=pipeline,
        )
    try:
        return CronTrigger.from_crontab(text, timezone=timezone)
    except ValueError as exc:
        raise ConfigError(
            f"schedule {text!r} is not a valid cron expression: {exc}", pipeline=pipeline
        ) from exc


@dataclass(frozen=True)
class PipelineSchedule:
    """When one pipeline runs. Two schedules that compare equal need no rescheduling on reload."""

    name: str
    trigger: str
    misfire_grace_time: timedelta = field(default=timedelta(minutes=10))
    """How late a run may still start (after a suspend, say); later ones are skipped and coalesced."""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ConfigError("a pipeline needs a name to be scheduled")
        build_trigger(self.trigger, pipeline=self.name)

    @property
    def is_interval(self) -> bool:
        return parse_interval(self.trigger) is not None


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


__all__ = ["Backoff", "PipelineSchedule", "build_trigger", "parse_interval"]
