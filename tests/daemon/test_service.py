from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from syncd.daemon.run import Endpoint, Endpoints, run_daemon
from syncd.daemon.schedule import PipelineSchedule
from syncd.daemon.scheduler import PipelineState
from syncd.daemon.service import Service, ServiceOptions, SignalPipe
from syncd.daemon.status import describe
from syncd.daemon.systemd import Notifier
from syncd.errors import ConfigError

from .conftest import NotifySocket

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


class Config:
    """A ``load_config`` whose answer the test changes."""

    def __init__(self, *schedules: PipelineSchedule) -> None:
        self.schedules = list(schedules)
        self.error: Exception | None = None

    def __call__(self) -> list[PipelineSchedule]:
        if self.error:
            raise self.error
        return self.schedules


def idle(name: str, stop: threading.Event) -> None:
    pass


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def notifier(notify_socket: NotifySocket) -> Iterator[Notifier]:
    with Notifier(str(notify_socket.path)) as n:
        yield n


def make_service(
    config: Config,
    notifier: Notifier,
    clock: Clock,
    *,
    prepare: Callable[[], None] = lambda: None,
    options: ServiceOptions | None = None,
) -> Service:
    return Service(
        load_config=config,
        run_pipeline=idle,
        prepare=prepare,
        notifier=notifier,
        clock=clock,
        environ={"WATCHDOG_USEC": "10000000"},
        options=options or ServiceOptions(heartbeat_interval=timedelta(seconds=5)),
    )


@pytest.fixture
def service(notifier: Notifier, clock: Clock) -> Iterator[Service]:
    svc = make_service(Config(PipelineSchedule("contacts", "1h")), notifier, clock)
    svc.scheduler.start(paused=True)
    yield svc
    svc.scheduler.request_stop()


def test_the_watchdog_is_pinged_only_while_the_heartbeat_is_fresh(
    service: Service, clock: Clock, notifier: Notifier, notify_socket: NotifySocket
) -> None:
    assert not service.ping_watchdog()  # no heartbeat yet
    service.scheduler.beat()
    assert service.ping_watchdog()
    assert notify_socket.receive() == {"WATCHDOG": "1"}

    clock.now += timedelta(seconds=16)  # more than three heartbeat intervals: the scheduler is stuck
    assert not service.ping_watchdog()
    notifier.status("marker")
    assert notify_socket.receive() == {"STATUS": "marker"}  # no WATCHDOG=1 came before it

    service.scheduler.beat()
    assert service.ping_watchdog()


def test_without_a_watchdog_nothing_is_pinged(notifier: Notifier, clock: Clock) -> None:
    svc = Service(load_config=Config(), run_pipeline=idle, notifier=notifier, clock=clock, environ={})
    svc.scheduler.beat()
    assert not svc.ping_watchdog()


def test_a_stale_heartbeat_is_logged_once(
    service: Service, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    service.scheduler.beat()
    clock.now += timedelta(minutes=1)
    service.ping_watchdog()
    service.ping_watchdog()
    assert caplog.text.count("no watchdog ping, systemd will restart syncd") == 1


def test_tick_sends_the_status_only_when_it_changed(service: Service, notify_socket: NotifySocket) -> None:
    service.scheduler.apply([PipelineSchedule("contacts", "1h")])
    service.scheduler.beat()
    service.tick()
    service.tick()
    assert notify_socket.receive() == {"WATCHDOG": "1"}
    assert notify_socket.receive()["STATUS"].startswith("idle; 1 pipeline; next contacts at ")
    assert notify_socket.receive() == {"WATCHDOG": "1"}


def test_reload_applies_the_new_configuration(
    notifier: Notifier, clock: Clock, notify_socket: NotifySocket, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    config = Config(PipelineSchedule("contacts", "1h"))
    svc = make_service(config, notifier, clock)
    svc.scheduler.apply(config())
    config.schedules = [PipelineSchedule("deals", "1h")]
    assert svc.reload()
    assert [s.name for s in svc.scheduler.states()] == ["deals"]
    assert notify_socket.receive()["RELOADING"] == "1"
    assert notify_socket.receive()["READY"] == "1"
    assert "configuration reloaded: added deals; removed contacts" in caplog.text


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            ConfigError("unknown connector 'shop'", pipeline="deals"),
            "unknown connector 'shop' [pipeline=deals]",
        ),
        (
            OSError("/etc/syncd/syncd.toml: permission denied"),
            "OSError: /etc/syncd/syncd.toml: permission denied",
        ),
        (ConfigError("refresh_token=abcdef is wrong"), "refresh_token=*** is wrong"),
    ],
)
def test_an_invalid_configuration_keeps_the_running_one_and_says_why(
    notifier: Notifier,
    clock: Clock,
    notify_socket: NotifySocket,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    reason: str,
) -> None:
    config = Config(PipelineSchedule("contacts", "1h"))
    svc = make_service(config, notifier, clock)
    svc.scheduler.apply(config())
    config.error = error
    assert not svc.reload()
    assert [s.name for s in svc.scheduler.states()] == ["contacts"]
    assert f"reload failed, still running the previous configuration: {reason}" in caplog.text
    assert notify_socket.wait_for("READY", "1")["STATUS"].startswith(f"reload failed ({reason})")


