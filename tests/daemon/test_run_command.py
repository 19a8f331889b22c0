"""``syncd run`` as a process: systemd's view, the schedule, SIGHUP, SIGTERM and ``syncd status``."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.emulator import EmulatorSettings, start_emulator
from syncd.store import Outcome, StateStore

from .conftest import NotifySocket
from .daemons import Daemon, eventually, lease, runs, status, write_config


@pytest.fixture
def zoho_url() -> Iterator[str]:
    with start_emulator(EmulatorSettings(job_seconds=0.1)) as emulator:
        yield emulator.url


def succeeded(url: str, pipeline: str) -> list[object]:
    return [run for run in runs(url, pipeline) if run.outcome is Outcome.SUCCEEDED]


def test_ready_after_migration_runs_on_schedule_reloads_and_stops(
    tmp_path: Path, zoho_url: str, notify_socket: NotifySocket
) -> None:
    url = f"sqlite:///{tmp_path / 'syncd.sqlite'}"
    config = write_config(
        tmp_path / "syncd.toml", state_url=url, zoho_url=zoho_url, holder="one", pipelines={"contacts": "1s"}
    )
    daemon = Daemon(config, tmp_path / "one.log", NOTIFY_SOCKET=str(notify_socket.path))
    try:
        notify_socket.wait_for("READY", "1", timeout=30)
        with StateStore.open(url, upgrade=False) as store:  # migrated before READY: no upgrade needed
            assert store.leases.holder("nothing") is None
        eventually(lambda: len(succeeded(url, "contacts")) >= 2, "two scheduled runs", daemons=[daemon])

        report = status(config)
        assert [p["running_on"] for p in report["pipelines"]] == ["one"]
        assert report["credits"]["spent"] >= 200

        write_config(
            config,
            state_url=url,
            zoho_url=zoho_url,
            holder="one",
            pipelines={"contacts": "1s", "slow_accounts": "1s"},
        )
        daemon.signal(signal.SIGHUP)
        notify_socket.wait_for("RELOADING", "1")
        notify_socket.wait_for("READY", "1")
        eventually(lambda: runs(url, "slow_accounts"), "a run of the added pipeline", daemons=[daemon])

        stopping = time.monotonic()
        daemon.signal(signal.SIGTERM)
        notify_socket.wait_for("STOPPING", "1")
        assert daemon.stop(timeout=20) == 0
    finally:
        daemon.kill()
    assert time.monotonic() - stopping < 10, "the slow run did not stop at its next step"
    assert "slow_accounts stopped at a checkpoint" in daemon.log()
    assert [run.outcome for run in runs(url, "slow_accounts")] == [Outcome.SUCCEEDED]
    assert lease(url, "contacts") is None, "a clean stop releases the leases"


def test_an_invalid_configuration_stops_the_start_with_exit_code_2(tmp_path: Path, zoho_url: str) -> None:
    url = f"sqlite:///{tmp_path / 'syncd.sqlite'}"
    config = write_config(
        tmp_path / "syncd.toml", state_url=url, zoho_url=zoho_url, holder="one", pipelines={"contacts": "1s"}
    )
    config.write_text(config.read_text().replace('directory = "', 'directory = "/nonexistent'))
    daemon = Daemon(config, tmp_path / "one.log")
    try:
        assert daemon.process.wait(30) == 2
    finally:
        daemon.kill()
    assert "connectors.shop" in daemon.log()
    assert runs(url) == []
