"""The daemon's side of a pipeline run: configuration, the runtime, leases and metrics.

:class:`DaemonPipelines` gives :class:`~syncd.daemon.service.Service` its three callables:

``load_config()``
    reads ``syncd.toml`` and returns the pipelines' schedules. Once the daemon runs, a new
    configuration is checked (its connectors are built) before it replaces the running one;
    ``[state]``, ``[zoho]`` and ``[daemon]`` changes need a restart and are reported as such.
``prepare()``
    opens the runtime (migrating the store), checks the plugins and builds every configured
    connector once, so a broken configuration stops the daemon before READY=1.
``run_pipeline(name, stop)``
    claims the pipeline's lease (or skips the run: another replica has it), runs the engine's
    runner with a stop event that is set on SIGTERM or when the lease is lost, then publishes
    what the run recorded in the store as metrics. Bulk jobs feed the job-duration metric as the
    Zoho client sees them finish.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Protocol

from syncd.app import Runtime, open_runtime, utc_now
from syncd.config import SyncdConfig, load_config
from syncd.connector import Connector
from syncd.daemon.callbacks import CALLBACK_PREFIX, JobHint
from syncd.daemon.leases import LeaseKeeper
from syncd.daemon.logs import register_secrets_in
from syncd.daemon.metrics import Metrics
from syncd.daemon.schedule import PipelineSchedule
from syncd.daemon.scheduler import RunSkipped
from syncd.errors import ConfigError, PluginError, RetriableError, TransientError
from syncd.store import RejectStatus
from syncd.zoho import CallbackHub, FinishedJob

log = logging.getLogger(__name__)

RESTART_ONLY = ("state", "zoho", "daemon")


class RunReport(Protocol):
    """What the daemon reads of a runner's report: the engine reports errors instead of raising them."""

    @property
    def error(self) -> str | None: ...


class PipelineRunner(Protocol):
    """The engine's ``run_pipeline(runtime, name, *, stop)``, which stops at a step once *stop* is set."""

    def __call__(self, runtime: Runtime, name: str, *, stop: threading.Event) -> RunReport: ...


class RunFailedError(RetriableError):
    """The run ended with an error in its report (already logged and recorded by the engine)."""


def raise_for_report(name: str, report: RunReport) -> None:
    """Turn an error the runner reported into a failure the scheduler backs off from."""
    if report.error:
        raise RunFailedError(f"{name}: {report.error}")


class LeaseLostError(TransientError):
    """The pipeline's lease could not be renewed during the run; the run stopped at a step."""


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class DaemonPipelines:
    """The configured pipelines as the daemon runs them (see the module's description)."""

    def __init__(
        self,
        config_path: Path,
        runner: PipelineRunner,
        *,
        metrics: Metrics | None = None,
        clock: Callable[[], Any] = utc_now,
    ) -> None:
        self.config_path = config_path
        self.metrics = metrics or Metrics()
        self.callbacks = CallbackHub()
        self._runner = runner
        self._clock = clock
        self._config: SyncdConfig | None = None
        self._runtime: Runtime | None = None
        self._keeper: LeaseKeeper | None = None
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._closing = ExitStack()

    @property
    def config(self) -> SyncdConfig:
        if self._config is None:
            self._config = self._read()
        return self._config

    @property
    def holder(self) -> str:
        return self.config.daemon.holder or default_holder()

    # -- configuration -------------------------------------------------------------------------

    def load_config(self) -> list[PipelineSchedule]:
        """The pipelines' schedules from a fresh read of the file; a running daemon adopts it."""
        config = self._read()
        if self._runtime is not None:
            self._adopt(config, self._runtime)
        self._config = config
        return [PipelineSchedule(name, pipeline.schedule) for name, pipeline in config.pipelines.items()]

    def _read(self) -> SyncdConfig:
        config = load_config(self.config_path)
        register_secrets_in(config)
        return config

    def _adopt(self, config: SyncdConfig, runtime: Runtime) -> None:
        check_connectors(runtime, config)
        for section in RESTART_ONLY:
            if getattr(config, section) != getattr(runtime.config, section):
                log.warning("[%s] changed: that takes effect at the next restart", section)
        runtime.config = config.model_copy(update={s: getattr(runtime.config, s) for s in RESTART_ONLY})
        if self._keeper is not None:
            with self._lock:
                keep = set(config.pipelines) | self._running
            self._keeper.keep_only(keep)

    # -- start and stop ------------------------------------------------------------------------

    def prepare(self) -> None:
        """Open the store (migrating it) and the Zoho client, check plugins and connectors."""
        config = self.config
        runtime = self._closing.enter_context(
            open_runtime(
                config,
                clock=self._clock,
                callbacks=self.callbacks,
                callback_url=callback_url(config),
                on_job=self.observe_job,
            )
        )
        check_plugins(runtime)
        check_connectors(runtime, config)
        keeper = LeaseKeeper(runtime.store.leases, self.holder, config.daemon.lease_ttl)
        keeper.start()
        self._closing.callback(keeper.close)
        self._runtime, self._keeper = runtime, keeper
        self._publish_credits(runtime)
        log.info("store ready at %s; holding leases as %s", _safe_url(config.state.url), keeper.holder)

    def close(self) -> None:
        """Release the leases, close the Zoho client and the store."""
        self._closing.close()
        self._runtime = self._keeper = None

    def hint(self, hint: JobHint) -> None:
        """A Zoho job callback: wake whoever waits for that job (it is re-read, never trusted)."""
        self.callbacks.notify({"job_id": hint.job_id})

    def observe_job(self, job: FinishedJob) -> None:
        """A bulk job the Zoho client waited for has finished: its duration goes to the metrics."""
        self.metrics.observe_job(job.operation, job.seconds)

    # -- one run -------------------------------------------------------------------------------

    def run_pipeline(self, name: str, stop: threading.Event) -> None:
        runtime, keeper = self._started()
        lost = keeper.claim(name)
        if lost is None:
            lease = runtime.store.leases.holder(name)
            raise RunSkipped(f"{lease.holder if lease else 'another replica'} holds the lease of {name}")
        with self._lock:
            self._running.add(name)
        try:
            self._run(runtime, name, stop, lost)
        finally:
            with self._lock:
                self._running.discard(name)
            if name not in runtime.config.pipelines:  # removed by a reload while it ran
                keeper.release([name])
            self._publish(runtime, name)

    def _run(self, runtime: Runtime, name: str, stop: threading.Event, lost: threading.Event) -> None:
        with either(stop, lost) as run_stop:
            report = self._runner(runtime, name, stop=run_stop)
        if lost.is_set() and not stop.is_set():
            raise LeaseLostError(f"lost the lease of {name} during the run; it stopped at a checkpoint")
        raise_for_report(name, report)

    def _started(self) -> tuple[Runtime, LeaseKeeper]:
        if self._runtime is None or self._keeper is None:
            raise RuntimeError("run_pipeline() before prepare()")
        return self._runtime, self._keeper

    # -- metrics -------------------------------------------------------------------------------

    def _publish(self, runtime: Runtime, name: str) -> None:
        try:
            self._publish_run(runtime, name)
            self._publish_credits(runtime)
        except Exception:
            log.warning("could not read the run's figures for the metrics", exc_info=True)

    def _publish_run(self, runtime: Runtime, name: str) -> None:
        with runtime.store.snapshot() as tx:
            runs = tx.runs.last(name, limit=1)
            waiting = sum(
                len(tx.rejects.find(name, status=s)) for s in (RejectStatus.OPEN, RejectStatus.RETRY)
            )
        self.metrics.set_rejects_waiting(name, waiting)
        if not runs or runs[0].holder not in (None, self.holder) or runs[0].finished_at is None:
            return
        run = runs[0]
        for key, count in run.counts.items():
            direction, _, outcome = key.rpartition("_") if "_" in key else ("all", "", key)
            self.metrics.count_rows(name, direction or "all", outcome, count)
        if run.credits:
            self.metrics.spend_credits(name, "run", run.credits)

    def _publish_credits(self, runtime: Runtime) -> None:
        limits = runtime.config.credits
        usage = runtime.store.credits.usage(runtime.org)
        self.metrics.set_credits_left(usage.available(limit=limits.daily_limit, reserve=limits.reserve))


