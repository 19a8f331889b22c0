"""An optional receiver for Zoho's bulk job callbacks, used only as a hint to re-check a job.

Zoho POSTs a job's details to the ``callback.url`` given when the job was created, once it has
completed or failed. syncd gives Zoho ``https://<public address>/zoho/callback/<secret token>``;
this receiver checks the token (constant-time), parses the body and tells a listener "job X may
have changed". It never trusts the body's state: the client's waiter re-reads the job by GET, so
a forged or replayed callback can at worst cause one extra status request.

Three body shapes are documented or sent (``zoho-bulk-api.md`` §1.5, §2.6) and all are accepted:

* flat (Kaizen #12): ``{"job_id": "...", "operation": "read", "state": "COMPLETED", ...}``
* wrapped (v7 docs): ``{"data": [{"id": "...", "operation": "read", "state": "COMPLETED", ...}]}``
* a bulk write job's details, flat with ``id``: ``{"id": "...", "status": "COMPLETED", ...}``
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from syncd.daemon.httpserver import BackgroundHTTPServer, Reply, Request
from syncd.daemon.logs import register_secret
from syncd.errors import ConfigError

log = logging.getLogger(__name__)

CALLBACK_PREFIX = "/zoho/callback/"
MIN_TOKEN_LENGTH = 16
MAX_CALLBACK_BODY = 64 * 1024
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class JobHint:
    """Zoho says this job may have changed; ``state`` and ``operation`` are Zoho's word, unchecked."""

    job_id: str
    operation: str | None = None
    state: str | None = None


class MalformedCallback(ValueError):
    """The body is not a Zoho job callback."""


def parse_callback(body: bytes) -> list[JobHint]:
    """The jobs a callback body names; :class:`MalformedCallback` saying what is wrong otherwise."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedCallback(f"the body is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise MalformedCallback("the body is not a JSON object")
    if "data" in payload:
        entries = payload["data"]
        if not isinstance(entries, list) or not entries:
            raise MalformedCallback("'data' is not a non-empty list of jobs")
        return [_hint(entry, id_keys=("id",), where=f"data[{i}]") for i, entry in enumerate(entries)]
    return [_hint(payload, id_keys=("job_id", "id"), where="the body")]


def _hint(entry: Any, *, id_keys: tuple[str, ...], where: str) -> JobHint:
    if not isinstance(entry, dict):
        raise MalformedCallback(f"{where} is not a JSON object")
    job_id = next((entry[key] for key in id_keys if key in entry), None)
    if isinstance(job_id, int) and not isinstance(job_id, bool):
        job_id = str(job_id)
    if not isinstance(job_id, str) or not _JOB_ID.fullmatch(job_id):
        raise MalformedCallback(f"{where} has no valid {' or '.join(repr(key) for key in id_keys)}")
    state = _text(entry.get("state")) or _text(entry.get("status"))
    return JobHint(job_id, _text(entry.get("operation")), state)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class JobHints:
    """Where waiters for a job sleep between polls, and where callbacks wake them early.

    ``hints.wait(job_id, poll_interval)`` returns ``True`` when a callback named the job (then
    re-check it now), ``False`` when the poll interval passed without one (re-check it anyway).
    """

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def notify(self, hint: JobHint) -> None:
        self._event(hint.job_id).set()

    def wait(self, job_id: str, timeout: float) -> bool:
        event = self._event(job_id)
        woken = event.wait(timeout)
        if woken:
            event.clear()
        return woken

    def forget(self, job_id: str) -> None:
        """The job is finished: drop its event."""
        with self._lock:
            self._events.pop(job_id, None)

    def _event(self, job_id: str) -> threading.Event:
        with self._lock:
            return self._events.setdefault(job_id, threading.Event())


def callback_app(token: str, listener: Callable[[JobHint], None]) -> Callable[[Request], Reply]:
    """The receiver as an app: 403 for a wrong token, 400 for a malformed body, 200 otherwise."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(f"the callback token must be at least {MIN_TOKEN_LENGTH} characters long")
    register_secret(token)
    expected = _digest(token)

    def app(request: Request) -> Reply:
        path = request.path.split("?", 1)[0]
        if not path.startswith(CALLBACK_PREFIX):
            return Reply.text(HTTPStatus.NOT_FOUND)
        if not hmac.compare_digest(_digest(path[len(CALLBACK_PREFIX) :]), expected):
            log.warning("refused a Zoho callback from %s: wrong token", request.client)
            return Reply.text(HTTPStatus.FORBIDDEN)
        if request.method != "POST":
            return Reply(HTTPStatus.METHOD_NOT_ALLOWED, b"", headers={"Allow": "POST"})
        try:
            hints = parse_callback(request.body)
        except MalformedCallback as exc:
            log.warning("refused a Zoho callback from %s: %s", request.client, exc)
            return Reply.text(HTTPStatus.BAD_REQUEST, str(exc))
        for hint in hints:
            state = hint.state or "no state given"
            log.info(
                "Zoho callback for %s job %s (%s): re-checking it",
                hint.operation or "bulk",
                hint.job_id,
                state,
            )
            listener(hint)
        return Reply.json(HTTPStatus.OK, {"status": "success"})

    return app


def _digest(token: str) -> bytes:
    # Comparing digests keeps even the token's length out of the response time.
    return hashlib.sha256(token.encode()).digest()


def serve_callbacks(
    token: str, listener: Callable[[JobHint], None], *, host: str = "127.0.0.1", port: int = 8780
) -> BackgroundHTTPServer:
    """Start the receiver. It usually sits behind a reverse proxy that terminates TLS, hence the
    loopback default; any address may be given, since Zoho must be able to reach it."""
    app = callback_app(token, listener)
    return BackgroundHTTPServer(app, host, port, max_body=MAX_CALLBACK_BODY, name="callbacks").start()


__all__ = [
    "CALLBACK_PREFIX",
    "JobHint",
    "JobHints",
    "MalformedCallback",
    "callback_app",
    "parse_callback",
    "serve_callbacks",
]
