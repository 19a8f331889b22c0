"""Runs meeting Zoho faults mid-run, over HTTP against the emulator: nothing lost, nothing doubled.

Each test injects one fault (through the emulator's admin API) before the run or right after the
CRM read, when the run turns to writing; looks at how that run ended (survived by retrying, or failed
with a clear error); then runs again without faults and checks that the sides converged: the CRM
holds exactly the source's rows, once each, the ID map pairs every source key with its CRM record,
the credit ledger stayed inside the budget, and a further run plans nothing.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from syncd.engine.runner import PipelineReport, run_pipeline
from syncd.store.journal import TABLE as JOURNAL
from syncd.zoho import PreparedBatch
from syncd.zoho.bulk_write import BulkWriter
from syncd.zoho.session import RetryPolicy
from tests.engine_run.conftest import RunOnce, World
from tests.engine_run.test_kill_and_cli import _sync

NO_FAULTS = {
    "error_next": 0,
    "error_rate": 0.0,
    "throttle_next": 0,
    "fail_next_jobs": 0,
    "cut_next_downloads": 0,
    "drop_next": 0,
}
RETRIES = 5
CREDITS = "daily_limit = 20000\nreserve = 2000"
CRM_ONLY = [{"Email": f"crm{i}@example.com", "Last_Name": f"Crm{i}", "First_Name": "C"} for i in range(3)]


def _fast_retries() -> RetryPolicy:
    return RetryPolicy(attempts=RETRIES, initial_wait=0.01, max_wait=0.05, jitter=0.01, timeout=10)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The client's retries as configured (5 attempts), without seconds of backoff between them."""
    monkeypatch.setattr("syncd.zoho.client.RetryPolicy", _fast_retries)
    yield


def _source_rows(count: int) -> list[str]:
    return [f"p{i}@example.com,Person{i},P{i}," for i in range(count)]


def _prepare(world: World, rows: int, **pipeline: str) -> None:
    """A CRM holding three contacts of its own and a source of ``rows`` new customers."""
    world.write_config(credits=CREDITS, **pipeline)
    world.write_csv(*_source_rows(rows))
    world.admin("POST", "records/Contacts", json={"records": CRM_ONLY})


def _faults(world: World, **settings: Any) -> None:
    world.admin("PUT", "faults", json=settings)


def _after_crm_read(world: World, **settings: Any) -> Callable[[str, int], None]:
    """A progress callback that injects ``settings`` once the CRM read's last page is in."""
    armed = [True]

    def on_progress(kind: str, _count: int) -> None:
        if kind == "pages" and armed[0]:
            armed[0] = False
            _faults(world, **settings)

    return on_progress


def _write_jobs(world: World) -> int:
    return sum(world.stats()["jobs"].get("write", {}).values())


def _injected(world: World) -> dict[str, int]:
    found: dict[str, int] = world.stats()["faults"]["injected"]
    return found


def _crm_view(world: World) -> list[tuple[str, str, str, str]]:
    return sorted(
        (
            str(r["Email"]).casefold(),
            r.get("Last_Name") or "",
            r.get("First_Name") or "",
            r.get("Phone") or "",
        )
        for r in world.crm_records()
    )


def _csv_view(world: World) -> list[tuple[str, str, str, str]]:
    rows = [tuple(line.split(",")) for line in world.csv_rows()]
    return sorted((r[0].casefold(), r[1], r[2], r[3]) for r in rows)  # type: ignore[misc]


def assert_converges(world: World, sync_once: RunOnce) -> None:
    """Without faults, a run converges both sides and the run after it plans nothing."""
    _faults(world, **NO_FAULTS)
    world.admin("POST", "clock/advance", json={"seconds": 60})  # Zoho's bulk-read download limit

    report = sync_once()

    assert report.error is None, report.error
    crm = world.crm_records()
    emails = [str(r["Email"]).casefold() for r in crm]
    assert len(emails) == len(set(emails)), f"duplicate CRM records: {sorted(emails)}"
    assert _crm_view(world) == _csv_view(world)
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        mapped = tx.id_map.crm_ids("contacts", emails)
        assert tx.id_map.count("contacts") == len(crm)
        usage = runtime.store.credits.usage(runtime.org)
        limit, reserve = runtime.config.credits.daily_limit, runtime.config.credits.reserve
    assert mapped == {str(r["Email"]).casefold(): r["id"] for r in crm}
    assert usage.reserved == 0, "a reservation was left behind"
    assert usage.spent <= limit - reserve
    _assert_plans_nothing(world, sync_once())


