"""Waiting for real emulator bulk jobs: a Zoho callback ends the wait; without one it lasts the poll.

The emulator's jobs take ten minutes of its clock here, and only the test moves that clock, so a job
ends exactly when the test says. The emulator counts the status polls it answered and the callbacks
it sent; the test counts polls, never times them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from syncd.app import poll_policy_for
from syncd.config import load_config
from syncd.daemon.callbacks import serve_callbacks
from syncd.daemon.metrics import serve_metrics
from syncd.daemon.pipelines import DaemonPipelines
from syncd.emulator import EmulatorSettings, start_emulator
from syncd.engine.runner import run_pipeline
from syncd.testing.pipeline import EmulatorAdmin
from syncd.zoho import BulkQuery, Credentials, Endpoints, ZohoClient

from .test_real_engine import crm_emails, samples, shop_rows, value, write_engine_config

pytestmark = pytest.mark.slow

JOB_SECONDS = 600
TOKEN = "callback-token-0123456789abcdef"
LONG_POLLS = 'poll_initial = "1h"\npoll_max = "1h"'
FINISHED = {"COMPLETED", "FAILED", "FAILURE"}


@pytest.fixture
def emulator() -> Iterator[EmulatorAdmin]:
    with start_emulator(EmulatorSettings(job_seconds=JOB_SECONDS)) as running:
        yield EmulatorAdmin(running.url)


def jobs(stats: dict[str, Any], *, finished: bool = False) -> int:
    return sum(
        count
        for states in stats["jobs"].values()
        for state, count in states.items()
        if state in FINISHED or not finished
    )


def polls(stats: dict[str, Any]) -> int:
    return sum(stats["status_polls"].values())


def end_each_job_after_its_first_poll(emulator: EmulatorAdmin, run: threading.Thread) -> None:
    """Whenever a job waits after its first status poll, move the emulator's clock to its end."""
    ended = 0
    deadline = time.monotonic() + 120
    while run.is_alive() and time.monotonic() < deadline:
        stats = emulator.stats()
        if jobs(stats) > ended and polls(stats) > 2 * ended:
            emulator.advance_clock(JOB_SECONDS)
            while jobs(emulator.stats(), finished=True) <= ended:
                time.sleep(0.02)
            ended += 1
        time.sleep(0.05)


def test_a_callback_ends_the_wait_one_status_poll_later_despite_an_hour_between_polls(
    tmp_path: Path, emulator: EmulatorAdmin
) -> None:
    pipelines = DaemonPipelines(tmp_path / "syncd.toml", run_pipeline)
    receiver = serve_callbacks(TOKEN, pipelines.hint)
    metrics = serve_metrics(pipelines.metrics, lambda: (True, {}), port=0)
    config = write_engine_config(
        tmp_path / "syncd.toml",
        state_url=f"sqlite:///{tmp_path / 'state.sqlite'}",
        zoho_url=emulator.url,
        holder="only",
        extra=f'callback_port = {receiver.port}\ncallback_token = "{TOKEN}"\n'
        f'callback_public_url = "{receiver.url}"',
        zoho_extra=LONG_POLLS,
        pipeline_extra='path = "bulk"',
    )
    failures: list[BaseException] = []

    def run() -> None:
        try:
            pipelines.run_pipeline("contacts", threading.Event())
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    try:
        pipelines.prepare()
        running = threading.Thread(target=run)
        running.start()
        end_each_job_after_its_first_poll(emulator, running)
        running.join(5)
        assert not running.is_alive(), "the run still waits for a job"
        found = samples(f"{metrics.url}/metrics")
    finally:
        pipelines.close()
        receiver.stop()
        metrics.stop()

    assert failures == []
    stats = emulator.stats()
    assert {kind: sum(states.values()) for kind, states in stats["jobs"].items()} == {"read": 1, "write": 1}
    assert stats["status_polls"] == {"read": 2, "write": 2}  # one poll before the callback, one after
    assert stats["callbacks"] == {"sent": 2, "failed": 0}
    shop = {row["email"].lower() for row in shop_rows(config) if not row["email"].endswith("@")}
    assert shop <= set(crm_emails(emulator))
    for operation in ("read", "write"):
        assert value(found, "syncd_zoho_job_duration_seconds_count", operation=operation) == 1
        assert value(found, "syncd_zoho_job_duration_seconds_sum", operation=operation) > 0


def test_without_callbacks_a_job_that_ended_is_seen_only_at_the_next_poll(
    tmp_path: Path, emulator: EmulatorAdmin
) -> None:
    config = load_config(
        write_engine_config(
            tmp_path / "syncd.toml",
            state_url=f"sqlite:///{tmp_path / 'state.sqlite'}",
            zoho_url=emulator.url,
            holder="only",
            zoho_extra=LONG_POLLS,
        )
    )
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        """The job ends right after the first poll; the waiter does not learn of it until it polls."""
        slept.append(seconds)
        emulator.advance_clock(JOB_SECONDS)
        while jobs(emulator.stats(), finished=True) == 0:
            time.sleep(0.02)

    policy = replace(poll_policy_for(config), sleep=sleep)
    credentials = Credentials("demo", "demo", "demo")
    with ZohoClient(Endpoints.explicit(emulator.url), credentials, work_dir=tmp_path, poll=policy) as zoho:
        job = zoho.bulk_read.wait(zoho.bulk_read.create_job(BulkQuery("Contacts")))

    stats = emulator.stats()
    assert job.state == "COMPLETED"
    assert slept == [3600.0]  # the whole poll interval, though the job ended at its start
    assert stats["status_polls"] == {"read": 2}
    assert stats["callbacks"] == {"sent": 0, "failed": 0}
