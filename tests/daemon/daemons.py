"""``syncd run`` processes for the tests: a demo-like configuration, start, signal, read the store."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from syncd.config import load_config
from syncd.errors import ConfigError
from syncd.store import Run, StateStore
from syncd.store.leases import Lease

ROOT = Path(__file__).parents[2]
HERE = Path(__file__).parent
RUNNER = "standin_runner:run_pipeline"
COST_PER_RUN = 100  # what standin_runner charges per run

PIPELINE = """
[pipelines.{name}]
connector = "shop"
stream = "customers"
module = "Contacts"
direction = "both"
find_by = "Email"
schedule = "{schedule}"

[pipelines.{name}.fields]
Email = "email"
Last_Name = "last_name"
"""


def write_config(
    path: Path,
    *,
    state_url: str,
    zoho_url: str,
    holder: str,
    pipelines: dict[str, str],
    daily_limit: int = 50_000,
    lease_ttl: str = "30s",
) -> Path:
    """A demo-like configuration: the CSV shop in ``path``'s directory, Zoho at ``zoho_url``."""
    shop = path.parent / "shop"
    if not shop.exists():
        shutil.copytree(ROOT / "config" / "demo" / "shop", shop)
    text = f"""
[state]
url = "{state_url}"

[zoho]
accounts_url = "{zoho_url}"
client_id = "demo"
client_secret = "demo"
refresh_token = "demo"

[credits]
daily_limit = {daily_limit}
reserve = 0

[daemon]
holder = "{holder}"
stop_timeout = "10s"
lease_ttl = "{lease_ttl}"

[connectors.shop]
type = "csv"
directory = "{shop}"
streams.customers = {{ key = ["email"] }}
"""
    text += "".join(PIPELINE.format(name=name, schedule=every) for name, every in pipelines.items())
    path.write_text(text)
    return path


class Daemon:
    """One ``syncd run`` process, its log in a file."""

    def __init__(self, config: Path, log: Path, *, runner: str | None = RUNNER, **env: str) -> None:
        """*runner* None: the engine's own runner, as in production."""
        self.config = config
        self.log_path = log
        environ = {**os.environ, "PYTHONPATH": str(HERE), **env}
        for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"):
            if name not in env:
                environ.pop(name, None)
        command = [sys.executable, "-m", "syncd", "run", "--config", str(config), "--log-format", "plain"]
        with log.open("w") as out:
            chosen = [] if runner is None else ["--runner", runner]
            self.process = subprocess.Popen([*command, *chosen], stderr=out, env=environ)

    def log(self) -> str:
        return self.log_path.read_text()

    def signal(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def stop(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def syncd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args], capture_output=True, text=True, timeout=60, check=False
    )


def status(config: Path) -> dict[str, Any]:
    """``syncd status --json``, as an operator runs it beside the daemon."""
    done = syncd("status", "--config", str(config), "--json")
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def runs(url: str, pipeline: str | None = None) -> list[Run]:
    """Finished and running runs, oldest first; none while the daemons have not migrated the store."""
    try:
        store = StateStore.open(url, upgrade=False)
    except ConfigError:
        return []
    with store, store.snapshot() as tx:
        return list(reversed(tx.runs.last(pipeline, limit=10_000)))


def lease(url: str, pipeline: str) -> Lease | None:
    with StateStore.open(url, upgrade=False) as store:
        return store.leases.holder(pipeline)


def credits_spent(url: str, config: Path) -> int:
    from syncd.app import org_name

    with StateStore.open(url, upgrade=False) as store:
        return store.credits.usage(org_name(load_config(config))).total


def eventually(condition: Callable[[], Any], what: str, *, timeout: float = 30, daemons: list[Daemon]) -> Any:
    """Wait for *condition* to return something true; fail naming *what*, with the daemons' logs."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline or any(d.process.poll() is not None for d in daemons):
            logs = "\n".join(f"--- {d.log_path.name}:\n{d.log()}" for d in daemons)
            pytest.fail(f"{what}: not within {timeout}s\n{logs}")
        time.sleep(0.2)
