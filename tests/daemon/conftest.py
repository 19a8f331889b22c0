"""Fixtures for the daemon tests: a real systemd notify socket."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


class NotifySocket:
    """The receiving end of ``$NOTIFY_SOCKET``, read continuously as systemd does."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.1)
        self.received: list[dict[str, str]] = []
        self._read = 0
        self._arrived = threading.Condition()
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read_forever, daemon=True)
        self._reader.start()

    def _read_forever(self) -> None:
        while not self._closed.is_set():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            message = dict(line.split("=", 1) for line in data.decode().splitlines())
            with self._arrived:
                self.received.append(message)
                self._arrived.notify_all()

    def receive(self, timeout: float = 5.0) -> dict[str, str]:
        """The next datagram not yet looked at; fails the test when none arrives within *timeout*."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) > self._read, timeout):
                pytest.fail(f"no notification within {timeout}s; got so far: {self.received}")
            self._read += 1
            return self.received[self._read - 1]

    def wait_for(self, key: str, value: str | None = None, timeout: float = 15.0) -> dict[str, str]:
        """Skip datagrams until one carries *key* (with *value*, when given)."""
        while True:
            message = self.receive(timeout)
            if key in message and (value is None or message[key] == value):
                return message

    def close(self) -> None:
        self._closed.set()
        self._reader.join()
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    receiver = NotifySocket(tmp_path / "notify.sock")
    yield receiver
    receiver.close()


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose connections see only a fresh schema of this test's own (dropped after)."""
    from sqlalchemy import create_engine, make_url, text

    name = f"syncd_test_{uuid.uuid4().hex[:12]}"
    url = make_url(postgres_url).set(drivername="postgresql+psycopg")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {name}"))
    try:
        yield url.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()
