"""The CSV connector on a 1,000,000-row file: a write-back batch, and reading a file that did not change.

Write: one ``write`` of a 200,000-change batch (half updates spread through the file, half creates)
in its own process, peak RSS from ``os.wait4``, against the same batch into a 200,000-row file: the
write streams the file, so the peak follows the batch, not the file (issue 6: at most 1.2x).
Read: a fingerprinted full read against a read whose cursor's digest shows the file unchanged.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from syncd_csv import CsvConnector

from syncd import Cursor
from syncd.testing import FakeClock, read_all

MB = 1024 * 1024
BATCH = 200_000
HEADER = "id,first_name,last_name,email,phone,city,country,notes\n"

_WRITE = """
import sys
from syncd import Change
from syncd_csv import CsvConnector

directory, rows, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
files = CsvConnector.from_options({"directory": directory, "streams": {"customers": {"key": ["id"]}}})
step = max(1, rows // (batch // 2))
changes = [Change.upsert({"id": str(i)}, {"notes": "updated"}) for i in range(0, rows, step)][: batch // 2]
changes += [Change.upsert({"id": f"new{i}"}, {"first_name": "New"}) for i in range(batch - len(changes))]
assert all(outcome.ok for outcome in files.write("customers", changes))
"""


def _source(directory: Path, rows: int) -> Path:
    directory.mkdir()
    with (directory / "customers.csv").open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        handle.writelines(
            f'{i},First{i},Last{i},user{i}@example.com,+1 555 0100,Springfield,"United States",\n'
            for i in range(rows)
        )
    return directory / "customers.csv"


def _write(directory: Path, rows: int) -> tuple[int, float, int]:
    """Peak RSS (bytes), seconds and file size of one write of a BATCH-change batch into ``rows`` rows."""
    path = _source(directory, rows)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", _WRITE, str(directory), str(rows), str(BATCH)])
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0
    with path.open(encoding="utf-8") as written:
        assert sum(1 for _ in written) == 1 + rows + BATCH // 2
    return usage.ru_maxrss * 1024, seconds, path.stat().st_size


@pytest.mark.benchmark
@pytest.mark.timeout(1800)
def test_write_back_memory_follows_the_batch_not_the_file(tmp_path: Path) -> None:
    small, small_seconds, small_size = _write(tmp_path / "small", 200_000)
    large, large_seconds, large_size = _write(tmp_path / "large", 1_000_000)
    print(
        f"\nwrite of {BATCH:,} changes: into 200,000 rows ({small_size / MB:.0f} MB) peak RSS "
        f"{small / MB:.0f} MB in {small_seconds:.1f}s; into 1,000,000 rows ({large_size / MB:.0f} MB) "
        f"peak RSS {large / MB:.0f} MB in {large_seconds:.1f}s; ratio {large / small:.2f}x (target <= 1.2x)"
    )


@pytest.mark.benchmark
@pytest.mark.timeout(1800)
def test_reading_an_unchanged_file_skips_the_parse(tmp_path: Path) -> None:
    path = _source(tmp_path / "source", 1_000_000)
    files = CsvConnector.from_options(
        {"directory": str(path.parent), "streams": {"customers": {"key": ["id"]}}}, clock=FakeClock()
    )
    started = time.perf_counter()
    count, first = 0, None
    for item in files.read("customers", None):
        count, first = count + 1, item
    full = time.perf_counter() - started
    assert count == 1_000_001 and isinstance(first, Cursor)
    started = time.perf_counter()
    unchanged, _ = read_all(files, "customers", first)
    skipped = time.perf_counter() - started
    assert len(unchanged) == 1 and unchanged[0] == first
    print(
        f"\nfingerprinted read of 1,000,000 rows ({path.stat().st_size / MB:.0f} MB): full {full:.1f}s, "
        f"unchanged (digest only) {skipped:.2f}s; ratio {skipped / full:.3f}x"
    )
