"""Benchmark: peak memory of a ``syncd sync`` pulling 1,000,000 vs 200,000 Contacts.

Each pull is a real ``syncd sync`` in its own process, against an emulator in another process seeded
with that many Contacts, into an empty CSV source; its peak RSS comes from ``os.wait4``. Target from
issue 6: the 1,000,000-record pull peaks at most 1.2x the 200,000-record one, and below 300 MB.
Seeding a million records takes the emulator about two minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.benchmarks.emulator_process import emulator_process
from tests.benchmarks.test_engine_snapshot import write_config

MB = 1024 * 1024


def _pull(records: int, root: Path) -> tuple[int, float]:
    """Peak RSS (bytes) and seconds of one ``syncd sync`` pulling ``records`` Contacts."""
    root.mkdir()
    with emulator_process(records, root / "emulator.log") as url:
        config = write_config(root, url)
        command = [sys.executable, "-m", "syncd", "sync", "--config", str(config), "--json"]
        started = time.perf_counter()
        with (root / "sync.log").open("w") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, (root / "sync.log").read_text()
    with (root / "shop" / "customers.csv").open(encoding="utf-8") as written:
        assert sum(1 for _ in written) - 1 == records
    return usage.ru_maxrss * 1024, seconds  # ru_maxrss is in KiB on Linux


@pytest.mark.benchmark
@pytest.mark.timeout(3600)
def test_peak_memory_of_a_pull_grows_little_with_the_module(tmp_path: Path) -> None:
    small, small_seconds = _pull(200_000, tmp_path / "small")
    large, large_seconds = _pull(1_000_000, tmp_path / "large")

    print(
        f"\npeak RSS of syncd sync: 200,000 Contacts {small / MB:.0f} MB ({small_seconds:.0f}s), "
        f"1,000,000 Contacts {large / MB:.0f} MB ({large_seconds:.0f}s); ratio {large / small:.2f}x "
        f"(target <= 1.2x and below 300 MB)"
    )
