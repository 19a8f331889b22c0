"""The daemon's main loop: start when really ready, reload on SIGHUP, stop cleanly on SIGTERM.

::

    load_config() ─▶ prepare() ─▶ scheduler.apply() + start ─▶ READY=1
        loop (main thread):  wait for a signal or the next tick
            SIGHUP           RELOADING=1 ─▶ load_config() ─▶ apply the difference ─▶ READY=1
                             (an invalid configuration keeps the running one and says why)
            SIGTERM/SIGINT   leave the loop
            tick             WATCHDOG=1 if the scheduler's heartbeat is fresh; STATUS= when it changed
        STOPPING=1 ─▶ stop event set ─▶ wait up to stop_timeout for runs to checkpoint ─▶ exit

Signals reach the loop through ``signal.set_wakeup_fd`` on a socket pair (the self-pipe trick): the
handlers do nothing, so no work ever happens inside a signal handler.

The engine plugs in through two callables: ``run_pipeline(name, stop)`` runs one pipeline once and
returns at a checkpoint once ``stop`` is set; ``load_config()`` returns the pipelines' schedules and
raises :class:`~syncd.errors.ConfigError` for an invalid configuration.
"""

from __future__ import annotations

import logging
import select
import signal
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from types import FrameType, TracebackType

from syncd.daemon.logs import redact
from syncd.daemon.schedule import Backoff, PipelineSchedule
from syncd.daemon.scheduler import PipelineScheduler, RunPipeline, utc_now
from syncd.daemon.status import describe
from syncd.daemon.systemd import Notifier, watchdog_interval
from syncd.errors import ConfigError

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_FAILED = 3

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
HANDLED_SIGNALS = (*STOP_SIGNALS, signal.SIGHUP)

LoadConfig = Callable[[], Sequence[PipelineSchedule]]


@dataclass(frozen=True)
class ServiceOptions:
    stop_timeout: timedelta = timedelta(seconds=60)
    """How long runs in progress get to reach a checkpoint after SIGTERM before the process exits."""
    heartbeat_interval: timedelta = timedelta(seconds=5)
    heartbeat_max_age: timedelta | None = None
    """A heartbeat older than this means the scheduler is stuck (default: three intervals)."""
    backoff: Backoff = field(default_factory=Backoff)
    timezone: tzinfo | None = None
    """Time zone of cron schedules (default: the system's)."""

    @property
    def max_heartbeat_age(self) -> timedelta:
        return self.heartbeat_max_age or 3 * self.heartbeat_interval


class SignalPipe:
    """Turns SIGTERM, SIGINT and SIGHUP into bytes on a socket the main loop can wait on."""

    def __init__(self, signals: Sequence[signal.Signals] = HANDLED_SIGNALS) -> None:
        self._signals = signals
        self._reader, self._writer = socket.socketpair()
        self._previous: dict[signal.Signals, object] = {}
        self._previous_fd = -1

    def __enter__(self) -> SignalPipe:
        for sock in (self._reader, self._writer):
            sock.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for signum in self._signals:
            self._previous[signum] = signal.signal(signum, _ignore)
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]  # what signal.signal gave back
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()

    def wait(self, timeout: float) -> list[signal.Signals]:
        """Signals received, waiting up to *timeout* seconds for the first one."""
        readable, _, _ = select.select([self._reader], [], [], max(timeout, 0))
        if not readable:
            return []
        try:
            data = self._reader.recv(64)
        except BlockingIOError:
            return []
        return [signal.Signals(byte) for byte in data if byte in {int(s) for s in self._signals}]


def _ignore(signum: int, frame: FrameType | None) -> None:
    """The Python-level handler: the wakeup fd already carries the signal to the loop."""


