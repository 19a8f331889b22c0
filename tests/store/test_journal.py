from __future__ import annotations

from datetime import timedelta

import pytest

from syncd.errors import FatalError
from syncd.store import StateStore, Step
from syncd.store.journal import BatchEntry, Journal
from tests.store.conftest import FakeClock


def _prepare(journal: Journal, content_hash: str = "sha256:abc", pipeline: str = "contacts") -> BatchEntry:
    return journal.create(
        pipeline=pipeline,
        direction="push",
        operation="bulk_write",
        content_hash=content_hash,
        row_keys=["c-1", "c-2", "c-3"],
        credits_planned=500,
    )


def test_a_prepared_batch_records_its_rows_and_plan(store: StateStore, clock: FakeClock) -> None:
    with store.transaction() as tx:
        entry = _prepare(tx.journal)
    assert entry.step is Step.PREPARED
    assert (entry.row_keys, entry.row_count, entry.credits_planned) == (("c-1", "c-2", "c-3"), 3, 500)
    assert entry.job_id is None and entry.created_at == clock.now and not entry.finished


def test_a_batch_walks_through_its_steps(store: StateStore, clock: FakeClock) -> None:
    with store.transaction() as tx:
        entry = _prepare(tx.journal)
    with store.transaction() as tx:
        tx.journal.advance(entry.id, Step.UPLOADED, file_id="file-9")
    clock.advance(timedelta(minutes=1))
    with store.transaction() as tx:
        tx.journal.advance(entry.id, Step.JOB_CREATED, job_id="job-7", credits_charged=500)
        tx.journal.advance(entry.id, Step.RESULT_DOWNLOADED, result={"added": 2, "skipped": 1})
        done = tx.journal.advance(entry.id, Step.APPLIED)
    assert (done.step, done.file_id, done.job_id, done.credits_charged) == (
        Step.APPLIED,
        "file-9",
        "job-7",
        500,
    )
    assert done.result == {"added": 2, "skipped": 1}
    assert done.updated_at == clock.now and done.finished


def test_unfinished_batches_are_found_after_a_crash(store: StateStore) -> None:
    with store.transaction() as tx:
        uploaded = tx.journal.advance(_prepare(tx.journal, "h1").id, Step.UPLOADED, file_id="f1")
        applied = _prepare(tx.journal, "h2")
        for step in (Step.UPLOADED, Step.JOB_CREATED, Step.RESULT_DOWNLOADED, Step.APPLIED):
            tx.journal.advance(applied.id, step)
        tx.journal.fail(_prepare(tx.journal, "h3").id, "rejected by Zoho: INVALID_DATA")
        waiting = _prepare(tx.journal, "h4")
        _prepare(tx.journal, "h5", pipeline="leads")
    with store.transaction() as tx:
        unfinished = tx.journal.unfinished("contacts")
    assert [(e.id, e.step) for e in unfinished] == [(uploaded.id, Step.UPLOADED), (waiting.id, Step.PREPARED)]


def test_steps_never_move_backwards(store: StateStore) -> None:
    with store.transaction() as tx:
        entry = tx.journal.advance(_prepare(tx.journal).id, Step.JOB_CREATED, job_id="job-1")
        with pytest.raises(FatalError, match="steps only move forward"):
            tx.journal.advance(entry.id, Step.UPLOADED)
        with pytest.raises(FatalError, match="steps only move forward"):
            tx.journal.advance(entry.id, Step.JOB_CREATED)


def test_a_batch_never_gets_a_second_job(store: StateStore) -> None:
    with store.transaction() as tx:
        entry = tx.journal.advance(_prepare(tx.journal).id, Step.JOB_CREATED, job_id="job-1")
        with pytest.raises(FatalError, match="already has job job-1; refusing a second job job-2"):
            tx.journal.advance(entry.id, Step.RESULT_DOWNLOADED, job_id="job-2")
        assert tx.journal.get(entry.id).step is Step.JOB_CREATED


def test_a_finished_batch_is_final(store: StateStore) -> None:
    with store.transaction() as tx:
        entry = tx.journal.fail(_prepare(tx.journal).id, "boom")
        assert entry.error == "boom"
        with pytest.raises(FatalError, match="already failed"):
            tx.journal.advance(entry.id, Step.UPLOADED)


def test_find_by_content_hash_returns_the_latest(store: StateStore) -> None:
    with store.transaction() as tx:
        _prepare(tx.journal, "same")
        latest = _prepare(tx.journal, "same")
        assert tx.journal.find_by_content_hash("contacts", "same") == latest
        assert tx.journal.find_by_content_hash("leads", "same") is None
        assert tx.journal.find_by_content_hash("contacts", "other") is None


def test_an_unknown_entry_is_a_clear_error(store: StateStore) -> None:
    with store.transaction() as tx, pytest.raises(FatalError, match="journal entry 404 does not exist"):
        tx.journal.advance(404, Step.UPLOADED)


def test_a_batch_belongs_to_its_run(store: StateStore) -> None:
    with store.transaction() as tx:
        run = tx.runs.start("contacts")
        entry = tx.journal.create(
            pipeline="contacts",
            direction="pull",
            operation="bulk_read",
            content_hash="q",
            row_keys=[],
            credits_planned=50,
            run_id=run.id,
        )
    assert entry.run_id == run.id


def test_an_unknown_direction_is_refused(store: StateStore) -> None:
    with store.transaction() as tx, pytest.raises(ValueError, match="'sideways' is not a valid Direction"):
        tx.journal.create(
            pipeline="contacts",
            direction="sideways",
            operation="bulk_write",
            content_hash="h",
            row_keys=[],
            credits_planned=0,
        )
