"""A small ``syncd run`` with fake pipelines, for the daemon's end-to-end tests.

    python tests/daemon/fake_service.py CONFIG.json

CONFIG.json: ``{"stop_timeout": 5, "pipelines": {"a": {"schedule": "1s", "behaviour": "ok"}}}``.
Behaviours: ``ok`` logs ``<name> ran``; ``fail`` raises a retriable error; ``until_stop`` waits for
the stop request and logs ``<name> checkpointed``; ``ignore_stop`` sleeps for a minute.
With ``$FAKE_PREPARE_FAILS`` set, preparing fails with a configuration error. With
``$FAKE_CALLBACK_TOKEN`` set, the metrics endpoint and the callback receiver listen on free
loopback ports (logged at start).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from syncd.daemon.logs import configure_logging
from syncd.daemon.run import Endpoint, Endpoints, run_daemon
from syncd.daemon.schedule import Backoff, PipelineSchedule
from syncd.daemon.service import Service, ServiceOptions
from syncd.errors import ConfigError, TransientError

log = logging.getLogger("fake")


class FakeEngine:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.behaviour: dict[str, str] = {}

    def load_config(self) -> list[PipelineSchedule]:
        try:
            config = json.loads(self.path.read_text())
        except ValueError as exc:
            raise ConfigError(f"{self.path} is not JSON: {exc}") from exc
        pipelines = config["pipelines"]
        schedules = [PipelineSchedule(name, p["schedule"]) for name, p in pipelines.items()]
        self.behaviour = {name: p.get("behaviour", "ok") for name, p in pipelines.items()}
        return schedules

    def prepare(self) -> None:
        if os.environ.get("FAKE_PREPARE_FAILS"):
            raise ConfigError("the store at sqlite:///nowhere cannot be migrated")
        log.info("prepared")

    def run_pipeline(self, name: str, stop: threading.Event) -> None:
        behaviour = self.behaviour.get(name, "ok")
        if behaviour == "fail":
            raise TransientError(f"{name} cannot reach Zoho")
        if behaviour == "until_stop":
            log.info("%s waiting", name)
            stop.wait(60)
            log.info("%s checkpointed", name)
        elif behaviour == "ignore_stop":
            log.info("%s ignoring stop", name)
            time.sleep(60)
        log.info("%s ran", name)


def main(argv: list[str]) -> int:
    configure_logging("plain", level=logging.INFO)
    engine = FakeEngine(Path(argv[0]))
    stop_timeout = json.loads(engine.path.read_text()).get("stop_timeout", 5)
    options = ServiceOptions(
        stop_timeout=timedelta(seconds=stop_timeout),
        heartbeat_interval=timedelta(milliseconds=100),
        backoff=Backoff(initial=timedelta(seconds=1)),
    )
    service = Service(
        load_config=engine.load_config,
        run_pipeline=engine.run_pipeline,
        prepare=engine.prepare,
        options=options,
    )
    token = os.environ.get("FAKE_CALLBACK_TOKEN")
    if token is None:
        return service.run()
    endpoints = Endpoints(metrics=Endpoint(), callbacks=Endpoint(), callback_token=token)
    return run_daemon(service, endpoints)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
