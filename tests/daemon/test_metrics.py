from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from syncd.daemon.httpserver import BackgroundHTTPServer
from syncd.daemon.metrics import Metrics, scheduler_health, serve_metrics
from syncd.daemon.schedule import PipelineSchedule
from syncd.daemon.scheduler import PipelineScheduler, RunResult
from syncd.errors import ConfigError, TransientError

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def flaky(name: str, stop: threading.Event) -> None:
    if name == "deals":
        raise TransientError("Zoho answered 503")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def scheduler(clock: Clock) -> Iterator[PipelineScheduler]:
    sched = PipelineScheduler(flaky, clock=clock)
    sched.apply([PipelineSchedule("contacts", "15m"), PipelineSchedule("deals", "1h")])
    sched.start(paused=True)
    yield sched
    sched.request_stop()


@pytest.fixture
def metrics(scheduler: PipelineScheduler) -> Metrics:
    metrics = Metrics()
    scheduler.add_listener(metrics.observe_run)
    return metrics


@pytest.fixture
def server(metrics: Metrics, scheduler: PipelineScheduler) -> Iterator[BackgroundHTTPServer]:
    server = serve_metrics(metrics, scheduler_health(scheduler, timedelta(seconds=15)), port=0)
    yield server
    server.stop()


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    value = metrics.registry.get_sample_value(name, labels)
    return None if value is None else float(value)


def test_runs_are_counted_by_outcome_and_timed(metrics: Metrics) -> None:
    metrics.observe_run(RunResult("contacts", "r1", "success", T0, T0 + timedelta(seconds=42)))
    metrics.observe_run(RunResult("contacts", "r2", "failure", T0, T0 + timedelta(seconds=3), "boom"))
    metrics.observe_run(RunResult("contacts", "r3", "failure", T0, T0 + timedelta(seconds=3), "boom"))
    assert sample(metrics, "syncd_runs_total", pipeline="contacts", outcome="success") == 1
    assert sample(metrics, "syncd_runs_total", pipeline="contacts", outcome="failure") == 2
    assert sample(metrics, "syncd_run_duration_seconds_sum", pipeline="contacts") == 48
    assert (
        sample(metrics, "syncd_last_success_timestamp_seconds", pipeline="contacts")
        == (T0 + timedelta(seconds=42)).timestamp()
    )
    assert sample(metrics, "syncd_consecutive_failures", pipeline="contacts") == 2


def test_the_engines_figures_are_recorded(metrics: Metrics) -> None:
    metrics.count_rows("contacts", "push", "created", 120)
    metrics.count_rows("contacts", "push", "rejected", 3)
    metrics.spend_credits("contacts", "bulk_write", 500)
    metrics.set_credits_left(49_000)
    metrics.observe_job("write", 95.0)
    metrics.set_rejects_waiting("contacts", 3)
    assert (
        sample(metrics, "syncd_rows_total", pipeline="contacts", direction="push", outcome="created") == 120
    )
    assert sample(metrics, "syncd_credits_spent_total", pipeline="contacts", operation="bulk_write") == 500
    assert sample(metrics, "syncd_credits_left") == 49_000
    assert sample(metrics, "syncd_zoho_job_duration_seconds_count", operation="write") == 1
    assert sample(metrics, "syncd_rejects_waiting", pipeline="contacts") == 3


def test_each_metrics_object_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()  # would raise "Duplicated timeseries" on a shared registry
    first.set_credits_left(1)
    assert second.registry.get_sample_value("syncd_credits_left") == 0


def test_metrics_are_served_over_http(
    server: BackgroundHTTPServer, scheduler: PipelineScheduler, metrics: Metrics
) -> None:
    scheduler.run_once("contacts")
    scheduler.run_once("deals")
    response = httpx.get(f"{server.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert 'syncd_runs_total{outcome="success",pipeline="contacts"} 1.0' in response.text
    assert 'syncd_runs_total{outcome="failure",pipeline="deals"} 1.0' in response.text


def test_health_is_ok_while_the_heartbeat_is_fresh(
    server: BackgroundHTTPServer, scheduler: PipelineScheduler, clock: Clock
) -> None:
    scheduler.run_once("deals")
    scheduler.beat()
    clock.now += timedelta(seconds=10)
    response = httpx.get(f"{server.url}/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["heartbeat_age_seconds"] == 10
    deals = body["pipelines"]["deals"]
    assert deals["consecutive_failures"] == 1
    assert deals["last_error"] == "TransientError: Zoho answered 503"
    assert body["pipelines"]["contacts"]["last_error"] is None


def test_health_is_503_when_the_scheduler_is_stuck(
    server: BackgroundHTTPServer, scheduler: PipelineScheduler, clock: Clock
) -> None:
    assert httpx.get(f"{server.url}/healthz").status_code == 503  # no heartbeat yet
    scheduler.beat()
    clock.now += timedelta(seconds=16)
    response = httpx.get(f"{server.url}/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "stuck"


def test_other_paths_and_methods_are_refused(server: BackgroundHTTPServer) -> None:
    assert httpx.get(f"{server.url}/").status_code == 404
    assert httpx.post(f"{server.url}/metrics").status_code == 405


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "metrics.example.net"])
def test_non_loopback_binds_are_refused_unless_allowed(metrics: Metrics, host: str) -> None:
    with pytest.raises(ConfigError, match="reachable from other machines"):
        serve_metrics(metrics, lambda: (True, {}), host=host, port=0)


def test_a_non_loopback_bind_may_be_allowed_explicitly(metrics: Metrics) -> None:
    server = serve_metrics(metrics, lambda: (True, {}), host="0.0.0.0", port=0, allow_non_loopback=True)
    try:
        assert httpx.get(f"http://127.0.0.1:{server.port}/healthz").json() == {}
    finally:
        server.stop()


def _ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback_available(), reason="this machine has no IPv6 loopback (::1)")
def test_ipv6_loopback_works(metrics: Metrics) -> None:
    server = serve_metrics(metrics, lambda: (True, {"status": "ok"}), host="::1", port=0)
    try:
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    finally:
        server.stop()


def test_a_port_in_use_is_a_config_error(metrics: Metrics, server: BackgroundHTTPServer) -> None:
    with pytest.raises(
        ConfigError, match=f"cannot listen on 127.0.0.1:{server.port} for the metrics endpoint"
    ):
        serve_metrics(metrics, lambda: (True, {}), port=server.port)