def _assert_plans_nothing(world: World, report: PipelineReport) -> None:
    assert report.error is None, report.error
    done = (report.push.created, report.push.updated, report.push.credits, report.push.jobs)
    assert done == (0, 0, 0, 0)
    assert (report.pull.created, report.pull.updated) == (0, 0)
    assert not report.deferred


# -- the bulk read ---------------------------------------------------------------------------------


def test_a_bulk_read_job_ending_in_failure_fails_the_run_and_writes_nothing(
    world: World, sync_once: RunOnce
) -> None:
    _prepare(world, 5)
    _faults(world, fail_next_jobs=1)

    report = sync_once()

    assert report.error is not None and "bulk read job" in report.error and "failed" in report.error
    assert _injected(world) == {"fail_next_jobs": 1}
    assert len(world.crm_records()) == len(CRM_ONLY)  # nothing pushed on a failed read
    assert len(world.csv_rows()) == 5
    assert_converges(world, sync_once)


def test_a_bulk_read_download_cut_mid_stream_is_fetched_again(world: World, sync_once: RunOnce) -> None:
    _prepare(world, 5)
    _faults(world, cut_next_downloads=1)

    report = sync_once()

    assert report.error is None, report.error
    assert _injected(world) == {"cut_next_downloads": 1}
    assert (report.push.created, report.pull.created) == (5, 3)
    assert_converges(world, sync_once)


@pytest.mark.parametrize(
    ("fault", "count"), [("error_next", 3), ("throttle_next", 3), ("drop_next", 2)], ids=str
)
def test_transient_faults_during_the_read_are_retried(
    world: World, sync_once: RunOnce, fault: str, count: int
) -> None:
    _prepare(world, 5)
    _faults(world, **{fault: count})

    report = sync_once()

    assert report.error is None, report.error
    assert _injected(world) == {fault: count}
    assert (report.push.created, report.pull.created) == (5, 3)
    assert_converges(world, sync_once)


def test_500s_beyond_the_retries_fail_the_run_with_the_cause(world: World, sync_once: RunOnce) -> None:
    _prepare(world, 5)
    _faults(world, error_rate=1.0)

    report = sync_once()

    assert report.error is not None and "INTERNAL_ERROR" in report.error
    assert len(world.crm_records()) == len(CRM_ONLY)
    assert_converges(world, sync_once)


def test_a_token_expiring_before_the_read_is_renewed(world: World, sync_once: RunOnce) -> None:
    _prepare(world, 5)
    sync_once()  # a token is issued and cached
    with (world.folder / "customers.csv").open("a", encoding="utf-8") as csv:
        csv.write("late@example.com,Late,L,\n")
    minted = world.stats()["tokens_minted"]
    _faults(world, expire_tokens=True)

    report = sync_once()

    assert report.error is None, report.error
    assert report.push.created == 1
    assert world.stats()["tokens_minted"] == minted + 1
    assert_converges(world, sync_once)


def test_a_dropped_bulk_read_job_creation_is_not_resent_and_fails_the_run(
    world: World, sync_once: RunOnce
) -> None:
    _prepare(world, 5)
    with world.runtime() as runtime:
        runtime.zoho.fields.fields("Contacts")  # so that the job creation is the run's first call
        _faults(world, drop_next=1)
        report = run_pipeline(runtime, "contacts")

    assert report.error is not None and "not re-sent" in report.error
    assert _injected(world) == {"drop_next": 1}
    assert len(world.crm_records()) == len(CRM_ONLY)
    assert_converges(world, sync_once)


# -- writing: REST upserts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "count"), [("error_next", 2), ("throttle_next", 2), ("drop_next", 1)], ids=str
)
def test_transient_faults_on_a_rest_upsert_are_retried(
    world: World, sync_once: RunOnce, fault: str, count: int
) -> None:
    _prepare(world, 5, path="rest")

    report = sync_once(progress=_after_crm_read(world, **{fault: count}))

    assert _injected(world) == {fault: count}
    assert report.error is None, report.error
    assert report.push.created == 5  # an upsert by find_by is safe to send again
    assert_converges(world, sync_once)


def test_a_429_burst_longer_than_the_retries_defers_the_upsert(world: World, sync_once: RunOnce) -> None:
    _prepare(world, 5, path="rest")

    report = sync_once(progress=_after_crm_read(world, throttle_next=RETRIES + 2))

    assert report.error is None, report.error
    assert report.push.created == 0
    assert report.deferred and "Zoho refused more calls" in report.deferred[0]
    assert len(world.crm_records()) == len(CRM_ONLY)
    assert_converges(world, sync_once)


