from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from syncd.daemon.schedule import Backoff, PipelineSchedule
from syncd.daemon.scheduler import PipelineScheduler, RunResult
from syncd.errors import ConfigError, TransientError


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Pipelines:
    """A fake ``run_pipeline``: each pipeline does what the test tells it to."""

    def __init__(self) -> None:
        self.behaviour: dict[str, Callable[[threading.Event], None]] = {}
        self.calls: list[str] = []

    def __call__(self, name: str, stop: threading.Event) -> None:
        self.calls.append(name)
        self.behaviour.get(name, lambda stop: None)(stop)


def fail(stop: threading.Event) -> None:
    raise TransientError("Zoho answered 503")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pipelines() -> Pipelines:
    return Pipelines()


@pytest.fixture
def scheduler(clock: FakeClock, pipelines: Pipelines) -> Iterator[PipelineScheduler]:
    """A started but paused scheduler: jobs are real, nothing fires on its own."""
    backoff = Backoff(initial=timedelta(minutes=5), maximum=timedelta(hours=1))
    sched = PipelineScheduler(pipelines, clock=clock, backoff=backoff)
    sched.start(paused=True)
    yield sched
    sched.request_stop()


def next_runs(scheduler: PipelineScheduler) -> dict[str, datetime | None]:
    return {state.name: state.next_run for state in scheduler.states()}


def test_apply_adds_removes_and_reschedules_by_name(scheduler: PipelineScheduler, clock: FakeClock) -> None:
    first = scheduler.apply([PipelineSchedule("contacts", "15m"), PipelineSchedule("deals", "0 2 * * *")])
    assert (first.added, first.removed, first.changed) == (("contacts", "deals"), (), ())
    assert next_runs(scheduler)["contacts"] == clock.now  # intervals run once right away
    assert next_runs(scheduler)["deals"].hour == 2  # type: ignore[union-attr]

    second = scheduler.apply([PipelineSchedule("deals", "30m"), PipelineSchedule("accounts", "1h")])
    assert (second.added, second.removed, second.changed) == (("accounts",), ("contacts",), ("deals",))
    assert second.describe() == "added accounts; removed contacts; rescheduled deals"
    assert set(next_runs(scheduler)) == {"deals", "accounts"}
    assert {s.name: s.schedule for s in scheduler.states()} == {"deals": "30m", "accounts": "1h"}


def test_an_unchanged_pipeline_keeps_its_next_run(scheduler: PipelineScheduler, clock: FakeClock) -> None:
    scheduler.apply([PipelineSchedule("contacts", "15m")])
    before = next_runs(scheduler)["contacts"]
    clock.advance(minutes=3)
    change = scheduler.apply([PipelineSchedule("contacts", "15m"), PipelineSchedule("deals", "15m")])
    assert change.added == ("deals",) and not change.changed
    assert next_runs(scheduler)["contacts"] == before
    assert not scheduler.apply([PipelineSchedule("contacts", "15m"), PipelineSchedule("deals", "15m")])


def test_a_new_misfire_grace_time_counts_as_a_change(scheduler: PipelineScheduler) -> None:
    scheduler.apply([PipelineSchedule("contacts", "15m")])
    change = scheduler.apply([PipelineSchedule("contacts", "15m", misfire_grace_time=timedelta(minutes=1))])
    assert change.changed == ("contacts",)


def test_jobs_run_one_at_a_time_and_coalesce(scheduler: PipelineScheduler) -> None:
    scheduler.apply([PipelineSchedule("contacts", "15m", misfire_grace_time=timedelta(minutes=2))])
    job = scheduler._scheduler.get_job("contacts")
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 120)


def test_a_pipeline_scheduled_twice_is_refused_and_nothing_changes(scheduler: PipelineScheduler) -> None:
    scheduler.apply([PipelineSchedule("contacts", "15m")])
    with pytest.raises(ConfigError, match="'deals' is scheduled twice"):
        scheduler.apply([PipelineSchedule("deals", "15m"), PipelineSchedule("deals", "1h")])
    assert set(next_runs(scheduler)) == {"contacts"}


def test_a_failing_pipeline_backs_off_exponentially_and_resets_on_success(
    scheduler: PipelineScheduler, clock: FakeClock, pipelines: Pipelines
) -> None:
    scheduler.apply([PipelineSchedule("contacts", "1m")])
    pipelines.behaviour["contacts"] = fail
    first = scheduler.run_once("contacts")
    assert first.outcome == "failure"
    assert first.error == "TransientError: Zoho answered 503"
    assert first.next_attempt == clock.now + timedelta(minutes=5)
    assert next_runs(scheduler)["contacts"] == clock.now + timedelta(minutes=5)

    clock.advance(minutes=5)
    assert scheduler.run_once("contacts").next_attempt == clock.now + timedelta(minutes=10)
    (state,) = scheduler.states()
    assert (state.consecutive_failures, state.last_failure) == (2, clock.now)

    pipelines.behaviour["contacts"] = lambda stop: None
    clock.advance(minutes=10)
    assert scheduler.run_once("contacts").outcome == "success"
    clock.advance(minutes=1)
    pipelines.behaviour["contacts"] = fail
    assert scheduler.run_once("contacts").next_attempt == clock.now + timedelta(minutes=5)


