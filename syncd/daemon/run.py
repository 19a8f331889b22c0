"""``syncd run`` put together: the service, its metrics and health endpoint, the callback receiver.

The command line builds a :class:`~syncd.daemon.service.Service` around the engine and hands it
here with the endpoints the configuration asks for::

    service = Service(load_config=..., run_pipeline=..., prepare=...)
    endpoints = Endpoints(metrics=Endpoint(port=9478))
    return run_daemon(service, endpoints, metrics=metrics, on_callback=hints.notify)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from syncd.daemon.callbacks import CALLBACK_PREFIX, JobHint, JobHints, serve_callbacks
from syncd.daemon.logs import redact
from syncd.daemon.metrics import Metrics, scheduler_health, serve_metrics
from syncd.daemon.service import EXIT_CONFIG, Service
from syncd.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Endpoint:
    host: str = "127.0.0.1"
    port: int = 0
    """0 picks a free port (tests); a real install names one."""


@dataclass(frozen=True)
class Endpoints:
    metrics: Endpoint | None = None
    """``/metrics`` and ``/healthz``; off when ``None``."""
    allow_public_metrics: bool = False
    """Serve metrics on a non-loopback address (they tell a lot about your business)."""
    callbacks: Endpoint | None = None
    """Zoho's job callbacks; off when ``None``."""
    callback_token: str | None = None


def run_daemon(
    service: Service,
    endpoints: Endpoints = Endpoints(),
    *,
    metrics: Metrics | None = None,
    on_callback: Callable[[JobHint], None] | None = None,
) -> int:
    """Start the endpoints, run the service until it stops, stop the endpoints; the exit code."""
    metrics = metrics or Metrics()
    service.scheduler.add_listener(metrics.observe_run)
    with contextlib.ExitStack() as running:
        try:
            _start_metrics(service, endpoints, metrics, running)
            _start_callbacks(endpoints, on_callback or JobHints().notify, running)
        except ConfigError as exc:
            log.error("cannot start: %s", redact(str(exc)))
            return EXIT_CONFIG
        return service.run()


def _start_metrics(
    service: Service, endpoints: Endpoints, metrics: Metrics, running: contextlib.ExitStack
) -> None:
    if endpoints.metrics is None:
        return
    health = scheduler_health(service.scheduler, service.options.max_heartbeat_age)
    where = endpoints.metrics
    server = serve_metrics(
        metrics, health, host=where.host, port=where.port, allow_non_loopback=endpoints.allow_public_metrics
    )
    running.callback(server.stop)
    log.info("metrics at %s/metrics, health at %s/healthz", server.url, server.url)


def _start_callbacks(
    endpoints: Endpoints, on_callback: Callable[[JobHint], None], running: contextlib.ExitStack
) -> None:
    if endpoints.callbacks is None:
        return
    if not endpoints.callback_token:
        raise ConfigError("the callback receiver is enabled but has no secret token")
    where = endpoints.callbacks
    server = serve_callbacks(endpoints.callback_token, on_callback, host=where.host, port=where.port)
    running.callback(server.stop)
    log.info("Zoho job callbacks accepted at %s%s<token>", server.url, CALLBACK_PREFIX)


__all__ = ["Endpoint", "Endpoints", "run_daemon"]
