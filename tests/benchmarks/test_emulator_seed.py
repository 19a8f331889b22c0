"""Seeding a million records: how long it takes and how much memory the emulator then holds.

Each size runs in its own Python process so its peak RSS is its own. Figures are printed; the test
asserts only that every record was seeded.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCRIPT = """
import json, resource, sys, time
from syncd.emulator.seed import seed_all
from syncd.emulator.settings import EmulatorSettings
from syncd.emulator.state import EmulatorState

count = int(sys.argv[1])
state = EmulatorState(EmulatorSettings())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
seed_all(state, {"Contacts": count, "Accounts": count // 100}, 1)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "contacts": state.records.count("crm", "Contacts"),
    "seconds": seconds,
    "baseline_mb": before / 1024,
    "peak_mb": peak / 1024,
}))
"""


def _seed_in_subprocess(count: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(count)], capture_output=True, text=True, check=True, timeout=1800
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.benchmark
def test_seeding_a_million_contacts() -> None:
    small, large = _seed_in_subprocess(100_000), _seed_in_subprocess(1_000_000)
    assert (small["contacts"], large["contacts"]) == (100_000, 1_000_000)
    per_record = (large["peak_mb"] - large["baseline_mb"]) * 1024 * 1024 / 1_000_000
    print(
        f"\nseed 1,000,000 Contacts (+10,000 Accounts): {large['seconds']:.1f} s, "
        f"peak RSS {large['peak_mb']:.0f} MB (baseline {large['baseline_mb']:.0f} MB, "
        f"~{per_record:.0f} bytes a record); 100,000: {small['seconds']:.1f} s, "
        f"peak {small['peak_mb']:.0f} MB; time ratio 1M/100k = {large['seconds'] / small['seconds']:.1f}"
    )