def test_a_token_expiring_mid_run_is_renewed_for_the_write(world: World, sync_once: RunOnce) -> None:
    _prepare(world, 5, path="rest")
    minted = world.stats()["tokens_minted"]

    report = sync_once(progress=_after_crm_read(world, expire_tokens=True))

    assert report.error is None, report.error
    assert report.push.created == 5
    assert world.stats()["tokens_minted"] > minted + 1  # the first token, then a renewed one
    assert_converges(world, sync_once)


# -- writing: bulk write jobs ----------------------------------------------------------------------


def test_a_bulk_write_job_that_fails_is_reported_and_its_rows_written_next_run(
    world: World, sync_once: RunOnce
) -> None:
    _prepare(world, 30, path="bulk")

    report = sync_once(progress=_after_crm_read(world, fail_next_jobs=1))

    assert _injected(world) == {"fail_next_jobs": 1}
    assert report.error is not None and "bulk write job" in report.error and "failed" in report.error
    assert report.push.created == 0
    assert len(world.crm_records()) == len(CRM_ONLY)
    assert_converges(world, sync_once)


@pytest.mark.parametrize(
    ("fault", "count"), [("error_next", 2), ("throttle_next", 2), ("drop_next", 1)], ids=str
)
def test_transient_faults_on_the_upload_of_a_bulk_write_are_retried(
    world: World, sync_once: RunOnce, fault: str, count: int
) -> None:
    _prepare(world, 30, path="bulk")

    report = sync_once(progress=_after_crm_read(world, **{fault: count}))

    assert _injected(world) == {fault: count}
    assert report.error is None, report.error  # an upload creates nothing: safe to send again
    assert (report.push.created, report.push.jobs) == (30, 1)
    assert_converges(world, sync_once)
    assert _write_jobs(world) == 1


def test_a_429_burst_longer_than_the_retries_defers_the_bulk_write(world: World, sync_once: RunOnce) -> None:
    _prepare(world, 30, path="bulk")

    report = sync_once(progress=_after_crm_read(world, throttle_next=RETRIES + 2))

    assert report.error is None, report.error
    assert report.deferred and report.push.created == 0
    assert _write_jobs(world) == 0
    assert_converges(world, sync_once)
    assert _write_jobs(world) == 1


def test_a_dropped_bulk_write_job_creation_fails_the_run_and_the_next_run_creates_one_job(
    world: World, sync_once: RunOnce, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prepare(world, 30, path="bulk")
    upload = BulkWriter.upload

    def upload_then_drop(self: BulkWriter, batch: PreparedBatch) -> str:
        file_id = upload(self, batch)
        _faults(world, drop_next=1)  # the job creation that follows loses its answer
        return file_id

    with monkeypatch.context() as patched:
        patched.setattr(BulkWriter, "upload", upload_then_drop)
        report = sync_once()

    assert report.error is not None and "not re-sent" in report.error
    assert _injected(world) == {"drop_next": 1}
    assert _write_jobs(world) == 0 and len(world.crm_records()) == len(CRM_ONLY)
    assert_converges(world, sync_once)
    assert _write_jobs(world) == 1
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        steps = sorted(tx.connection.execute(select(JOURNAL.c.step)).scalars())
    assert steps == ["applied", "failed"]  # the interrupted batch given up, its rows sent again


def test_a_bulk_write_result_download_cut_mid_stream_is_fetched_again(
    world: World, sync_once: RunOnce
) -> None:
    _prepare(world, 30, path="bulk")

    report = sync_once(progress=_after_crm_read(world, cut_next_downloads=1))

    assert report.error is None, report.error
    assert _injected(world) == {"cut_next_downloads": 1}
    assert (report.push.created, report.push.jobs) == (30, 1)
    assert_converges(world, sync_once)


# -- the command ---------------------------------------------------------------------------------


def test_sync_exits_3_when_the_bulk_read_fails(world: World, sync_once: RunOnce) -> None:
    _prepare(world, 5)
    _faults(world, fail_next_jobs=1)

    failed: subprocess.CompletedProcess[str] = _sync(world, "sync")

    assert failed.returncode == 3, failed.stderr
    assert "bulk read job" in failed.stdout + failed.stderr
    assert_converges(world, sync_once)
