"""Durations (``15m``, ``1h30m``, ``1d``, ``250ms``) and schedules (an interval or a cron line)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")


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
    """``"15m"``, ``"1h30m"``, ``"2d"``, ``"45s"``, ``"250ms"`` or a number of seconds; always positive."""
    if isinstance(value, timedelta):
        duration = value
    elif isinstance(value, int) and not isinstance(value, bool):
        duration = timedelta(seconds=value)
    elif isinstance(value, str) and (match := _DURATION.match(value.strip())) and value.strip():
        days, hours, minutes, seconds, millis = (int(part or 0) for part in match.groups())
        duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds, milliseconds=millis)
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
    millis = round(duration.total_seconds() * 1000)
    parts = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        count, millis = divmod(millis, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
