"""Credits end to end: what a run costs in the emulator's own meter, and a ledger Zoho corrects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from syncd.app import open_runtime
from syncd.config import load_config
from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator
from syncd.store.credits import EXTERNAL_PURPOSE
from syncd.zoho import Credentials, Endpoints, ZohoClient
from tests.engine_run.conftest import World


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    """Jobs finish at once and one bulk-read page holds every record, so only writes vary."""
    with start_emulator(EmulatorSettings(job_seconds=0, page_size=200_000)) as emu:
        yield emu


def _spent(world: World) -> int:
    return int(world.stats()["products"]["crm"]["credits"]["spent_total"])


def _write_jobs(world: World) -> int:
    return sum(world.stats()["jobs"].get("write", {}).values())


READ_JOB_CREDITS = 50  # Zoho's price of creating a bulk-read job; every other call but writes costs 1


class _MeteredTransport(httpx.HTTPTransport):
    """Tells apart the answered calls that write (bulk write jobs, REST upserts) from the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.read_jobs = 0
        self.plain_calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        path, method = request.url.path, request.method
        if response.status_code >= 400 or path.startswith("/oauth/"):
            return response
        if method == "POST" and path.endswith("/read"):
            self.read_jobs += 1
        elif not (method == "POST" and path.endswith(("/write", "/upsert"))):
            self.plain_calls += 1
        return response


def _write_credits(world: World) -> tuple[Any, int]:
    """Run once; what the emulator charged for the writes: its whole charge less the reads and
    the plain calls (metadata, uploads, job status, downloads)."""
    from syncd.engine.runner import run_pipeline

    before = _spent(world)
    meter = _MeteredTransport()
    with open_runtime(load_config(world.config_path), transport=meter) as runtime:
        report = run_pipeline(runtime, "contacts")
    others = READ_JOB_CREDITS * meter.read_jobs + meter.plain_calls
    return report, _spent(world) - before - others


def _customers(count: int) -> list[str]:
    return [f"c{i}@example.com,Customer{i},C," for i in range(count)]


def test_300_changed_records_go_by_rest_upsert_for_30_credits(world: World) -> None:
    world.write_csv(*_customers(300))

    report, charged = _write_credits(world)

    assert report.error is None and report.push.created == 300
    assert report.paths == ["rest_upsert of 100 rows for 10 credits"] * 3
    assert (charged, report.push.credits, _write_jobs(world)) == (30, 30, 0)


@pytest.mark.slow
def test_60000_changed_records_cost_3_bulk_jobs_and_a_second_run_nothing(
    world: World,
) -> None:
    world.write_csv(*_customers(60_000))

    report, charged = _write_credits(world)

    assert report.error is None and report.push.created == 60_000
    assert (_write_jobs(world), report.push.jobs) == (3, 3)
    assert (charged, report.push.credits) == (1_500, 1_500)
    assert len(world.crm_records()) == 60_000

    again, charged_again = _write_credits(world)

    assert again.error is None and (again.push.created, again.push.updated) == (0, 0)
    assert (charged_again, again.push.credits, _write_jobs(world)) == (0, 0, 3)


@pytest.fixture
def free_emulator() -> Iterator[RunningEmulator]:
    with start_emulator(EmulatorSettings(job_seconds=0, page_size=200_000, edition="free")) as emu:
        yield emu


def _spend_outside_syncd(emulator: RunningEmulator, work_dir: Path, jobs: int) -> None:
    """Another application of the org runs ``jobs`` bulk writes (500 credits each) to Leads."""
    endpoints = Endpoints.explicit(emulator.url)
    with ZohoClient(endpoints, Credentials("demo", "demo", "demo"), work_dir=work_dir) as client:
        for number in range(jobs):
            row = {"Last_Name": f"Other{number}", "Company": "Elsewhere"}
            prepared = client.bulk_write.prepare(
                "Leads", [row], columns=("Last_Name", "Company"), key=lambda wire: str(wire["Last_Name"])
            )
            (part,) = prepared.batches
            file_id = client.bulk_write.upload(part)
            client.bulk_write.wait(client.bulk_write.create_job(part, file_id, operation="insert"))


def test_zoho_reported_credits_correct_an_undercounting_ledger_and_defer_the_write(
    tmp_path: Path, free_emulator: RunningEmulator
) -> None:
    from syncd.engine.runner import run_pipeline

    world = World(tmp_path, free_emulator)
    world.write_config(credits="daily_limit = 5000\nreserve = 0", path="bulk")
    world.write_csv(*_customers(30))
    _spend_outside_syncd(free_emulator, tmp_path / "other-app", jobs=9)  # 4,500 of the 5,000

    with world.runtime() as runtime:
        report = run_pipeline(runtime, "contacts")
        external = [e for e in runtime.store.credits.entries(runtime.org) if e.purpose == EXTERNAL_PURPOSE]

    assert report.error is None and (report.push.created, report.push.credits) == (0, 0)
    (deferred,) = report.deferred
    assert deferred.startswith("bulk_write of 30 rows")
    assert sum(entry.amount for entry in external) >= 4_500
    assert _write_jobs(world) == 9  # only the other application's: syncd did not try and fail


def _booked(runtime: Any) -> tuple[int, list[str]]:
    entries = runtime.store.credits.entries(runtime.org)
    return runtime.store.credits.usage(runtime.org).total, [entry.purpose for entry in entries]


def _used(world: World) -> int:
    return int(world.stats()["products"]["crm"]["credits"]["used"])


def test_after_each_run_the_ledger_holds_every_credit_the_emulator_charged(world: World) -> None:
    from syncd.engine.runner import run_pipeline

    world.write_config(path="bulk", delete_policy="soft")
    world.admin(
        "POST", "records/Contacts", json={"records": [{"Last_Name": "Kept", "Email": "k@example.com"}]}
    )
    world.write_csv(*_customers(30))

    with world.runtime() as runtime:
        first = run_pipeline(runtime, "contacts")
        after_first, purposes = _booked(runtime)
        assert after_first == _used(world)
        world.write_config(path="rest", delete_policy="soft")
        world.write_csv(*_customers(45))
    with world.runtime() as runtime:
        second = run_pipeline(runtime, "contacts")
        after_second, _ = _booked(runtime)
        assert after_second == _used(world)

    assert first.error is None and (first.push.created, first.push.jobs, first.pull.created) == (30, 1, 1)
    assert second.error is None and second.push.created == 15
    assert EXTERNAL_PURPOSE not in purposes
    stats = world.stats()
    assert stats["status_polls"]["read"] >= 2 and stats["status_polls"]["write"] >= 1  # all booked above


def test_credits_zoho_reports_are_not_booked_twice_with_the_calls_syncd_counted(
    tmp_path: Path, free_emulator: RunningEmulator
) -> None:
    from syncd.engine.runner import run_pipeline

    world = World(tmp_path, free_emulator)
    world.write_config(credits="daily_limit = 5000\nreserve = 0", path="rest")
    world.write_csv(*_customers(30))
    _spend_outside_syncd(free_emulator, tmp_path / "other-app", jobs=5)  # 2,500: Zoho reports what is left
    others = _used(world)

    with world.runtime() as runtime:
        report = run_pipeline(runtime, "contacts")
        booked, _ = _booked(runtime)
        external = [
            e.amount for e in runtime.store.credits.entries(runtime.org) if e.purpose == EXTERNAL_PURPOSE
        ]

    assert report.error is None and report.push.created == 30
    assert booked == _used(world)
    assert sum(external) == others  # what the other application spent, and nothing syncd spent
