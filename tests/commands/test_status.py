from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.store import NewConflict, NewReject, Outcome, StateStore, Step

from .conftest import Run

ORG = "crm:embedded emulator"


def fill(store: StateStore) -> None:
    """Two runs of contacts (one finished, one under way on another machine) and what they left."""
    with store.transaction() as tx:
        done = tx.runs.start("contacts", holder="host-a:1")
        tx.runs.finish(done.id, Outcome.PARTIAL, counts={"created_crm": 3, "rejected": 2}, credits=51)
        running = tx.runs.start("contacts", holder="host-b:7")
        entry = tx.journal.create(
            pipeline="contacts", direction="push", operation="upsert", content_hash="h1",
            row_keys=["1", "2", "3"], credits_planned=500, run_id=running.id,
        )  # fmt: skip
        tx.journal.advance(entry.id, Step.UPLOADED, file_id="f-1")
        tx.checkpoints.update("contacts", "push", cursor="2026-03-01T00:00:00+00:00")
        tx.checkpoints.update("contacts", "pull", last_full_snapshot_at=datetime(2026, 3, 1, tzinfo=UTC))
        tx.rejects.add(
            "contacts",
            [
                NewReject(
                    "7", "push", "Email: not an email address", False, ["INVALID_DATA"], {"email": "x@"}
                ),
                NewReject("8", "push", "record locked", True, ["RECORD_LOCKED"]),
            ],
        )
        tx.rejects.mark_retry([tx.rejects.find("contacts")[0].id])
        tx.conflicts.add("contacts", [NewConflict("9", {"phone": "1"}, {"phone": "2"}, {"phone": "3"})])
    store.leases.acquire("contacts", "host-b:7", timedelta(minutes=5))
    reservation = store.credits.reserve(ORG, 500, "bulk write contacts", limit=50_000)
    assert reservation is not None
    store.credits.spend(ORG, 51, "bulk read contacts")


def status_json(syncd: Run, config: Path | None = None) -> dict[str, object]:
    code, out, err = syncd("status", "--json", config=config)
    assert code == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def test_before_the_first_run_status_lists_the_pipelines_without_creating_a_database(
    syncd: Run, sqlite_url: str
) -> None:
    report = status_json(syncd)
    assert report["initialised"] is False
    pipelines = report["pipelines"]
    assert isinstance(pipelines, list)
    assert [p["name"] for p in pipelines] == ["contacts", "accounts"]
    assert all(p["last_run"] is None for p in pipelines)
    assert report["credits"] == {
        "org": ORG, "spent": 0, "reserved": 0, "daily_limit": 50000, "reserve": 5000, "available": 45000,
    }  # fmt: skip
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()


def check_filled_report(report: dict[str, object]) -> None:
    pipelines = report["pipelines"]
    assert isinstance(pipelines, list)
    contacts, accounts = pipelines
    assert contacts["last_run"]["outcome"] == "running"
    assert contacts["running_on"] == "host-b:7"
    assert contacts["push_cursor"] == "2026-03-01T00:00:00+00:00"
    assert contacts["last_full_snapshot_at"].startswith("2026-03-01T00:00:00")
    assert [(j["step"], j["rows"]) for j in contacts["jobs_in_flight"]] == [("uploaded", 3)]
    assert (contacts["open_rejects"], contacts["rejects_to_retry"], contacts["open_conflicts"]) == (1, 1, 1)
    assert accounts["last_run"] is None and accounts["jobs_in_flight"] == []
    assert report["credits"] == {
        "org": ORG, "spent": 51, "reserved": 500, "daily_limit": 50000, "reserve": 5000, "available": 44449,
    }  # fmt: skip


def test_status_reports_runs_checkpoints_jobs_credits_rejects_and_conflicts(
    syncd: Run, store: StateStore
) -> None:
    fill(store)
    check_filled_report(status_json(syncd))


def test_status_reads_while_another_process_holds_the_write_lock(syncd: Run, store: StateStore) -> None:
    fill(store)
    with store.transaction() as tx:  # a sync in the middle of a write
        tx.checkpoints.update("accounts", "push", cursor="half-way")
        report = status_json(syncd)
    check_filled_report(report)
    assert report["pipelines"][1]["push_cursor"] is None  # type: ignore[index]


def test_the_table_shows_what_an_operator_looks_for(syncd: Run, store: StateStore) -> None:
    fill(store)
    code, out, _ = syncd("status")
    assert code == 0
    expected = [
        "shop.customers ↔ Contacts",
        "running on host-b:7",
        "Jobs in flight",
        "uploaded",
        "51 spent, 500 reserved, 44449 available of 50000",
        "1 (+1 to retry)",
    ]
    assert [text for text in expected if text not in out] == []


@pytest.mark.postgres
def test_status_on_postgresql(
    syncd: Run, postgres_database: str, write_config: Callable[[str], Path]
) -> None:
    config = write_config(postgres_database)
    with StateStore.open(postgres_database) as store:
        fill(store)
    check_filled_report(status_json(syncd, config))


def test_a_broken_configuration_exits_with_2(syncd: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[zoho]\nemulator = "maybe"\n')
    code, _, err = syncd("status", config=bad)
    assert code == 2
    assert "zoho.emulator" in err


def test_status_counts_read_as_words_and_leave_zeros_out() -> None:
    from syncd.engine.console import _counts

    counts = {"push_read": 16, "push_created": 0, "pull_read": 25, "pull_created": 15}
    assert _counts(counts) == "push 16 read · pull 25 read, 15 created"
    assert _counts({"push_read": 0}) == "nothing"
