"""Durations (``15m``, ``1h30m``, ``1d``) and schedules (an interval or a cron line) in the config."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


@dataclass(frozen=True)
class Interval:
    """Run every ``every``."""

    every: timedelta

    def __str__(self) -> str:
        return format_duration(self.every)


@dataclass(frozen=True)
class Cron:
    """Run at the times a five-field crontab line names (minute hour day month weekday)."""

    expression: str

    def __str__(self) -> str:
        return self.expression


Schedule = Interval | Cron


def parse_duration(value: object) -> timedelta:
    """``"15m"``, ``"1h30m"``, ``"2d"``, ``"45s"`` or a number of seconds; always positive."""
    if isinstance(value, timedelta):
        duration = value
    elif isinstance(value, int) and not isinstance(value, bool):
        duration = timedelta(seconds=value)
    elif isinstance(value, str) and (match := _DURATION.match(value.strip())) and value.strip():
        days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
        duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    else:
        raise ValueError(f"expected a duration like '15m', '1h30m' or '1d', got {value!r}")
    if duration <= timedelta(0):
        raise ValueError(f"a duration must be longer than zero, got {value!r}")
    return duration


def parse_schedule(value: object) -> Schedule:
    """An interval (``"15m"``) or a crontab line (``"*/15 * * * *"``)."""
    if isinstance(value, Interval | Cron):
        return value
    if isinstance(value, str) and len(value.split()) == 5:
        try:
            CronTrigger.from_crontab(value)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a valid cron line: {error}") from None
        return Cron(value)
    try:
        return Interval(parse_duration(value))
    except ValueError:
        raise ValueError(
            f"expected an interval like '15m' or a cron line like '*/15 * * * *', got {value!r}"
        ) from None


def format_duration(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
