"""Talking to systemd: ``sd_notify`` over ``$NOTIFY_SOCKET`` and the watchdog settings.

Outside systemd (no ``$NOTIFY_SOCKET``) every call is a no-op, so the daemon runs the same way in a
terminal, in a container and under a service manager. The protocol is datagrams of
``KEY=VALUE`` lines on an ``AF_UNIX`` socket; an address starting with ``@`` is in the abstract
namespace (see sd_notify(3)).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping, MutableMapping

log = logging.getLogger(__name__)

NOTIFY_SOCKET = "NOTIFY_SOCKET"
WATCHDOG_USEC = "WATCHDOG_USEC"
WATCHDOG_PID = "WATCHDOG_PID"


class Notifier:
    """Sends state changes to systemd; does nothing when *address* is ``None``.

    Use :meth:`from_environment` in the daemon: it also removes ``$NOTIFY_SOCKET`` from the
    environment so that child processes (a connector's helper, say) cannot talk to systemd in the
    daemon's name.
    """

    __slots__ = ("_address", "_failed", "_socket")

    def __init__(self, address: str | None) -> None:
        self._address = _socket_address(address) if address else None
        self._socket: socket.socket | None = None
        self._failed = False
        if self._address is not None:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @classmethod
    def from_environment(cls, environ: MutableMapping[str, str] | None = None) -> Notifier:
        """The notifier for ``$NOTIFY_SOCKET``, which is removed from *environ* (``os.environ``)."""
        env = os.environ if environ is None else environ
        return cls(env.pop(NOTIFY_SOCKET, None))

    @property
    def enabled(self) -> bool:
        """Whether a notify socket was given (whether anyone is listening is not knowable)."""
        return self._socket is not None

    def notify(self, *assignments: str) -> None:
        """Send ``KEY=VALUE`` *assignments* as one datagram; a failure is logged once, never raised."""
        if self._socket is None or self._address is None:
            return
        payload = "\n".join(assignments).encode("utf-8")
        try:
            # Never block the daemon: a notification systemd is too busy to queue is dropped.
            self._socket.sendto(payload, socket.MSG_DONTWAIT, self._address)
        except OSError as exc:
            if not self._failed:
                log.warning("cannot notify systemd at %s: %s", self._address, exc)
            self._failed = True
        else:
            self._failed = False  # report the next outage too

    def ready(self, status: str | None = None) -> None:
        """Startup (or a reload) is complete: the service does what it is configured to do."""
        self.notify("READY=1", *_status_line(status))

    def reloading(self) -> None:
        """The configuration is being reloaded; follow with :meth:`ready` when done."""
        monotonic_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.notify("RELOADING=1", f"MONOTONIC_USEC={monotonic_usec}")

    def status(self, text: str) -> None:
        """A one-line description of what the service is doing, shown by ``systemctl status``."""
        self.notify(*_status_line(text))

    def watchdog(self) -> None:
        """Tell the watchdog the service is alive."""
        self.notify("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> None:
        """Shutdown has begun."""
        self.notify("STOPPING=1", *_status_line(status))

    def extend_timeout(self, seconds: float) -> None:
        """Ask for *seconds* more before systemd gives up on a start, reload or stop in progress."""
        self.notify(f"EXTEND_TIMEOUT_USEC={round(seconds * 1_000_000)}")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def watchdog_interval(environ: Mapping[str, str] | None = None, pid: int | None = None) -> float | None:
    """Seconds within which systemd expects ``WATCHDOG=1``, or ``None`` when there is no watchdog.

    ``$WATCHDOG_PID``, when set, names the process the watchdog is meant for; any other process
    (a child that inherited the environment) gets ``None``.
    """
    env = os.environ if environ is None else environ
    usec = env.get(WATCHDOG_USEC, "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    meant_for = env.get(WATCHDOG_PID, "")
    if meant_for and meant_for != str(os.getpid() if pid is None else pid):
        return None
    return int(usec) / 1_000_000


def _socket_address(address: str) -> str | None:
    if address.startswith("@") and len(address) > 1:
        return "\0" + address[1:]
    if address.startswith("/"):
        return address
    log.warning("ignoring $%s=%r: only a path or an @abstract name is supported", NOTIFY_SOCKET, address)
    return None


def _status_line(text: str | None) -> tuple[str, ...]:
    if text is None:
        return ()
    return ("STATUS=" + " ".join(text.split()),)


__all__ = ["Notifier", "watchdog_interval"]
