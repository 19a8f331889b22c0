from __future__ import annotations

from datetime import timedelta

import pytest

from syncd.errors import FatalError
from syncd.store import Outcome, StateStore
from tests.store.conftest import FakeClock


def test_a_run_records_what_it_did(store: StateStore, clock: FakeClock) -> None:
    with store.transaction() as tx:
        run = tx.runs.start("contacts", holder="host-1:42")
    assert (run.outcome, run.started_at, run.finished_at) == (Outcome.RUNNING, clock.now, None)
    clock.advance(timedelta(minutes=3))
    with store.transaction() as tx:
        done = tx.runs.finish(run.id, Outcome.PARTIAL, counts={"created": 10, "rejected": 2}, credits=550)
    assert (done.outcome, done.finished_at, done.credits) == (Outcome.PARTIAL, clock.now, 550)
    assert done.counts == {"created": 10, "rejected": 2} and done.holder == "host-1:42"


def test_last_runs_newest_first(store: StateStore, clock: FakeClock) -> None:
    with store.transaction() as tx:
        for pipeline in ("contacts", "leads", "contacts"):
            tx.runs.start(pipeline)
            clock.advance(timedelta(minutes=1))
        assert [r.pipeline for r in tx.runs.last()] == ["contacts", "leads", "contacts"]
        contacts = tx.runs.last("contacts", limit=1)
    assert len(contacts) == 1 and contacts[0].started_at == clock.now - timedelta(minutes=1)


def test_a_failed_run_keeps_its_error(store: StateStore) -> None:
    with store.transaction() as tx:
        run = tx.runs.finish(tx.runs.start("contacts").id, Outcome.FAILED, error="Zoho said INVALID_TOKEN")
    assert (run.outcome, run.error) == (Outcome.FAILED, "Zoho said INVALID_TOKEN")


def test_a_run_finishes_once_and_not_as_running(store: StateStore) -> None:
    with store.transaction() as tx:
        run = tx.runs.start("contacts")
        with pytest.raises(ValueError, match="not running"):
            tx.runs.finish(run.id, Outcome.RUNNING)
        tx.runs.finish(run.id, Outcome.SUCCEEDED)
        with pytest.raises(FatalError, match="already finished"):
            tx.runs.finish(run.id, Outcome.FAILED)
