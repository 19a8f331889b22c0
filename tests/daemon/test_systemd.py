from __future__ import annotations

import os
import socket
import uuid

import pytest

from syncd.daemon.systemd import Notifier, watchdog_interval

from .conftest import NotifySocket


def test_notifications_reach_a_real_socket(notify_socket: NotifySocket) -> None:
    with Notifier(str(notify_socket.path)) as notifier:
        notifier.ready(status="running 3 pipelines")
        notifier.status("contacts: pushing")
        notifier.watchdog()
        notifier.stopping()
        notifier.extend_timeout(2.5)
    assert [notify_socket.receive() for _ in range(5)] == [
        {"READY": "1", "STATUS": "running 3 pipelines"},
        {"STATUS": "contacts: pushing"},
        {"WATCHDOG": "1"},
        {"STOPPING": "1"},
        {"EXTEND_TIMEOUT_USEC": "2500000"},
    ]


def test_reloading_carries_the_monotonic_clock(notify_socket: NotifySocket) -> None:
    with Notifier(str(notify_socket.path)) as notifier:
        notifier.reloading()
    message = notify_socket.receive()
    assert message["RELOADING"] == "1"
    assert int(message["MONOTONIC_USEC"]) > 0


def test_a_status_on_several_lines_stays_one_assignment(notify_socket: NotifySocket) -> None:
    with Notifier(str(notify_socket.path)) as notifier:
        notifier.status("failed:\ncontacts\n  token expired")
    assert notify_socket.receive() == {"STATUS": "failed: contacts token expired"}


def test_abstract_namespace_addresses_work() -> None:
    name = f"syncd-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind("\0" + name)
        receiver.settimeout(5)
        with Notifier("@" + name) as notifier:
            notifier.ready()
        assert receiver.recv(100) == b"READY=1"


def test_from_environment_takes_the_socket_out_of_the_environment(notify_socket: NotifySocket) -> None:
    environ = {"NOTIFY_SOCKET": str(notify_socket.path)}
    with Notifier.from_environment(environ) as notifier:
        assert environ == {}
        assert notifier.enabled
        notifier.watchdog()
    assert notify_socket.receive() == {"WATCHDOG": "1"}


def test_without_systemd_everything_is_a_no_op() -> None:
    notifier = Notifier.from_environment({})
    assert not notifier.enabled
    notifier.ready()
    notifier.watchdog()
    notifier.stopping()


def test_an_unsupported_address_is_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    notifier = Notifier("vsock:2:1234")
    assert not notifier.enabled
    assert "only a path or an @abstract name" in caplog.text


def test_a_vanished_socket_is_logged_once_and_never_raises(
    tmp_path: os.PathLike[str], caplog: pytest.LogCaptureFixture
) -> None:
    with Notifier(os.path.join(tmp_path, "gone.sock")) as notifier:
        notifier.ready()
        notifier.watchdog()
    assert caplog.text.count("cannot notify systemd") == 1


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"WATCHDOG_USEC": "30000000"}, 30.0),
        ({"WATCHDOG_USEC": "500000", "WATCHDOG_PID": "4242"}, 0.5),
        ({"WATCHDOG_USEC": "500000", "WATCHDOG_PID": "1"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
    ],
)
def test_watchdog_interval(environ: dict[str, str], expected: float | None) -> None:
    assert watchdog_interval(environ, pid=4242) == expected


def test_watchdog_interval_defaults_to_this_process() -> None:
    environ = {"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_interval(environ) == 2.0


def test_a_full_notify_queue_drops_notifications_instead_of_blocking(
    tmp_path: os.PathLike[str], caplog: pytest.LogCaptureFixture
) -> None:
    path = os.path.join(tmp_path, "nobody-reads.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as unread:
        unread.bind(path)
        with Notifier(path) as notifier:
            for _ in range(10_000):  # far more than a datagram queue holds
                notifier.watchdog()
    assert caplog.text.count("cannot notify systemd") == 1
