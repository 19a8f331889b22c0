"""Benchmark: one 200,000-record bulk-read page, built into a zip and served over HTTP.

Prints the seconds to build the zip (the job's completion) and to download it, the sizes, the
peak memory Python allocated while building and while serving (tracemalloc, in separate runs so
tracing does not slow the timed ones), and the ratio of build + serve to a bare ``csv.writer``
writing the same stored rows to a file. Producing a page must never be what limits syncd's own
benchmarks; streaming keeps the build's memory far below the size of the CSV.
"""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import httpx
import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator
from syncd.emulator.jobs import JobRunner
from syncd.emulator.seed import seed_module

RECORDS = 200_000
MB = 1024 * 1024


@pytest.fixture(scope="module")
def big_org() -> Iterator[RunningEmulator]:
    with start_emulator(EmulatorSettings(job_seconds=0.0)) as emu:
        runner: JobRunner = emu.state.extras["jobs"]
        runner.stop()  # the benchmark finishes jobs itself, in this thread, to time them
        started = time.perf_counter()
        seed_module(emu.state, "crm", "Accounts", 2_000, 1)
        seed_module(emu.state, "crm", "Contacts", RECORDS, 1)
        print(f"\nseeded {RECORDS:,} Contacts in {time.perf_counter() - started:.1f} s")
        yield emu


def _client(emu: RunningEmulator) -> httpx.Client:
    minted = emu.state.tokens.mint("demo", "demo", "demo", emu.state.records.users[0].id)
    headers = {"Authorization": f"Zoho-oauthtoken {minted['access_token']}"}
    return httpx.Client(base_url=emu.url, headers=headers, timeout=300)


FIELDS_QUERY = {"module": {"api_name": "Contacts"}}


def _finish_job(emu: RunningEmulator, api: httpx.Client) -> tuple[str, float]:
    job_id = api.post("/crm/bulk/v8/read", json={"query": FIELDS_QUERY}).json()["data"][0]["details"]["id"]
    runner: JobRunner = emu.state.extras["jobs"]
    started = time.perf_counter()
    assert runner.run_due() == 1
    return str(job_id), time.perf_counter() - started


def _download(api: httpx.Client, job_id: str, sink: BinaryIO | None = None) -> tuple[int, float]:
    started = time.perf_counter()
    size = 0
    with api.stream("GET", f"/crm/bulk/v8/read/{job_id}/result") as response:
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            size += len(chunk)
            if sink is not None:
                sink.write(chunk)
    return size, time.perf_counter() - started


def _bare_csv_writer(emu: RunningEmulator, path: Path) -> float:
    started = time.perf_counter()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for record_id, row in emu.state.records.iter_rows("crm", "Contacts"):
            writer.writerow([record_id, *row])
    return time.perf_counter() - started


def _peak(action: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


@pytest.mark.benchmark
def test_a_200000_record_page_is_built_and_served_quickly(big_org: RunningEmulator, tmp_path: Path) -> None:
    with _client(big_org) as api:
        job_id, build = _finish_job(big_org, api)
        job = api.get(f"/crm/bulk/v8/read/{job_id}").json()["data"][0]
        assert job["state"] == "COMPLETED"
        assert (job["result"]["count"], job["result"]["more_records"]) == (RECORDS, False)
        zip_path = tmp_path / "result.zip"
        with zip_path.open("wb") as sink:
            size, serve = _download(api, job_id, sink)
        with zipfile.ZipFile(zip_path) as archive:
            (member,) = archive.infolist()
            assert member.filename == f"{job_id}.csv"
            with archive.open(member) as raw:
                rows = sum(1 for _ in csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))
        assert rows == RECORDS + 1
        baseline = _bare_csv_writer(big_org, tmp_path / "bare.csv")
        build_peak = _peak(lambda: _finish_job(big_org, api))
        serve_peak = _peak(lambda: _download(api, job_id))
    print(
        f"\nbulk read page of {RECORDS:,} Contacts ({len(job['query'].get('fields', [])) or 'all'} fields):"
        f"\n  build zip (job completion) {build:6.2f} s   peak {build_peak:6.1f} MB allocated"
        f"\n  serve over HTTP            {serve:6.2f} s   peak {serve_peak:6.1f} MB allocated"
        f"\n  zip {size / MB:.1f} MB, CSV {member.file_size / MB:.1f} MB"
        f"\n  bare csv.writer to a file  {baseline:6.2f} s"
        f"\n  (build + serve) / bare csv.writer = {(build + serve) / baseline:.2f}"
    )
