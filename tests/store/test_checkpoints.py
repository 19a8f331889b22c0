from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import DBAPIError

from syncd.store import Checkpoint, Direction, StateStore
from tests.store.conftest import FakeClock


def test_a_pipeline_without_a_checkpoint_starts_from_scratch(store: StateStore) -> None:
    with store.transaction() as tx:
        checkpoint = tx.checkpoints.get("contacts", Direction.PULL)
    assert checkpoint == Checkpoint(pipeline="contacts", direction=Direction.PULL)


def test_snapshot_page_and_token_survive_a_restart(
    store: StateStore, clock: FakeClock, database_url: str
) -> None:
    expires = clock.now + timedelta(hours=24)
    with store.transaction() as tx:
        tx.checkpoints.update(
            "contacts", "pull", snapshot_page=3, page_token="tok-3", page_token_expires_at=expires
        )
    store.close()

    with StateStore.open(database_url, clock=clock) as reopened, reopened.transaction() as tx:
        checkpoint = tx.checkpoints.get("contacts", "pull")
    assert (checkpoint.snapshot_page, checkpoint.page_token) == (3, "tok-3")
    assert checkpoint.page_token_expires_at == expires
    assert checkpoint.updated_at == clock.now


def test_directions_are_kept_apart(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.checkpoints.update("contacts", Direction.PUSH, cursor="2026-03-01T00:00:00Z")
        tx.checkpoints.update("contacts", Direction.PULL, snapshot_page=1)
    with store.transaction() as tx:
        push, pull = tx.checkpoints.get("contacts", "push"), tx.checkpoints.get("contacts", "pull")
    assert (push.cursor, push.snapshot_page) == ("2026-03-01T00:00:00Z", None)
    assert (pull.cursor, pull.snapshot_page) == (None, 1)


def test_update_keeps_the_fields_it_does_not_change(store: StateStore, clock: FakeClock) -> None:
    with store.transaction() as tx:
        tx.checkpoints.update("contacts", "pull", snapshot_page=2, page_token="tok-2")
        tx.checkpoints.update("contacts", "pull", last_full_snapshot_at=clock.now)
        checkpoint = tx.checkpoints.get("contacts", "pull")
    assert (checkpoint.snapshot_page, checkpoint.page_token, checkpoint.last_full_snapshot_at) == (
        2,
        "tok-2",
        clock.now,
    )


def test_an_expired_page_token_is_not_usable(clock: FakeClock) -> None:
    checkpoint = Checkpoint("contacts", Direction.PULL, page_token="t", page_token_expires_at=clock.now)
    assert checkpoint.page_token_usable(clock.now - timedelta(seconds=1))
    assert not checkpoint.page_token_usable(clock.now)
    assert not Checkpoint("contacts", Direction.PULL).page_token_usable(clock.now)


def test_a_failed_transaction_leaves_the_checkpoint_alone(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.checkpoints.update("contacts", "pull", snapshot_page=1)
    try:
        with store.transaction() as tx:
            tx.checkpoints.update("contacts", "pull", snapshot_page=2)
            raise RuntimeError("crash while applying page 2")
    except RuntimeError:
        pass
    with store.transaction() as tx:
        assert tx.checkpoints.get("contacts", "pull").snapshot_page == 1


def test_a_snapshot_reads_but_never_writes(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.checkpoints.update("contacts", "pull", snapshot_page=1)
    with pytest.raises(DBAPIError, match=r"read-?only"), store.snapshot() as tx:
        assert tx.checkpoints.get("contacts", "pull").snapshot_page == 1
        tx.checkpoints.update("contacts", "pull", snapshot_page=99)
    with store.transaction() as tx:  # the connection went back to the pool writable again
        tx.checkpoints.update("contacts", "pull", snapshot_page=2)
    with store.snapshot() as tx:
        assert tx.checkpoints.get("contacts", "pull").snapshot_page == 2
