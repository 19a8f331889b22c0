"""Runs each pipeline on its schedule with APScheduler, one run of a pipeline at a time.

APScheduler holds no state worth keeping: jobs are rebuilt from the configuration at start and
on every reload (:meth:`PipelineScheduler.apply`), and checkpoints live in the store. What this
adds to APScheduler:

* each run gets a run id, a logging context and the shared stop event;
* a failing run never escapes: it is logged and the pipeline backs off (:class:`Backoff`), while
  the other pipelines go on;
* a heartbeat job, run inside the scheduler's own thread, proves the scheduler still schedules —
  the service pings systemd's watchdog only while it is fresh;
* listeners hear about every finished run (metrics, health, run history).
"""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal, Protocol

from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from syncd.daemon.logs import redact, run_context
from syncd.daemon.schedule import Backoff, PipelineSchedule, build_trigger
from syncd.errors import ConfigError

log = logging.getLogger(__name__)

HEARTBEAT_JOB = "__syncd_heartbeat__"
Outcome = Literal["success", "failure", "interrupted", "skipped"]


class RunSkipped(Exception):  # not an error: the run was not this process's to do
    """Raised by a pipeline runner that leaves this run to someone else (another replica holds it)."""


class RunPipeline(Protocol):
    """Runs one pipeline once; returns early, at a checkpoint, once *stop* is set."""

    def __call__(self, name: str, stop: threading.Event) -> None: ...


@dataclass(frozen=True)
class RunResult:
    """One finished run, as listeners see it."""

    pipeline: str
    run_id: str
    outcome: Outcome
    started: datetime
    finished: datetime
    error: str | None = None
    next_attempt: datetime | None = None

    @property
    def duration(self) -> timedelta:
        return self.finished - self.started


@dataclass(frozen=True)
class PipelineState:
    """What the scheduler knows about a pipeline, for health and status."""

    name: str
    schedule: str
    running: bool = False
    consecutive_failures: int = 0
    last_success: datetime | None = None
    last_failure: datetime | None = None
    last_error: str | None = None
    next_run: datetime | None = None