@contextmanager
def either(*events: threading.Event, poll: float = 0.1) -> Iterator[threading.Event]:
    """An event set as soon as any of *events* is, for as long as the block lasts."""
    merged = threading.Event()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(poll):
            if any(event.is_set() for event in events):
                merged.set()
                return

    if any(event.is_set() for event in events):
        merged.set()
    watcher = threading.Thread(target=watch, name="syncd-stop-watch", daemon=True)
    watcher.start()
    try:
        yield merged
    finally:
        done.set()
        watcher.join()


def callback_url(config: SyncdConfig) -> str | None:
    """What Zoho is told to call when a job ends; ``None`` when the receiver is off."""
    daemon = config.daemon
    if daemon.callback_port is None or daemon.callback_public_url is None or daemon.callback_token is None:
        return None
    return (
        f"{daemon.callback_public_url.rstrip('/')}{CALLBACK_PREFIX}{daemon.callback_token.get_secret_value()}"
    )


def check_plugins(runtime: Runtime) -> None:
    """Broken plugins are logged; one that provides a configured connector type stops the start."""
    runtime.plugins.load()
    for plugin in runtime.plugins.plugins():
        if plugin.error is not None:
            log.warning("plugin %s is unavailable: %s", plugin.name, plugin.error)
    for name, connector in runtime.config.connectors.items():
        try:
            runtime.plugins.connector_class(connector.type)
        except (ConfigError, PluginError) as exc:
            raise ConfigError(f"connectors.{name}: {exc}") from None


def check_connectors(runtime: Runtime, config: SyncdConfig) -> None:
    """Build, check and close each connector a pipeline uses, so its configuration is checked now."""
    used = {pipeline.connector for pipeline in config.pipelines.values()}
    for name in sorted(used):
        configured = config.connectors[name]
        try:
            connector_class = runtime.plugins.connector_class(configured.type)
            connector = connector_class.from_options(configured.options, name=name, clock=runtime.clock)
        except (ConfigError, PluginError) as exc:
            raise ConfigError(f"connectors.{name}: {exc}") from None
        try:
            _check(name, connector)
        finally:
            connector.close()


def _check(name: str, connector: Connector[Any]) -> None:
    """The connector's own check: a configuration error stops the start; an outage only warns."""
    try:
        connector.check()
    except (ConfigError, PluginError) as exc:
        raise ConfigError(f"connectors.{name}: {exc}") from None
    except Exception as exc:
        log.warning("connector %s cannot be checked now (its pipelines will retry): %s", name, exc)


def _safe_url(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


__all__ = [
    "DaemonPipelines",
    "LeaseLostError",
    "PipelineRunner",
    "RunFailedError",
    "RunReport",
    "callback_url",
    "check_connectors",
    "check_plugins",
    "default_holder",
    "either",
    "raise_for_report",
]
