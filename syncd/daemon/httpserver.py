"""A small HTTP server in a background thread, for the metrics endpoint and the callback receiver.

Both serve a handful of tiny requests, so the standard library's threading server is enough; the
daemon's HTTP surface stays free of an event loop. An *app* is a plain function from
:class:`Request` to :class:`Reply`.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from syncd.daemon.logs import redact
from syncd.errors import ConfigError

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]
    client: str
    body: bytes = b""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any) -> Reply:
        return cls(status, json.dumps(payload, default=str).encode(), "application/json")

    @classmethod
    def text(cls, status: int, text: str | None = None) -> Reply:
        return cls(status, (text if text is not None else HTTPStatus(status).phrase).encode() + b"\n")


App = Callable[[Request], Reply]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind_address(host: str, *, allow_non_loopback: bool, what: str) -> None:
    """Refuse to expose *what* beyond this machine unless the operator said so explicitly."""
    if not allow_non_loopback and not is_loopback(host):
        raise ConfigError(
            f"{what} would listen on {host!r}, which is reachable from other machines; "
            "bind it to 127.0.0.1 (or ::1), or allow it explicitly",
            host=host,
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: App
    max_body: int


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "syncd"
    sys_version = ""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        body, problem = self._read_body()
        if problem is not None:
            self._send(problem)
            return
        request = Request(self.command, self.path, dict(self.headers.items()), self.client_address[0], body)
        try:
            reply = self.server.app(request)
        except Exception:
            log.exception("HTTP handler failed on %s %s", self.command, redact(self.path))
            reply = Reply.text(HTTPStatus.INTERNAL_SERVER_ERROR)
        self._send(reply)

    def _read_body(self) -> tuple[bytes, Reply | None]:
        length = self.headers.get("Content-Length")
        if length is None:
            return b"", None
        if not length.isdigit():
            return b"", Reply.text(HTTPStatus.BAD_REQUEST, "bad Content-Length")
        if int(length) > self.server.max_body:
            self.close_connection = True
            return b"", Reply.text(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        return self.rfile.read(int(length)), None

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.client_address[0], redact(format % args))


class _Server6(_Server):
    address_family = socket.AF_INET6


class BackgroundHTTPServer:
    """Serves *app* on *host*:*port* (0 picks a free port) from a daemon thread."""

    def __init__(
        self, app: App, host: str, port: int, *, max_body: int = MAX_BODY, name: str = "http"
    ) -> None:
        server_class = _Server6 if ":" in host else _Server
        try:
            self._server = server_class((host, port), _Handler)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port} for the {name} endpoint: {exc}") from exc
        self._server.app = app
        self._server.max_body = max_body
        serve = functools.partial(self._server.serve_forever, poll_interval=0.1)
        self._thread = threading.Thread(target=serve, name=f"syncd-{name}", daemon=True)
        self.host = host

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> BackgroundHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> BackgroundHTTPServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


__all__ = ["App", "BackgroundHTTPServer", "Reply", "Request", "check_bind_address", "is_loopback"]
