from __future__ import annotations

from datetime import timedelta

import pytest

from syncd.errors import FatalError
from syncd.store import Closing, NewConflict, Resolution, StateStore
from tests.store.conftest import FakeClock


def _phone_conflict(key: str = "c-1", source: str = "+1 555 0101") -> NewConflict:
    return NewConflict(
        key=key,
        crm_id="4150001",
        base={"Phone": "+1 555 0100"},
        source={"Phone": source},
        crm={"Phone": "+1 555 0199"},
    )


def test_a_conflict_keeps_both_values_and_the_base(store: StateStore, clock: FakeClock) -> None:
    with store.transaction() as tx:
        tx.conflicts.add("contacts", [_phone_conflict()])
        [conflict] = tx.conflicts.find("contacts")
    assert conflict.base == {"Phone": "+1 555 0100"}
    assert (conflict.source, conflict.crm) == ({"Phone": "+1 555 0101"}, {"Phone": "+1 555 0199"})
    assert (conflict.crm_id, conflict.detected_at, conflict.resolution) == ("4150001", clock.now, None)
    assert conflict.winning_values() is None


@pytest.mark.parametrize(
    ("resolution", "values", "winner"),
    [
        (Resolution.SOURCE, None, {"Phone": "+1 555 0101"}),
        (Resolution.CRM, None, {"Phone": "+1 555 0199"}),
        (Resolution.MERGED, {"Phone": "+1 555 0123"}, {"Phone": "+1 555 0123"}),
    ],
)
def test_resolving_names_the_winner(
    store: StateStore,
    clock: FakeClock,
    resolution: Resolution,
    values: dict[str, str] | None,
    winner: dict[str, str],
) -> None:
    with store.transaction() as tx:
        tx.conflicts.add("contacts", [_phone_conflict()])
        conflict_id = tx.conflicts.find("contacts")[0].id
    clock.advance(timedelta(minutes=5))
    with store.transaction() as tx:
        resolved = tx.conflicts.resolve(conflict_id, resolution, values)
        assert tx.conflicts.find("contacts") == []
        assert tx.conflicts.find("contacts", unresolved=False) == [resolved]
    assert resolved.winning_values() == winner and resolved.resolved_at == clock.now


def test_a_newer_conflict_replaces_the_open_one(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.conflicts.add("contacts", [_phone_conflict(source="first")])
        tx.conflicts.add("contacts", [_phone_conflict(source="second")])
        assert [c.source["Phone"] for c in tx.conflicts.find("contacts")] == ["second"]


def test_resolution_mistakes_are_refused(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.conflicts.add("contacts", [_phone_conflict()])
        conflict_id = tx.conflicts.find()[0].id
        with pytest.raises(ValueError, match="merged"):
            tx.conflicts.resolve(conflict_id, Resolution.MERGED)
        with pytest.raises(ValueError, match="merged"):
            tx.conflicts.resolve(conflict_id, Resolution.CRM, {"Phone": "x"})
        tx.conflicts.resolve(conflict_id, Resolution.CRM)
        with pytest.raises(FatalError, match="already resolved"):
            tx.conflicts.resolve(conflict_id, Resolution.SOURCE)
        with pytest.raises(FatalError, match="conflict 999 does not exist"):
            tx.conflicts.get(999)


def test_pending_lists_resolved_conflicts_until_a_run_closes_them(
    store: StateStore, clock: FakeClock
) -> None:
    with store.transaction() as tx:
        tx.conflicts.add("contacts", [_phone_conflict("c-1"), _phone_conflict("c-2"), _phone_conflict("c-3")])
        tx.conflicts.add("accounts", [_phone_conflict("a-1")])
        ids = {c.key: c.id for c in tx.conflicts.find()}
        tx.conflicts.resolve(ids["c-1"], Resolution.CRM)
        tx.conflicts.resolve(ids["c-3"], Resolution.MERGED, {"Phone": "0"})
        tx.conflicts.resolve(ids["a-1"], Resolution.SOURCE)
        assert [c.key for c in tx.conflicts.pending("contacts")] == ["c-1", "c-3"]  # c-2 is still open
    clock.advance(timedelta(minutes=1))
    with store.transaction() as tx:
        assert tx.conflicts.close([ids["c-1"], ids["c-2"]], Closing.APPLIED) == 1  # c-2 is not resolved
        assert tx.conflicts.close([ids["c-3"]], Closing.STALE, "the source changed Phone again") == 1
        assert tx.conflicts.close([ids["c-1"]], Closing.STALE) == 0  # closed once, for good
        assert tx.conflicts.pending("contacts") == []
        applied, stale = tx.conflicts.get(ids["c-1"]), tx.conflicts.get(ids["c-3"])
        assert [c.key for c in tx.conflicts.pending("accounts")] == ["a-1"]
        assert [c.key for c in tx.conflicts.find("contacts")] == ["c-2"]
    assert (applied.closed_as, applied.closed_at, applied.closed_note) == (Closing.APPLIED, clock.now, None)
    assert (stale.closed_as, stale.closed_note) == (Closing.STALE, "the source changed Phone again")


def test_a_new_hold_on_a_key_leaves_its_pending_resolution_alone(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.conflicts.add("contacts", [_phone_conflict(source="first")])
        tx.conflicts.resolve(tx.conflicts.find()[0].id, Resolution.SOURCE)
        tx.conflicts.add("contacts", [_phone_conflict(source="second")])
        assert [c.source["Phone"] for c in tx.conflicts.pending("contacts")] == ["first"]
        assert [c.source["Phone"] for c in tx.conflicts.find("contacts")] == ["second"]