def test_backoff_never_brings_a_run_forward(
    scheduler: PipelineScheduler, clock: FakeClock, pipelines: Pipelines
) -> None:
    scheduler.apply([PipelineSchedule("nightly", "0 2 * * *")])
    regular = next_runs(scheduler)["nightly"]
    assert regular is not None and regular > clock.now + timedelta(minutes=5)
    pipelines.behaviour["nightly"] = fail
    assert scheduler.run_once("nightly").next_attempt == regular


def test_one_failing_pipeline_does_not_stop_the_others(
    scheduler: PipelineScheduler, pipelines: Pipelines
) -> None:
    scheduler.apply([PipelineSchedule("contacts", "15m"), PipelineSchedule("deals", "15m")])
    pipelines.behaviour["contacts"] = fail
    outcomes = [scheduler.run_once(name).outcome for name in ("contacts", "deals", "contacts", "deals")]
    assert outcomes == ["failure", "success", "failure", "success"]
    states = {s.name: s for s in scheduler.states()}
    assert states["deals"].last_success is not None and states["deals"].consecutive_failures == 0
    assert states["contacts"].last_error == "TransientError: Zoho answered 503"


def test_listeners_hear_every_run_and_their_failures_are_contained(
    scheduler: PipelineScheduler, pipelines: Pipelines, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[RunResult] = []

    def broken(result: RunResult) -> None:
        raise RuntimeError("listener bug")

    scheduler.add_listener(broken)
    scheduler.add_listener(heard.append)
    scheduler.apply([PipelineSchedule("contacts", "15m")])
    result = scheduler.run_once("contacts")
    assert heard == [result]
    assert result.run_id and result.duration == timedelta(0)
    assert "a run listener failed" in caplog.text


def test_a_run_sees_its_pipeline_and_run_id_in_its_log_records(
    scheduler: PipelineScheduler, pipelines: Pipelines, caplog: pytest.LogCaptureFixture
) -> None:
    from syncd.daemon.logs import RunContextFilter, current_run

    caplog.set_level(logging.INFO)
    seen = []
    pipelines.behaviour["contacts"] = lambda stop: seen.append(current_run())
    scheduler.apply([PipelineSchedule("contacts", "15m")])
    caplog.handler.addFilter(RunContextFilter())
    result = scheduler.run_once("contacts")
    assert seen[0] is not None and (seen[0].pipeline, seen[0].run_id) == ("contacts", result.run_id)
    started = next(r for r in caplog.records if r.getMessage() == "run started")
    assert (started.pipeline, started.run_id) == ("contacts", result.run_id)  # type: ignore[attr-defined]


def test_secrets_in_errors_are_redacted_in_the_state(
    scheduler: PipelineScheduler, pipelines: Pipelines
) -> None:
    def leak(stop: threading.Event) -> None:
        raise TransientError("POST client_secret=abc123&x=1 failed")

    pipelines.behaviour["contacts"] = leak
    scheduler.apply([PipelineSchedule("contacts", "15m")])
    assert scheduler.run_once("contacts").error == "TransientError: POST client_secret=***&x=1 failed"


def test_running_scheduler_runs_pipelines_and_stops_them_at_a_checkpoint(clock: FakeClock) -> None:
    started = threading.Event()
    finished: list[RunResult] = []

    def run(name: str, stop: threading.Event) -> None:
        started.set()
        stop.wait(30)

    scheduler = PipelineScheduler(run, clock=clock, heartbeat_interval=timedelta(milliseconds=50))
    scheduler.add_listener(finished.append)
    scheduler.apply([PipelineSchedule("contacts", "1h")])
    scheduler.start()
    assert started.wait(10), "the interval pipeline did not run at start"
    assert scheduler.running().keys() == {"contacts"}
    assert scheduler.heartbeat_age() is not None
    scheduler.request_stop()
    assert scheduler.wait_idle(10)
    assert [r.outcome for r in finished] == ["interrupted"]
    assert scheduler.running() == {}


def test_the_heartbeat_runs_in_the_scheduler_and_stops_with_it(clock: FakeClock) -> None:
    scheduler = PipelineScheduler(
        lambda name, stop: None, clock=clock, heartbeat_interval=timedelta(milliseconds=20)
    )
    assert scheduler.heartbeat_age() is None
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while scheduler.heartbeat_age() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert scheduler.heartbeat_age() == timedelta(0)
    finally:
        scheduler.request_stop()
    clock.advance(minutes=1)
    time.sleep(0.1)  # several heartbeat intervals: a live scheduler would have beaten by now
    assert scheduler.heartbeat_age() == timedelta(minutes=1)


def test_wait_idle_reports_a_run_that_does_not_stop(clock: FakeClock) -> None:
    release = threading.Event()
    started = threading.Event()

    def stubborn(name: str, stop: threading.Event) -> None:
        started.set()
        release.wait(30)

    scheduler = PipelineScheduler(stubborn, clock=clock)
    scheduler.apply([PipelineSchedule("contacts", "1h")])
    scheduler.start()
    assert started.wait(10)
    scheduler.request_stop()
    assert not scheduler.wait_idle(0.05)
    assert list(scheduler.running()) == ["contacts"]
    release.set()
    assert scheduler.wait_idle(10)
