"""Prometheus metrics and the health endpoint, on an optional loopback port.

``GET /metrics`` serves syncd's own registry (never the process-global default, so tests and
embedded uses do not collide); ``GET /healthz`` answers 200 while the scheduler's heartbeat is
fresh and 503 when it is stuck, with each pipeline's last success and last error in the body.

The scheduler feeds :meth:`Metrics.observe_run`; the Zoho client feeds :meth:`observe_job` as it sees
bulk jobs finish (``operation`` is ``read`` or ``write``); the daemon's pipelines feed the rest from
what each run recorded (:meth:`count_rows`, :meth:`spend_credits`, :meth:`set_credits_left`,
:meth:`set_rejects_waiting`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from syncd.daemon.httpserver import BackgroundHTTPServer, Reply, Request, check_bind_address
from syncd.daemon.scheduler import PipelineScheduler, PipelineState, RunResult

RUN_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400)
JOB_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)

Health = Callable[[], tuple[bool, dict[str, Any]]]


class Metrics:
    """syncd's metrics, in a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.runs = Counter("syncd_runs", "Pipeline runs, by outcome", ["pipeline", "outcome"], registry=r)
        self.rows = Counter(
            "syncd_rows",
            "Rows handled, by direction and outcome",
            ["pipeline", "direction", "outcome"],
            registry=r,
        )
        self.credits_spent = Counter(
            "syncd_credits_spent", "Zoho API credits spent", ["pipeline", "operation"], registry=r
        )
        self.credits_left = Gauge(
            "syncd_credits_left", "Credits left in the rolling 24-hour window", registry=r
        )
        self.run_duration = Histogram(
            "syncd_run_duration_seconds",
            "Duration of pipeline runs",
            ["pipeline"],
            buckets=RUN_BUCKETS,
            registry=r,
        )
        self.job_duration = Histogram(
            "syncd_zoho_job_duration_seconds",
            "Zoho bulk jobs (read, write) syncd waited for, from creation to seen finished",
            ["operation"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.rejects_waiting = Gauge(
            "syncd_rejects_waiting", "Rejected rows waiting to be fixed and retried", ["pipeline"], registry=r
        )
        self.last_success = Gauge(
            "syncd_last_success_timestamp_seconds",
            "When the pipeline last ran successfully",
            ["pipeline"],
            registry=r,
        )
        self.failures = Gauge(
            "syncd_consecutive_failures", "Failed runs in a row (0 after a success)", ["pipeline"], registry=r
        )

    def observe_run(self, result: RunResult) -> None:
        """A scheduler listener: count the run, time it, and track successes and failures."""
        self.runs.labels(result.pipeline, result.outcome).inc()
        if result.outcome == "skipped":  # another replica's run: nothing happened here
            return
        self.run_duration.labels(result.pipeline).observe(result.duration.total_seconds())
        if result.outcome == "success":
            self.last_success.labels(result.pipeline).set(result.finished.timestamp())
            self.failures.labels(result.pipeline).set(0)
        elif result.outcome == "failure":
            self.failures.labels(result.pipeline).inc()

    def count_rows(self, pipeline: str, direction: str, outcome: str, count: int = 1) -> None:
        self.rows.labels(pipeline, direction, outcome).inc(count)

    def spend_credits(self, pipeline: str, operation: str, credits: int) -> None:
        self.credits_spent.labels(pipeline, operation).inc(credits)

    def set_credits_left(self, credits: int) -> None:
        self.credits_left.set(credits)

    def observe_job(self, operation: str, seconds: float) -> None:
        self.job_duration.labels(operation).observe(seconds)

    def set_rejects_waiting(self, pipeline: str, count: int) -> None:
        self.rejects_waiting.labels(pipeline).set(count)

    def exposition(self) -> bytes:
        return bytes(generate_latest(self.registry))


def scheduler_health(scheduler: PipelineScheduler, max_heartbeat_age: timedelta) -> Health:
    """Healthy while the scheduler's heartbeat is at most *max_heartbeat_age* old."""

    def health() -> tuple[bool, dict[str, Any]]:
        age = scheduler.heartbeat_age()
        healthy = age is not None and age <= max_heartbeat_age
        return healthy, {
            "status": "ok" if healthy else "stuck",
            "heartbeat_age_seconds": None if age is None else age.total_seconds(),
            "running": sorted(scheduler.running()),
            "pipelines": {state.name: _pipeline_health(state) for state in scheduler.states()},
        }

    return health


def _pipeline_health(state: PipelineState) -> dict[str, Any]:
    return {
        "schedule": state.schedule,
        "running": state.running,
        "consecutive_failures": state.consecutive_failures,
        "last_success": state.last_success,
        "last_failure": state.last_failure,
        "last_error": state.last_error,
        "next_run": state.next_run,
    }


def metrics_app(metrics: Metrics, health: Health) -> Callable[[Request], Reply]:
    def app(request: Request) -> Reply:
        path = request.path.split("?", 1)[0]
        if path not in ("/metrics", "/healthz"):
            return Reply.text(HTTPStatus.NOT_FOUND)
        if request.method != "GET":
            return Reply(HTTPStatus.METHOD_NOT_ALLOWED, b"", headers={"Allow": "GET"})
        if path == "/metrics":
            return Reply(HTTPStatus.OK, metrics.exposition(), CONTENT_TYPE_LATEST)
        healthy, report = health()
        return Reply.json(HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE, report)

    return app


def serve_metrics(
    metrics: Metrics,
    health: Health,
    *,
    host: str = "127.0.0.1",
    port: int = 9478,
    allow_non_loopback: bool = False,
) -> BackgroundHTTPServer:
    """Start serving ``/metrics`` and ``/healthz``; loopback only unless *allow_non_loopback*."""
    check_bind_address(host, allow_non_loopback=allow_non_loopback, what="the metrics endpoint")
    return BackgroundHTTPServer(metrics_app(metrics, health), host, port, name="metrics").start()


__all__ = ["Health", "Metrics", "metrics_app", "scheduler_health", "serve_metrics"]
