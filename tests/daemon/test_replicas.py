"""Two ``syncd run`` processes against one PostgreSQL and one Zoho emulator share the pipelines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from syncd.emulator import EmulatorSettings, start_emulator
from syncd.store import Outcome, Run

from .daemons import COST_PER_RUN, Daemon, credits_spent, eventually, lease, runs, write_config

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PIPELINES = {"accounts": "1s", "contacts": "1s", "deals": "1s"}


@pytest.fixture
def zoho_url() -> Iterator[str]:
    with start_emulator(EmulatorSettings(job_seconds=0.1)) as emulator:
        yield emulator.url


@pytest.fixture
def start_pair(tmp_path: Path, postgres_schema_url: str, zoho_url: str) -> Iterator[object]:
    started: list[Daemon] = []

    def start(**settings: object) -> tuple[Daemon, Daemon]:
        for holder in ("a", "b"):
            config = write_config(
                tmp_path / f"{holder}.toml",
                state_url=postgres_schema_url,
                zoho_url=zoho_url,
                holder=holder,
                pipelines=PIPELINES,
                **settings,  # type: ignore[arg-type]
            )
            started.append(Daemon(config, tmp_path / f"{holder}.log"))
        return started[0], started[1]

    yield start
    for daemon in started:
        daemon.kill()


def overlapping(pipeline_runs: list[Run]) -> list[tuple[Run, Run]]:
    """Pairs of consecutive runs where the second started before the first had finished."""
    pairs = pairwise(pipeline_runs)
    return [(one, two) for one, two in pairs if one.finished_at is None or two.started_at < one.finished_at]


def slots(pipeline_runs: list[Run], every: timedelta = timedelta(seconds=1)) -> int:
    """How many scheduled slots the runs span, plus one for timing slack."""
    span = pipeline_runs[-1].started_at - pipeline_runs[0].started_at
    return int(span / every) + 2


def test_each_scheduled_run_happens_once_and_credits_are_never_overspent(
    start_pair: object, postgres_schema_url: str, tmp_path: Path
) -> None:
    limit = 20 * COST_PER_RUN
    a, b = start_pair(daily_limit=limit)  # type: ignore[operator]
    url = postgres_schema_url
    eventually(
        lambda: any(run.error == "credit budget full" for run in runs(url)),
        "a run refused for lack of credits",
        daemons=[a, b],
        timeout=60,
    )
    before_stop = datetime.now(UTC)  # a daemon that stops releases its leases: the other may take them
    assert a.stop() == 0 and b.stop() == 0

    every_run = [run for run in runs(url) if run.started_at < before_stop]
    succeeded = [run for run in every_run if run.outcome is Outcome.SUCCEEDED]
    assert len(succeeded) == 20
    assert credits_spent(url, a.config) == limit
    for pipeline in PIPELINES:
        of_pipeline = [run for run in every_run if run.pipeline == pipeline]
        assert of_pipeline, f"{pipeline} never ran"
        assert overlapping(of_pipeline) == [], f"{pipeline} ran twice at once"
        assert len(of_pipeline) <= slots(of_pipeline), f"{pipeline} ran more often than scheduled"
        assert len({run.holder for run in of_pipeline}) == 1, f"{pipeline} was run by both daemons"


def test_the_other_daemon_takes_over_once_the_lease_expires(
    start_pair: object, postgres_schema_url: str
) -> None:
    url = postgres_schema_url
    a, b = start_pair(lease_ttl="3s")  # type: ignore[operator]
    eventually(lambda: all(runs(url, p) for p in PIPELINES), "every pipeline ran", daemons=[a, b])
    holders = {p: lease(url, p) for p in PIPELINES}
    victim, survivor = (a, b) if any(h and h.holder == "a" for h in holders.values()) else (b, a)
    victim_name, survivor_name = ("a", "b") if victim is a else ("b", "a")
    taken = [p for p, held in holders.items() if held and held.holder == victim_name]

    victim.kill()
    expiry = {p: lease(url, p) for p in taken}

    def taken_over() -> bool:
        return all(any(run.holder == survivor_name for run in runs(url, p)) for p in taken)

    eventually(taken_over, f"{survivor_name} running {taken}", daemons=[survivor], timeout=30)
    for pipeline in taken:
        first = next(run for run in runs(url, pipeline) if run.holder == survivor_name)
        held = expiry[pipeline]
        if held is not None:  # None: it expired between the kill and the look
            assert first.started_at >= held.expires_at, "taken over before the lease expired"
        assert overlapping(runs(url, pipeline)) == []
    assert survivor.stop() == 0
