"""Two processes contend for credits and for a lease on the same database.

Neither may spend credits the other reserved, and a lease is never held by both at once.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from syncd.store import StateStore

WORKER = Path(__file__).with_name("contention_worker.py")
ORGS, LIMIT, RESERVE, COST = 40, 50, 10, 7  # as in contention_worker.py


def _contend(mode: str, url: str) -> list[dict[str, Any]]:
    StateStore.open(url).close()  # migrate once, before the race
    start_at = time.time() + 3  # both processes start hammering at the same moment
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), mode, url, name, str(start_at)], stdout=subprocess.PIPE, text=True
        )
        for name in ("one", "two")
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0]
    return [json.loads(output) for output in outputs]


@pytest.mark.slow
def test_credits_are_never_double_spent(database_url: str) -> None:
    one, two = _contend("credits", database_url)
    fits = (LIMIT - RESERVE) // COST
    with StateStore.open(database_url) as store:
        for org in (f"org-{number}" for number in range(ORGS)):
            granted = one["granted"][org] + two["granted"][org]
            assert len(granted) == fits, f"{org}: {len(granted)} reservations granted, {fits} fit"
            assert store.credits.usage(org).total == fits * COST


@pytest.mark.slow
def test_a_lease_is_never_held_twice(database_url: str) -> None:
    results = _contend("lease", database_url)
    assert [r["saw_other_holder"] for r in results] == [0, 0]
    held = sorted(tuple(interval) for result in results for interval in result["held"])
    assert held, "neither process ever got the lease"
    for (_, end), (next_start, _) in itertools.pairwise(held):
        assert next_start >= end, "two processes held the lease at the same time"
