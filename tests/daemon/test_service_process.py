"""``syncd run``'s life as systemd sees it, against a real notify socket and real signals."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import NotifySocket

FAKE_SERVICE = Path(__file__).with_name("fake_service.py")


class RunningService:
    def __init__(self, tmp_path: Path, notify: NotifySocket, config: dict[str, Any], **env: str) -> None:
        self.config_path = tmp_path / "config.json"
        self.log_path = tmp_path / "service.log"
        self.write_config(config)
        environ = {**os.environ, "NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "600000", **env}
        environ.pop("WATCHDOG_PID", None)
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(FAKE_SERVICE), str(self.config_path)], stderr=log, env=environ
            )

    def write_config(self, config: dict[str, Any]) -> None:
        self.config_path.write_text(json.dumps(config))

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_for_log(self, text: str, count: int = 1, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while self.log().count(text) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail(f"{text!r} not logged {count} times; the log:\n{self.log()}")
            time.sleep(0.05)

    def signal(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def exit_code(self, timeout: float = 20) -> int:
        return self.process.wait(timeout)


def pipelines(**behaviours: str) -> dict[str, Any]:
    return {
        "stop_timeout": 5,
        "pipelines": {n: {"schedule": "1s", "behaviour": b} for n, b in behaviours.items()},
    }


@pytest.fixture
def start(tmp_path: Path, notify_socket: NotifySocket) -> Iterator[Any]:
    started: list[RunningService] = []

    def _start(config: dict[str, Any], **env: str) -> RunningService:
        started.append(RunningService(tmp_path, notify_socket, config, **env))
        return started[-1]

    yield _start
    for service in started:
        if service.process.poll() is None:
            service.process.kill()
            service.process.wait()


def test_ready_watchdog_reload_and_graceful_stop(start: Any, notify_socket: NotifySocket) -> None:
    service = start(pipelines(a="ok"))
    ready = notify_socket.wait_for("READY", "1")
    assert "prepared" in service.log()
    assert "1 pipeline" in ready["STATUS"]
    notify_socket.wait_for("WATCHDOG", "1")
    service.wait_for_log("a ran")

    service.write_config(pipelines(b="ok"))
    service.signal(signal.SIGHUP)
    notify_socket.wait_for("RELOADING", "1")
    notify_socket.wait_for("READY", "1")
    service.wait_for_log("configuration reloaded: added b; removed a")
    service.wait_for_log("b ran")

    service.write_config({"pipelines": {"b": {"schedule": "whenever"}}})
    service.signal(signal.SIGHUP)
    failed = notify_socket.wait_for("READY", "1")
    assert failed["STATUS"].startswith("reload failed (invalid schedule: expected an interval like '15m'")
    service.wait_for_log("reload failed, still running the previous configuration")
    runs_of_b = service.log().count("b ran")
    service.wait_for_log("b ran", count=runs_of_b + 1)
    notify_socket.wait_for("WATCHDOG", "1")

    service.write_config(pipelines(b="until_stop"))
    service.signal(signal.SIGHUP)
    service.wait_for_log("configuration reloaded: no pipeline changed")
    service.wait_for_log("b waiting")
    service.signal(signal.SIGTERM)
    stopping = notify_socket.wait_for("STOPPING", "1")
    assert stopping["STATUS"] == "stopping: waiting up to 5s for b"
    assert service.exit_code() == 0
    assert "b checkpointed" in service.log()
    assert "stopped" in service.log().splitlines()[-1]


def test_a_run_that_ignores_the_stop_request_is_abandoned_after_the_timeout(
    start: Any, notify_socket: NotifySocket
) -> None:
    config = pipelines(stubborn="ignore_stop")
    config["stop_timeout"] = 0.5
    service = start(config)
    notify_socket.wait_for("READY", "1")
    service.wait_for_log("stubborn ignoring stop")
    service.signal(signal.SIGTERM)
    assert service.exit_code(timeout=20) == 3  # the run sleeps for 60s: the process did not wait for it
    assert "stop timeout: abandoning runs of stubborn" in service.log()


def test_a_failing_pipeline_does_not_stop_the_others(start: Any, notify_socket: NotifySocket) -> None:
    service = start(pipelines(broken="fail", fine="ok"))
    notify_socket.wait_for("READY", "1")
    service.wait_for_log("run failed (2 in a row)")
    assert "TransientError: broken cannot reach Zoho" in service.log()
    service.wait_for_log("fine ran", count=service.log().count("fine ran") + 2)
    service.signal(signal.SIGINT)
    assert service.exit_code() == 0


def test_ready_is_never_sent_when_preparing_fails(start: Any, notify_socket: NotifySocket) -> None:
    service = start(pipelines(a="ok"), FAKE_PREPARE_FAILS="1")
    assert service.exit_code() == 2
    assert (
        "cannot start: configuration error: the store at sqlite:///nowhere cannot be migrated"
        in service.log()
    )
    status = notify_socket.wait_for("STATUS", timeout=1)  # "starting: ..."
    assert status["STATUS"].startswith("starting")
    failed = notify_socket.wait_for("STATUS", timeout=1)
    assert failed["STATUS"].startswith("failed to start: configuration error")
    assert not any("READY" in message for message in notify_socket.received)


def test_metrics_health_and_callbacks_are_served_while_running(
    start: Any, notify_socket: NotifySocket
) -> None:
    token = "a-callback-token-long-enough"
    service = start(pipelines(contacts="ok"), FAKE_CALLBACK_TOKEN=token)
    notify_socket.wait_for("READY", "1")
    service.wait_for_log("contacts ran", count=2)
    metrics_url = re.search(r"metrics at (http://\S+)/metrics", service.log()).group(1)  # type: ignore[union-attr]
    callbacks_url = re.search(r"callbacks accepted at (http://\S+)<token>", service.log()).group(1)  # type: ignore[union-attr]
    assert token not in service.log()

    health = httpx.get(f"{metrics_url}/healthz")
    assert health.status_code == 200
    assert health.json()["pipelines"]["contacts"]["last_success"] is not None
    assert (
        'syncd_runs_total{outcome="success",pipeline="contacts"}' in httpx.get(f"{metrics_url}/metrics").text
    )

    assert (
        httpx.post(f"{callbacks_url}{token}", json={"job_id": "4242", "state": "COMPLETED"}).status_code
        == 200
    )
    assert httpx.post(f"{callbacks_url}wrong", json={"job_id": "4242"}).status_code == 403
    service.wait_for_log("Zoho callback for bulk job 4242 (COMPLETED): re-checking it")
    service.wait_for_log("refused a Zoho callback from 127.0.0.1: wrong token")

    service.signal(signal.SIGTERM)
    assert service.exit_code() == 0
