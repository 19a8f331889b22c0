"""A real ``syncd sync`` process killed at every journal step, restarted, ends as an uninterrupted run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine_run.conftest import RunOnce, World

STEPS = ["prepared", "uploaded", "job_created", "result_downloaded", "applied"]
SYNCD = str(Path(sys.executable).parent / "syncd")


def _sync(world: World, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SYNCD_TEST_KILL_AT"}
    if kill_at:
        env["SYNCD_TEST_KILL_AT"] = kill_at
    return subprocess.run(
        [SYNCD, *args, "--config", str(world.config_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _write_jobs(world: World) -> int:
    """Bulk write jobs the emulator has seen (its stats group jobs by kind, then by state)."""
    return sum(world.stats()["jobs"].get("write", {}).values())


@pytest.mark.parametrize("step", STEPS)
def test_a_run_killed_at_a_journal_step_resumes_without_duplicates(world: World, step: str) -> None:
    world.write_config(path="bulk")
    world.write_csv(*(f"p{i}@example.com,Person{i},P," for i in range(20)))

    killed = _sync(world, "sync", kill_at=step)
    assert killed.returncode == 137, killed.stderr

    again = _sync(world, "sync", "--json")
    assert again.returncode == 0, again.stderr
    emails = sorted(r["Email"] for r in world.crm_records())
    assert emails == sorted(f"p{i}@example.com" for i in range(20))
    assert _write_jobs(world) == 1  # never a second job for the batch

    last = json.loads(_sync(world, "sync", "--json").stdout)
    push = last["pipelines"][0]["push"]
    assert (push["created"], push["updated"], push["credits"]) == (0, 0, 0)


def test_sync_json_report_and_exit_code_for_rejects(world: World) -> None:
    world.write_csv("not-an-email,Nobody,No,", "ada@example.com,Lovelace,Ada,")

    done = _sync(world, "sync", "--json")

    assert done.returncode == 1, done.stderr  # done, with rejected rows
    (pipeline,) = json.loads(done.stdout)["pipelines"]
    assert pipeline["pipeline"] == "contacts"
    assert (pipeline["push"]["read"], pipeline["push"]["created"], pipeline["push"]["rejected"]) == (2, 1, 1)


def test_unknown_pipeline_is_a_configuration_error(world: World) -> None:
    assert _sync(world, "sync", "nosuch").returncode == 2


def test_plan_prints_the_table_and_spends_no_write_credits(world: World, sync_once: RunOnce) -> None:
    world.write_csv("ada@example.com,Lovelace,Ada,")

    planned = _sync(world, "plan")

    assert planned.returncode == 0, planned.stderr
    assert "rest_upsert of 1 rows for 1 credits" in planned.stdout
    assert world.crm_records() == []
    assert _write_jobs(world) == 0