class Service:
    """``syncd run``: the scheduler, the signals and systemd, around the injected engine."""

    def __init__(
        self,
        *,
        load_config: LoadConfig,
        run_pipeline: RunPipeline,
        prepare: Callable[[], None] = lambda: None,
        options: ServiceOptions | None = None,
        notifier: Notifier | None = None,
        clock: Callable[[], datetime] = utc_now,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.options = options or ServiceOptions()
        self._load_config = load_config
        self._prepare = prepare
        self._notifier = notifier if notifier is not None else Notifier.from_environment()
        self._watchdog = watchdog_interval(environ)
        self._clock = clock
        self._status = ""
        self._stale_reported = False
        self.scheduler = PipelineScheduler(
            run_pipeline,
            clock=clock,
            backoff=self.options.backoff,
            heartbeat_interval=self.options.heartbeat_interval,
            timezone=self.options.timezone,
        )

    def run(self) -> int:
        """Run until SIGTERM or SIGINT (must be called from the main thread); the exit code."""
        with SignalPipe() as signals:
            failed = self.start()
            if failed is not None:
                return failed
            try:
                self._loop(signals)
            except Exception:
                log.exception("the main loop failed; stopping")
                self._stop(signals)
                return EXIT_FAILED
            return self._stop(signals)

    # -- start ---------------------------------------------------------------------------------

    def start(self) -> int | None:
        """Load the configuration, prepare, schedule; READY=1. An exit code if that failed."""
        self._notifier.status("starting: reading the configuration, migrating the store, checking plugins")
        try:
            schedules = self._load_config()
            self._prepare()
            change = self.scheduler.apply(schedules)
        except ConfigError as exc:
            return self._failed_to_start(EXIT_CONFIG, f"configuration error: {exc}")
        except Exception as exc:
            log.debug("start failed", exc_info=True)
            return self._failed_to_start(EXIT_FAILED, f"{type(exc).__name__}: {exc}")
        self.scheduler.start()
        log.info("started with %d pipelines (%s)", len(schedules), ", ".join(change.added) or "none")
        self._notifier.ready(status=self._describe())
        return None

    def _failed_to_start(self, code: int, reason: str) -> int:
        reason = redact(reason)
        log.error("cannot start: %s", reason)
        self._notifier.status(f"failed to start: {reason}")
        return code

    # -- running -------------------------------------------------------------------------------

    def _loop(self, signals: SignalPipe) -> None:
        while True:
            for signum in signals.wait(self._tick()):
                if signum in STOP_SIGNALS:
                    log.info("%s received: stopping", signum.name)
                    return
                self.reload()
            self.tick()

    def _tick(self) -> float:
        tick = self.options.heartbeat_interval.total_seconds()
        if self._watchdog is not None:
            tick = min(tick, self._watchdog / 2)
        return tick

    def tick(self) -> None:
        """The loop's periodic work: the watchdog ping, then the status line."""
        self.ping_watchdog()
        status = self._describe()
        if status != self._status:
            self._notifier.status(status)
            self._status = status

    def ping_watchdog(self) -> bool:
        """WATCHDOG=1 only while the scheduler's heartbeat is fresh; whether it was sent."""
        if self._watchdog is None:
            return False
        age = self.scheduler.heartbeat_age()
        if age is not None and age <= self.options.max_heartbeat_age:
            self._notifier.watchdog()
            self._stale_reported = False
            return True
        if not self._stale_reported:
            log.error(
                "the scheduler's heartbeat is %s old: no watchdog ping, systemd will restart syncd", age
            )
            self._stale_reported = True
        return False

    def reload(self) -> bool:
        """Apply a freshly loaded configuration; on any error keep the running one. Whether it applied."""
        self._notifier.reloading()
        try:
            change = self.scheduler.apply(self._load_config())
        except Exception as exc:
            reason = redact(f"{type(exc).__name__}: {exc}" if not isinstance(exc, ConfigError) else str(exc))
            log.error("reload failed, still running the previous configuration: %s", reason)
            self._notifier.ready(status=f"reload failed ({reason}); {self._describe()}")
            return False
        log.info("configuration reloaded: %s", change.describe())
        self._notifier.ready(status=self._describe())
        return True

    def _describe(self) -> str:
        return describe(self.scheduler.states())

    # -- stop ----------------------------------------------------------------------------------

    def _stop(self, signals: SignalPipe) -> int:
        timeout = self.options.stop_timeout.total_seconds()
        running = sorted(self.scheduler.running())
        self._notifier.stopping(
            status=f"stopping: waiting up to {timeout:g}s for {', '.join(running) or 'nothing'}"
        )
        self._notifier.extend_timeout(timeout + 5)
        self.scheduler.request_stop()
        self._wait_for_runs(signals, time.monotonic() + timeout)
        left = sorted(self.scheduler.running())
        if left:
            log.error(
                "stop timeout: abandoning runs of %s; they resume from their last checkpoint", ", ".join(left)
            )
            return EXIT_FAILED
        log.info("stopped")
        return EXIT_OK

    def _wait_for_runs(self, signals: SignalPipe, deadline: float) -> None:
        while not self.scheduler.wait_idle(min(0.2, max(deadline - time.monotonic(), 0))):
            if time.monotonic() >= deadline:
                return
            if any(s in STOP_SIGNALS for s in signals.wait(0)):
                log.warning("second stop signal: not waiting for runs in progress")
                return


__all__ = ["EXIT_CONFIG", "EXIT_FAILED", "EXIT_OK", "LoadConfig", "Service", "ServiceOptions", "SignalPipe"]
