"""The client against the emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator
from syncd.zoho import Credentials, DownloadLimiter, Endpoints, PollPolicy, RetryPolicy, ZohoClient


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator(EmulatorSettings(job_seconds=0.05, page_size=100, seed={"Contacts": 250})) as emu:
        yield emu


@pytest.fixture
def connect(emulator: RunningEmulator, tmp_path: Path) -> Iterator[Callable[..., ZohoClient]]:
    clients: list[ZohoClient] = []

    def make(
        credentials: Credentials | None = None, *, url: str | None = None, **overrides: Any
    ) -> ZohoClient:
        options: dict[str, Any] = {
            "retry": RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.05, jitter=0.01, timeout=10),
            "poll": PollPolicy(initial=0.02, maximum=0.1, timeout=30),
            "limiter": DownloadLimiter(),
            "work_dir": tmp_path / "work",
        }
        options.update(overrides)
        endpoints = Endpoints.explicit(url or emulator.url)
        client = ZohoClient(endpoints, credentials or Credentials("demo", "demo", "demo"), **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