@dataclass(frozen=True)
class ScheduleChange:
    """What :meth:`PipelineScheduler.apply` did."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def describe(self) -> str:
        parts = [f"{what} {', '.join(names)}" for what, names in self._parts() if names]
        return "; ".join(parts) or "no pipeline changed"

    def _parts(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return (("added", self.added), ("removed", self.removed), ("rescheduled", self.changed))


class ThreadPerRunExecutor(BaseExecutor):  # type: ignore[misc]  # APScheduler 3 is untyped
    """Runs each job in its own daemon thread.

    A run that ignores the stop request must not keep the process alive past the stop timeout;
    ``concurrent.futures`` workers would, since the interpreter joins them at exit.
    """

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        name = f"syncd-run-{job.id}"
        threading.Thread(target=self._execute, args=(job, run_times), name=name, daemon=True).start()

    def _execute(self, job: Any, run_times: list[datetime]) -> None:
        try:
            events = run_job(job, job._jobstore_alias, run_times, self._logger.name)
        except BaseException:
            self._run_job_error(job.id, *sys.exc_info()[1:])
        else:
            self._run_job_success(job.id, events)


def utc_now() -> datetime:
    return datetime.now(UTC)


class PipelineScheduler:
    """The pipelines' schedules, their runs, their failures and the scheduler's heartbeat."""

    def __init__(
        self,
        run_pipeline: RunPipeline,
        *,
        clock: Callable[[], datetime] = utc_now,
        backoff: Backoff | None = None,
        heartbeat_interval: timedelta = timedelta(seconds=5),
        timezone: tzinfo | None = None,
        executor: BaseExecutor | None = None,
    ) -> None:
        self.stop_event = threading.Event()
        self._run_pipeline = run_pipeline
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._heartbeat_interval = heartbeat_interval
        self._listeners: list[Callable[[RunResult], None]] = []
        self._lock = threading.Condition()
        self._schedules: dict[str, PipelineSchedule] = {}
        self._states: dict[str, PipelineState] = {}
        self._running: dict[str, str] = {}
        self._last_heartbeat: datetime | None = None
        executors = {"default": executor or ThreadPerRunExecutor(), "heartbeat": DebugExecutor()}
        options: dict[str, Any] = {"executors": executors}
        if timezone is not None:
            options["timezone"] = timezone
        self._scheduler = BackgroundScheduler(**options)

    # -- configuration -------------------------------------------------------------------------

    def apply(self, schedules: Iterable[PipelineSchedule]) -> ScheduleChange:
        """Make the scheduled jobs match *schedules*: add, remove and reschedule by name.

        Unchanged pipelines keep their next run time and their failure count. A run in progress
        of a removed pipeline finishes normally.
        """
        wanted = _by_name(schedules)
        with self._lock:
            current = self._schedules
            change = ScheduleChange(
                added=tuple(sorted(wanted.keys() - current.keys())),
                removed=tuple(sorted(current.keys() - wanted.keys())),
                changed=tuple(sorted(n for n in wanted.keys() & current.keys() if wanted[n] != current[n])),
            )
            for name in change.removed:
                self._scheduler.remove_job(name)
                self._states.pop(name, None)
            for name in change.added:
                self._add_job(wanted[name])
            for name in change.changed:
                self._reschedule_job(wanted[name])
            self._schedules = wanted
        return change

    def _add_job(self, schedule: PipelineSchedule) -> None:
        first_run = self._clock() if schedule.is_interval else None
        self._scheduler.add_job(
            self.run_once,
            trigger=build_trigger(schedule.schedule, self._scheduler.timezone),
            args=(schedule.name,),
            id=schedule.name,
            name=schedule.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=_seconds(schedule.misfire_grace_time),
            **({"next_run_time": first_run} if first_run else {}),
        )
        self._states[schedule.name] = PipelineState(schedule.name, str(schedule.schedule))

    def _reschedule_job(self, schedule: PipelineSchedule) -> None:
        self._scheduler.modify_job(schedule.name, misfire_grace_time=_seconds(schedule.misfire_grace_time))
        trigger = build_trigger(schedule.schedule, self._scheduler.timezone)
        self._scheduler.reschedule_job(schedule.name, trigger=trigger)
        self._states[schedule.name] = replace(self._states[schedule.name], schedule=str(schedule.schedule))

    def add_listener(self, listener: Callable[[RunResult], None]) -> None:
        """Call *listener* with every finished run (from the run's thread; it must not raise)."""
        self._listeners.append(listener)

    # -- life cycle ----------------------------------------------------------------------------

    def start(self, *, paused: bool = False) -> None:
        self._scheduler.add_job(
            self.beat,
            "interval",
            seconds=self._heartbeat_interval.total_seconds(),
            id=HEARTBEAT_JOB,
            executor="heartbeat",
            next_run_time=self._clock(),
            coalesce=True,
            misfire_grace_time=None,
        )
        self._scheduler.start(paused=paused)

    def request_stop(self) -> None:
        """Start no new runs and ask the running ones to stop at their next checkpoint."""
        self.stop_event.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to *timeout* seconds for runs in progress to end; whether none is left."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._running, timeout)

    # -- health --------------------------------------------------------------------------------

    def beat(self) -> None:
        """The heartbeat job: runs inside the scheduler thread, so it stops when that thread does."""
        self._last_heartbeat = self._clock()

    def heartbeat_age(self) -> timedelta | None:
        """Time since the scheduler last proved alive; ``None`` before its first heartbeat."""
        last = self._last_heartbeat
        return None if last is None else self._clock() - last

    def running(self) -> dict[str, str]:
        """Pipelines running now, with their run ids."""
        with self._lock:
            return dict(self._running)

    def states(self) -> list[PipelineState]:
        with self._lock:
            states = list(self._states.values())
            running = set(self._running)
        return [replace(s, running=s.name in running, next_run=self._next_run(s.name)) for s in states]

    def _next_run(self, name: str) -> datetime | None:
        job = self._scheduler.get_job(name)
        return None if job is None else job.next_run_time

    # -- one run -------------------------------------------------------------------------------

    def run_once(self, name: str) -> RunResult:
        """Run *name* now in this thread, exactly as a scheduled run does (scheduled runs call this)."""
        run_id = uuid.uuid4().hex[:12]
        started = self._clock()
        with self._lock:
            self._running[name] = run_id
        try:
            with run_context(name, run_id):
                result = self._execute(name, run_id, started)
            self._notify(result)
        finally:
            with self._lock:
                self._running.pop(name, None)
                self._lock.notify_all()
        return result

    def _execute(self, name: str, run_id: str, started: datetime) -> RunResult:
        log.info("run started")
        try:
            self._run_pipeline(name, self.stop_event)
        except RunSkipped as skipped:
            log.debug("run skipped: %s", skipped)
            return RunResult(name, run_id, "skipped", started, self._clock())
        except Exception as exc:
            return self._failed(name, run_id, started, exc)
        if self.stop_event.is_set():
            log.info("run stopped at a checkpoint for shutdown")
            return RunResult(name, run_id, "interrupted", started, self._clock())
        return self._succeeded(name, run_id, started)

    def _succeeded(self, name: str, run_id: str, started: datetime) -> RunResult:
        finished = self._clock()
        self._update_state(name, consecutive_failures=0, last_success=finished)
        log.info("run succeeded in %.1fs", (finished - started).total_seconds())
        return RunResult(name, run_id, "success", started, finished)

    def _failed(self, name: str, run_id: str, started: datetime, exc: Exception) -> RunResult:
        finished = self._clock()
        message = redact(f"{type(exc).__name__}: {exc}")
        with self._lock:
            state = self._states.get(name)
            failures = (state.consecutive_failures if state else 0) + 1
        next_attempt = self._delay_next_run(name, finished + self._backoff.delay(failures, exc))
        self._update_state(name, consecutive_failures=failures, last_failure=finished, last_error=message)
        log.error(
            "run failed (%d in a row), next attempt at %s: %s",
            failures,
            next_attempt.isoformat(timespec="seconds") if next_attempt else "never (pipeline removed)",
            message,
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
        return RunResult(name, run_id, "failure", started, finished, message, next_attempt)

    def _delay_next_run(self, name: str, earliest: datetime) -> datetime | None:
        job = self._scheduler.get_job(name)
        if job is None:
            return None
        if job.next_run_time is not None and job.next_run_time >= earliest:
            return job.next_run_time  # type: ignore[no-any-return]
        job.modify(next_run_time=earliest)
        return earliest

    def _update_state(self, name: str, **changes: Any) -> None:
        with self._lock:
            if name in self._states:
                self._states[name] = replace(self._states[name], **changes)

    def _notify(self, result: RunResult) -> None:
        for listener in self._listeners:
            try:
                listener(result)
            except Exception:
                log.exception("a run listener failed on %s", result)


def _by_name(schedules: Iterable[PipelineSchedule]) -> dict[str, PipelineSchedule]:
    by_name: dict[str, PipelineSchedule] = {}
    for schedule in schedules:
        if schedule.name in by_name:
            raise ConfigError(f"pipeline {schedule.name!r} is scheduled twice")
        if schedule.name == HEARTBEAT_JOB:
            raise ConfigError(f"pipeline name {HEARTBEAT_JOB!r} is reserved")
        by_name[schedule.name] = schedule
    return by_name


def _seconds(delta: timedelta) -> int:
    return max(1, round(delta.total_seconds()))


__all__ = [
    "PipelineScheduler",
    "PipelineState",
    "RunPipeline",
    "RunResult",
    "RunSkipped",
    "ScheduleChange",
    "ThreadPerRunExecutor",
    "utc_now",
]
