"""Fixtures for the daemon tests: a real systemd notify socket."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest


class NotifySocket:
    """The receiving end of ``$NOTIFY_SOCKET``, as systemd holds it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.received: list[dict[str, str]] = []

    def receive(self, timeout: float = 5.0) -> dict[str, str]:
        """The next datagram as a dict; fails the test when none arrives within *timeout*."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            pytest.fail(f"no notification within {timeout}s; got so far: {self.received}")
        message = dict(line.split("=", 1) for line in data.decode().splitlines())
        self.received.append(message)
        return message

    def wait_for(self, key: str, value: str | None = None, timeout: float = 15.0) -> dict[str, str]:
        """Read datagrams until one carries *key* (with *value*, when given)."""
        while True:
            message = self.receive(timeout)
            if key in message and (value is None or message[key] == value):
                return message


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    receiver = NotifySocket(tmp_path / "notify.sock")
    yield receiver
    receiver.sock.close()
