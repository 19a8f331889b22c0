from __future__ import annotations

from datetime import timedelta

import pytest

from syncd.errors import FatalError
from syncd.store import StateStore
from syncd.store.credits import EXTERNAL_PURPOSE, Status
from tests.store.conftest import FakeClock

LIMIT = 1_000
RESERVE = 100  # so 900 usable


def test_a_reservation_is_granted_while_it_fits(store: StateStore) -> None:
    first = store.credits.reserve("org1", 500, "bulk write contacts", limit=LIMIT, reserve=RESERVE)
    second = store.credits.reserve("org1", 400, "bulk write leads", limit=LIMIT, reserve=RESERVE)
    refused = store.credits.reserve("org1", 1, "one more call", limit=LIMIT, reserve=RESERVE)
    assert first is not None and second is not None and refused is None
    usage = store.credits.usage("org1")
    assert (usage.spent, usage.reserved, usage.available(limit=LIMIT, reserve=RESERVE)) == (0, 900, 0)


def test_orgs_have_separate_budgets(store: StateStore) -> None:
    assert store.credits.reserve("org1", 900, "x", limit=LIMIT, reserve=RESERVE) is not None
    assert store.credits.reserve("org2", 900, "x", limit=LIMIT, reserve=RESERVE) is not None


def test_commit_spends_at_the_real_cost_and_release_gives_back(store: StateStore) -> None:
    spent = store.credits.reserve("org1", 500, "bulk write", limit=LIMIT)
    released = store.credits.reserve("org1", 300, "rest upsert", limit=LIMIT)
    assert spent is not None and released is not None
    entry = store.credits.commit(spent, amount=450)
    store.credits.release(released)
    assert (entry.status, entry.amount) == (Status.SPENT, 450)
    usage = store.credits.usage("org1")
    assert (usage.spent, usage.reserved) == (450, 0)


def test_a_reservation_settles_once(store: StateStore) -> None:
    reservation = store.credits.reserve("org1", 5, "x", limit=LIMIT)
    assert reservation is not None
    store.credits.commit(reservation)
    with pytest.raises(FatalError, match=f"credit reservation {reservation} is already spent"):
        store.credits.release(reservation)
    with pytest.raises(FatalError, match="credit reservation 999999 does not exist"):
        store.credits.commit(999999)


def test_release_unspent_gives_back_only_what_is_still_reserved(store: StateStore) -> None:
    spent = store.credits.reserve("org1", 500, "a job that failed after Zoho charged", limit=LIMIT)
    unused = store.credits.reserve("org1", 300, "an upload that failed", limit=LIMIT)
    assert spent is not None and unused is not None
    store.credits.commit(spent)

    assert (store.credits.release_unspent(spent), store.credits.release_unspent(unused)) == (False, True)
    assert store.credits.release_unspent(unused) is False  # released already
    usage = store.credits.usage("org1")
    assert (usage.spent, usage.reserved) == (500, 0)


def test_spending_falls_out_of_the_rolling_window(store: StateStore, clock: FakeClock) -> None:
    store.credits.spend("org1", 900, "bulk writes")
    assert store.credits.reserve("org1", 1, "x", limit=LIMIT, reserve=RESERVE) is None
    clock.advance(timedelta(hours=23, minutes=59))
    assert store.credits.reserve("org1", 1, "x", limit=LIMIT, reserve=RESERVE) is None
    clock.advance(timedelta(minutes=1))
    assert store.credits.reserve("org1", 900, "x", limit=LIMIT, reserve=RESERVE) is not None


def test_committing_restarts_the_window_at_the_moment_of_spending(
    store: StateStore, clock: FakeClock
) -> None:
    reservation = store.credits.reserve("org1", 900, "long job", limit=LIMIT, reserve=RESERVE)
    assert reservation is not None
    clock.advance(timedelta(hours=20))
    store.credits.commit(reservation)
    clock.advance(timedelta(hours=10))  # 30 h after reserving, 10 h after spending
    assert store.credits.usage("org1").spent == 900


def test_correction_books_what_others_spent(store: StateStore) -> None:
    store.credits.spend("org1", 200, "ours")
    # Zoho says 600 are left of 1000: 400 used in total, 200 of them not by us
    assert store.credits.correct("org1", remaining=600, limit=LIMIT) == 200
    assert store.credits.usage("org1").spent == 400
    assert [e.purpose for e in store.credits.entries("org1")] == ["ours", EXTERNAL_PURPOSE]
    # a second identical report books nothing more
    assert store.credits.correct("org1", remaining=600, limit=LIMIT) == 0


def test_correction_never_lowers_the_ledger(store: StateStore) -> None:
    store.credits.spend("org1", 500, "ours")
    assert store.credits.correct("org1", remaining=900, limit=LIMIT) == 0
    assert store.credits.usage("org1").spent == 500


def test_a_negative_reservation_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="negative"):
        store.credits.reserve("org1", -5, "x", limit=LIMIT)


def test_reserving_inside_a_transaction_is_an_error_not_a_deadlock(store: StateStore) -> None:
    with store.transaction(), pytest.raises(RuntimeError, match="already open in this thread"):
        store.credits.reserve("org1", 1, "x", limit=LIMIT)
    assert store.credits.reserve("org1", 1, "x", limit=LIMIT) is not None  # and the store still works


def test_correction_leaves_out_what_syncd_spent_and_has_not_booked_yet(store: StateStore) -> None:
    store.credits.spend("org1", 200, "ours")
    # Zoho says 600 are left of 1000: 400 used; 200 booked, 50 spent by syncd and not booked yet
    assert store.credits.correct("org1", remaining=600, limit=LIMIT, pending=50) == 150
    assert store.credits.usage("org1").spent == 350
    assert store.credits.correct("org1", remaining=590, limit=LIMIT, pending=60) == 0