def test_start_fails_with_exit_code_2_on_a_config_error_and_never_says_ready(
    notifier: Notifier, clock: Clock, notify_socket: NotifySocket
) -> None:
    config = Config()
    config.error = ConfigError("no [zoho] section in /etc/syncd/syncd.toml")
    assert make_service(config, notifier, clock).run() == 2
    assert notify_socket.receive()["STATUS"].startswith("starting")
    assert notify_socket.receive() == {
        "STATUS": "failed to start: configuration error: no [zoho] section in /etc/syncd/syncd.toml"
    }


def test_start_fails_with_exit_code_3_when_preparing_fails(
    notifier: Notifier, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    def prepare() -> None:
        raise RuntimeError("database is locked")

    svc = make_service(Config(PipelineSchedule("contacts", "1h")), notifier, clock, prepare=prepare)
    assert svc.run() == 3
    assert "cannot start: RuntimeError: database is locked" in caplog.text
    assert svc.scheduler.states() == []  # nothing was scheduled


def test_signals_arrive_through_the_pipe_and_handlers_are_restored() -> None:
    before = signal.getsignal(signal.SIGHUP)
    with SignalPipe() as signals:
        assert signals.wait(0) == []
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGTERM)
        assert signals.wait(5) == [signal.SIGHUP, signal.SIGTERM]
    assert signal.getsignal(signal.SIGHUP) == before


def test_describe_says_what_runs_what_is_next_and_what_fails() -> None:
    states = [
        PipelineState("contacts", "15m", running=True),
        PipelineState("deals", "1h", next_run=NOW + timedelta(hours=1), consecutive_failures=2),
        PipelineState("accounts", "1h", next_run=NOW + timedelta(minutes=5)),
    ]
    assert describe(states) == (
        "running contacts; 3 pipelines; next accounts at 2026-01-05T12:05:00Z; failing deals (2x)"
    )
    assert describe([]) == "idle: no pipelines configured"
    assert describe([PipelineState("deals", "1h")]) == "idle; 1 pipeline"


@pytest.mark.parametrize(
    ("endpoints", "reason"),
    [
        (Endpoints(metrics=Endpoint(host="0.0.0.0")), "the metrics endpoint would listen on '0.0.0.0'"),
        (Endpoints(callbacks=Endpoint()), "the callback receiver is enabled but has no secret token"),
        (Endpoints(callbacks=Endpoint(), callback_token="short"), "the callback token must be at least 16"),
    ],
)
def test_endpoints_that_cannot_start_are_a_config_error(
    notifier: Notifier,
    clock: Clock,
    notify_socket: NotifySocket,
    caplog: pytest.LogCaptureFixture,
    endpoints: Endpoints,
    reason: str,
) -> None:
    svc = make_service(Config(PipelineSchedule("contacts", "1h")), notifier, clock)
    assert run_daemon(svc, endpoints) == 2
    assert f"cannot start: {reason}" in caplog.text
    assert svc.scheduler.states() == []


def test_a_failing_main_loop_stops_the_runs_and_exits_with_3(
    notifier: Notifier, clock: Clock, notify_socket: NotifySocket, caplog: pytest.LogCaptureFixture
) -> None:
    options = ServiceOptions(heartbeat_interval=timedelta(milliseconds=10))
    svc = make_service(Config(PipelineSchedule("contacts", "1h")), notifier, clock, options=options)

    def broken_tick() -> None:
        raise RuntimeError("status line bug")

    svc.tick = broken_tick  # type: ignore[method-assign]
    assert svc.run() == 3
    assert "the main loop failed; stopping" in caplog.text
    assert notify_socket.wait_for("STOPPING", "1")
    assert svc.scheduler.stop_event.is_set()
