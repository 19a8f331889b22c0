from __future__ import annotations

from datetime import timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from syncd.daemon.schedule import Backoff, PipelineSchedule, build_trigger, parse_interval
from syncd.errors import AuthError, ConfigError, RateLimitedError, TransientError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d", timedelta(days=1)),
        ("45s", timedelta(seconds=45)),
        (" 2H ", timedelta(hours=2)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("*/15 * * * *", None),
        ("30m1h", None),
        ("", None),
        ("15", None),
    ],
)
def test_parse_interval(text: str, expected: timedelta | None) -> None:
    assert parse_interval(text) == expected


def test_intervals_and_cron_expressions_become_triggers() -> None:
    assert isinstance(build_trigger("1h30m"), IntervalTrigger)
    assert build_trigger("1h30m").interval == timedelta(hours=1, minutes=30)
    assert isinstance(build_trigger("0 2 * * mon-fri"), CronTrigger)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("0m", "zero interval"),
        ("every hour", "neither an interval like '15m'"),
        ("* * * *", "neither an interval"),
        ("61 * * * *", "not a valid cron expression"),
    ],
)
def test_a_bad_schedule_is_a_config_error_naming_the_pipeline(text: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint) as caught:
        PipelineSchedule("contacts", text)
    assert caught.value.context == {"pipeline": "contacts"}


def test_a_schedule_needs_a_name() -> None:
    with pytest.raises(ConfigError, match="needs a name"):
        PipelineSchedule(" ", "15m")


def test_backoff_doubles_up_to_the_maximum() -> None:
    backoff = Backoff(initial=timedelta(minutes=1), maximum=timedelta(minutes=10))
    error = TransientError("503 from Zoho")
    delays = [backoff.delay(n, error) for n in range(1, 7)]
    assert delays == [timedelta(minutes=m) for m in (1, 2, 4, 8, 10, 10)]
    assert backoff.delay(10_000, error) == timedelta(minutes=10)


def test_backoff_respects_retry_after() -> None:
    backoff = Backoff(initial=timedelta(minutes=1))
    assert backoff.delay(1, RateLimitedError("429", retry_after=900)) == timedelta(minutes=15)


def test_errors_a_retry_will_not_fix_wait_the_maximum() -> None:
    backoff = Backoff(maximum=timedelta(hours=2))
    assert backoff.delay(1, AuthError("refresh token revoked")) == timedelta(hours=2)
    assert backoff.delay(1, ConfigError("no such module")) == timedelta(hours=2)
