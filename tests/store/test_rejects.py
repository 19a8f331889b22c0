from __future__ import annotations

from datetime import timedelta

import pytest

from syncd.errors import FatalError
from syncd.store import NewReject, RejectStatus, StateStore
from tests.store.conftest import FakeClock


def _bad_email(key: str = "c-1", email: str = "not-an-email") -> NewReject:
    return NewReject(
        key=key,
        direction="push",
        message=f"Email {email!r} is not an email address",
        retryable=False,
        error_codes=["INVALID_DATA"],
        row={"Email": email, "Last_Name": "Ada"},
    )


def _locked(key: str) -> NewReject:
    return NewReject(
        key=key, direction="push", message="record locked", retryable=True, error_codes=["LOCKED"]
    )


def test_a_reject_keeps_the_row_and_the_reason(store: StateStore, clock: FakeClock) -> None:
    with store.transaction() as tx:
        tx.rejects.add("contacts", [_bad_email()])
        [reject] = tx.rejects.find("contacts")
    assert (reject.key, reject.row, reject.error_codes) == (
        "c-1",
        {"Email": "not-an-email", "Last_Name": "Ada"},
        ("INVALID_DATA",),
    )
    assert (reject.retryable, reject.status, reject.attempts) == (False, RejectStatus.OPEN, 1)
    assert reject.first_seen == reject.last_seen == clock.now


def test_refused_again_bumps_attempts_and_keeps_first_seen(store: StateStore, clock: FakeClock) -> None:
    with store.transaction() as tx:
        tx.rejects.add("contacts", [_bad_email()])
        first = tx.rejects.find("contacts")[0]
    clock.advance(timedelta(hours=1))
    with store.transaction() as tx:
        tx.rejects.add("contacts", [_bad_email(email="still@bad")])
        [again] = tx.rejects.find("contacts")
    assert again.id == first.id and again.attempts == 2
    assert again.first_seen == first.first_seen and again.last_seen == clock.now
    assert again.row["Email"] == "still@bad"


def test_retry_and_resolve(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.rejects.add("contacts", [_bad_email("a"), _locked("b"), _bad_email("c")])
        c = next(r for r in tx.rejects.find("contacts") if r.key == "c")
        assert tx.rejects.keys_to_retry("contacts") == ["b"]  # needs-a-fix rows wait for a person
        assert tx.rejects.mark_retry([c.id]) == 1
        assert sorted(tx.rejects.keys_to_retry("contacts")) == ["b", "c"]
        assert tx.rejects.resolve("contacts", ["b", "c", "unknown"]) == 2
        assert [r.key for r in tx.rejects.find("contacts")] == ["a"]
        assert {r.key for r in tx.rejects.find("contacts", status=RejectStatus.RESOLVED)} == {"b", "c"}


def test_a_reject_that_comes_back_is_reopened(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.rejects.add("contacts", [_locked("b")])
        tx.rejects.resolve("contacts", ["b"])
        tx.rejects.add("contacts", [_locked("b")])
        [reject] = tx.rejects.find("contacts")
    assert (reject.status, reject.attempts) == (RejectStatus.OPEN, 2)


def test_find_filters_and_get(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.rejects.add("contacts", [_bad_email("a")])
        tx.rejects.add("leads", [_bad_email("a")])
        assert len(tx.rejects.find()) == 2 and len(tx.rejects.find(status=None, limit=1)) == 1
        lead = tx.rejects.find("leads")[0]
        assert tx.rejects.get(lead.id) == lead
        with pytest.raises(FatalError, match="reject 424242 does not exist"):
            tx.rejects.get(424242)


def test_thousands_of_rejects_in_one_call(store: StateStore) -> None:
    with store.transaction() as tx:
        assert tx.rejects.add("contacts", [_locked(str(i)) for i in range(6_000)]) == 6_000
        tx.rejects.add("contacts", [_locked(str(i)) for i in range(3_000)])
        attempts = sorted({r.attempts for r in tx.rejects.find("contacts")})
    assert attempts == [1, 2]
