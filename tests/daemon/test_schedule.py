from __future__ import annotations

from datetime import timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from syncd.config.schedule import Cron, Interval
from syncd.daemon.schedule import Backoff, PipelineSchedule, build_trigger
from syncd.errors import AuthError, ConfigError, RateLimitedError, TransientError


def test_intervals_and_cron_lines_become_triggers() -> None:
    interval = build_trigger("1h30m")
    assert isinstance(interval, IntervalTrigger)
    assert interval.interval == timedelta(hours=1, minutes=30)
    assert isinstance(build_trigger("0 2 * * mon-fri"), CronTrigger)
    assert isinstance(build_trigger(Interval(timedelta(minutes=5))), IntervalTrigger)


def test_a_schedule_is_kept_parsed_so_equal_spellings_compare_equal() -> None:
    assert PipelineSchedule("contacts", "60m") == PipelineSchedule("contacts", "1h")
    assert PipelineSchedule("contacts", "1h").trigger == Interval(timedelta(hours=1))
    assert PipelineSchedule("nightly", "0 2 * * *").trigger == Cron("0 2 * * *")
    assert PipelineSchedule("contacts", "15m").is_interval
    assert not PipelineSchedule("nightly", "0 2 * * *").is_interval


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("0m", "expected an interval like '15m'"),
        ("every hour", "expected an interval like '15m'"),
        ("* * * *", "expected an interval like '15m'"),
        ("61 * * * *", "is not a valid cron line"),
    ],
)
def test_a_bad_schedule_is_a_config_error_naming_the_pipeline(text: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=f"invalid schedule: .*{complaint}") as caught:
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
