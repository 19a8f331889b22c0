"""syncd as a background service (``syncd run``).

* :mod:`.service` — the main loop: signals, reload, graceful stop, systemd notifications
* :mod:`.scheduler` and :mod:`.schedule` — APScheduler jobs per pipeline, backoff, heartbeat
* :mod:`.systemd` — ``sd_notify`` and the watchdog settings; a no-op outside systemd
* :mod:`.logs` — journald / JSON logging with the run's context, secrets redacted
* :mod:`.metrics` — Prometheus metrics and ``/healthz``
* :mod:`.callbacks` — Zoho's job callbacks, as hints for the waiting client
* :mod:`.run` — all of it put together around a :class:`~.service.Service`

The engine plugs in through ``run_pipeline(name, stop)`` and ``load_config()``; see :mod:`.service`.
Everything here is internal to syncd.
"""
