from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from syncd.engine.diff import DiffPolicy, diff
from syncd.engine.model import (
    Action,
    Change,
    ConflictPolicy,
    DeletePolicy,
    Direction,
    Side,
    SideRecord,
    SideState,
)

MONDAY = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
TUESDAY = datetime(2025, 1, 7, 9, 0, tzinfo=UTC)

BASE = {"k1": {"Email": "a@x.io", "City": "Pune", "Phone": "1"}}


def side(
    records: Mapping[str, Mapping[str, object]],
    *,
    complete: bool = True,
    modified: datetime | None = None,
    deleted: Mapping[str, datetime | None] | None = None,
) -> SideState:
    return SideState(
        {key: SideRecord(dict(values), modified) for key, values in records.items()},  # type: ignore[arg-type]
        complete=complete,
        deleted=dict(deleted or {}),
    )


def edited(**fields: object) -> dict[str, dict[str, object]]:
    return {"k1": {**BASE["k1"], **fields}}


def summary(changes: tuple[Change, ...]) -> list[tuple[str, Side, Action, dict[str, object]]]:
    return [(c.key, c.target, c.action, dict(c.values)) for c in changes]


def test_unchanged_sides_and_echoes_of_our_own_writes_yield_nothing() -> None:
    result = diff(BASE, side(BASE), side(BASE), DiffPolicy())
    assert result.changes == ()
    assert result.new_base == {}
    assert result.unchanged == 1


def test_a_source_edit_goes_to_the_crm_field_by_field() -> None:
    result = diff(BASE, side(BASE), side(edited(City="Goa")), DiffPolicy())
    assert summary(result.changes) == [("k1", Side.CRM, Action.UPDATE, {"City": "Goa"})]
    assert dict(result.new_base["k1"] or {}) == {**BASE["k1"], "City": "Goa"}


def test_edits_to_different_fields_on_both_sides_merge_without_conflict() -> None:
    result = diff(BASE, side(edited(Phone="2")), side(edited(City="Goa")), DiffPolicy())
    assert summary(result.changes) == [
        ("k1", Side.CRM, Action.UPDATE, {"City": "Goa"}),
        ("k1", Side.SOURCE, Action.UPDATE, {"Phone": "2"}),
    ]
    assert result.conflicts == ()


def test_the_same_edit_on_both_sides_is_no_conflict() -> None:
    result = diff(BASE, side(edited(City="Goa")), side(edited(City="Goa")), DiffPolicy())
    assert result.changes == ()
    assert result.conflicts == ()
    assert dict(result.new_base["k1"] or {})["City"] == "Goa"


def conflicting(
    policy: ConflictPolicy, crm_time: datetime | None = None, source_time: datetime | None = None
):  # type: ignore[no-untyped-def]
    crm = side(edited(City="Delhi", Phone="2"), modified=crm_time)
    source = side(edited(City="Goa"), modified=source_time)
    return diff(BASE, crm, source, DiffPolicy(conflicts=policy))


def test_crm_wins_and_source_wins_pick_their_side() -> None:
    crm_wins = conflicting(ConflictPolicy.CRM_WINS)
    assert summary(crm_wins.changes) == [("k1", Side.SOURCE, Action.UPDATE, {"City": "Delhi", "Phone": "2"})]
    source_wins = conflicting(ConflictPolicy.SOURCE_WINS)
    assert summary(source_wins.changes) == [
        ("k1", Side.CRM, Action.UPDATE, {"City": "Goa"}),
        ("k1", Side.SOURCE, Action.UPDATE, {"Phone": "2"}),
    ]
    assert [(c.field, c.crm, c.source, c.winner) for c in source_wins.conflicts] == [
        ("City", "Delhi", "Goa", Side.SOURCE)
    ]


def test_newest_wins_compares_modification_times_and_ties_go_to_the_crm() -> None:
    assert conflicting(ConflictPolicy.NEWEST_WINS, MONDAY, TUESDAY).conflicts[0].winner is Side.SOURCE
    assert conflicting(ConflictPolicy.NEWEST_WINS, TUESDAY, MONDAY).conflicts[0].winner is Side.CRM
    assert conflicting(ConflictPolicy.NEWEST_WINS, MONDAY, MONDAY).conflicts[0].winner is Side.CRM
    assert conflicting(ConflictPolicy.NEWEST_WINS, None, MONDAY).conflicts[0].winner is Side.SOURCE


def test_manual_holds_the_conflicting_field_but_merges_the_rest() -> None:
    result = conflicting(ConflictPolicy.MANUAL)
    assert summary(result.changes) == [("k1", Side.SOURCE, Action.UPDATE, {"Phone": "2"})]
    assert [(c.key, c.field, c.base, c.crm, c.source) for c in result.held] == [
        ("k1", "City", "Pune", "Delhi", "Goa")
    ]
    assert dict(result.new_base["k1"] or {}) == {**BASE["k1"], "Phone": "2"}  # City keeps its base


def test_new_records_are_created_on_the_other_side() -> None:
    crm = side({**BASE, "z9": {"Email": "z@x.io"}})
    source = side({**BASE, "s7": {"Email": "s@x.io", "City": None}})
    result = diff(BASE, crm, source, DiffPolicy())
    assert summary(result.changes) == [
        ("s7", Side.CRM, Action.CREATE, {"Email": "s@x.io"}),
        ("z9", Side.SOURCE, Action.CREATE, {"Email": "z@x.io"}),
    ]
    assert set(result.new_base) == {"s7", "z9"}


def test_direction_limits_which_side_is_written_and_keeps_the_base_for_the_other() -> None:
    push_only = DiffPolicy(direction=Direction.PUSH)
    result = diff(BASE, side(edited(Phone="2")), side(edited(City="Goa")), push_only)
    assert summary(result.changes) == [("k1", Side.CRM, Action.UPDATE, {"City": "Goa"})]
    assert dict(result.new_base["k1"] or {})["Phone"] == "1"  # the sides still differ there
    crm_only = diff({}, side({"z9": {"Email": "z@x.io"}}), side({}), push_only)
    assert crm_only.changes == ()
    assert crm_only.new_base == {}  # not synced, so no sync state to keep
    again = diff(
        {"k1": result.new_base["k1"] or {}},
        side(edited(Phone="2", City="Goa")),
        side(edited(City="Goa")),
        push_only,
    )
    assert again.changes == ()


def test_first_sync_matches_records_and_fills_blanks_from_either_side() -> None:
    crm = side({"k1": {"Email": "a@x.io", "Phone": "1"}})
    source = side({"k1": {"Email": "a@x.io", "City": "Pune"}})
    result = diff({}, crm, source, DiffPolicy())
    assert summary(result.changes) == [
        ("k1", Side.CRM, Action.UPDATE, {"City": "Pune"}),
        ("k1", Side.SOURCE, Action.UPDATE, {"Phone": "1"}),
    ]


def test_an_incremental_read_that_does_not_mention_a_record_means_unchanged() -> None:
    result = diff(BASE, side({}, complete=False), side(edited(City="Goa")), DiffPolicy())
    assert summary(result.changes) == [("k1", Side.CRM, Action.UPDATE, {"City": "Goa"})]


# --- deletes ---

SOFT = DiffPolicy(deletes=DeletePolicy.SOFT, max_delete_share=1.0)


def test_deletes_are_off_by_default() -> None:
    result = diff(BASE, side({}, deleted={"k1": MONDAY}), side(BASE), DiffPolicy())
    assert result.changes == ()
    result = diff(BASE, side(BASE), side({}, deleted={"k1": None}), DiffPolicy())
    assert result.changes == ()


def test_a_crm_delete_needs_both_the_full_snapshot_and_the_deleted_records_api() -> None:
    both_signals = diff(BASE, side({}, deleted={"k1": MONDAY}), side(BASE), SOFT)
    assert [(c.target, c.action, c.delete_mode) for c in both_signals.changes] == [
        (Side.SOURCE, Action.DELETE, DeletePolicy.SOFT)
    ]
    assert both_signals.new_base == {"k1": None}

    only_missing = diff(BASE, side({}), side(BASE), SOFT)
    assert only_missing.changes == ()
    assert only_missing.unconfirmed_deletes == ((Side.CRM, "k1"),)

    only_api = diff(BASE, side({}, complete=False, deleted={"k1": MONDAY}), side(BASE), SOFT)
    assert only_api.changes == ()


def test_a_record_the_deleted_records_api_lists_but_the_snapshot_has_was_restored() -> None:
    result = diff(BASE, side(BASE, deleted={"k1": MONDAY}), side(BASE), SOFT)
    assert result.changes == ()


def test_a_source_tombstone_deletes_in_the_crm() -> None:
    result = diff(BASE, side(BASE), side({}, complete=False, deleted={"k1": None}), SOFT)
    assert summary(result.changes) == [("k1", Side.CRM, Action.DELETE, {})]


def test_deleted_on_both_sides_forgets_the_record() -> None:
    result = diff(BASE, side({}, deleted={"k1": MONDAY}), side({}, deleted={"k1": MONDAY}), SOFT)
    assert result.changes == ()
    assert result.new_base == {"k1": None}


def test_an_edit_against_a_delete_is_a_record_conflict() -> None:
    crm_deleted = side({}, deleted={"k1": MONDAY})
    source_edited = side(edited(City="Goa"), modified=TUESDAY)
    newest = diff(
        BASE, crm_deleted, source_edited, DiffPolicy(deletes=DeletePolicy.HARD, max_delete_share=1.0)
    )
    assert summary(newest.changes) == [("k1", Side.CRM, Action.CREATE, {**BASE["k1"], "City": "Goa"})]
    assert [(c.field, c.deleted_on, c.winner) for c in newest.conflicts] == [(None, Side.CRM, Side.SOURCE)]

    crm_wins = DiffPolicy(deletes=DeletePolicy.HARD, conflicts=ConflictPolicy.CRM_WINS, max_delete_share=1.0)
    deleting = diff(BASE, crm_deleted, source_edited, crm_wins)
    assert [(c.target, c.action, c.delete_mode) for c in deleting.changes] == [
        (Side.SOURCE, Action.DELETE, DeletePolicy.HARD)
    ]

    manual = DiffPolicy(deletes=DeletePolicy.SOFT, conflicts=ConflictPolicy.MANUAL)
    held = diff(BASE, crm_deleted, source_edited, manual)
    assert held.changes == ()
    assert len(held.held) == 1


def test_with_deletes_off_an_edit_recreates_a_deleted_record() -> None:
    result = diff(BASE, side({}, deleted={"k1": MONDAY}), side(edited(City="Goa")), DiffPolicy())
    assert summary(result.changes) == [("k1", Side.CRM, Action.CREATE, {**BASE["k1"], "City": "Goa"})]


def many(count: int) -> dict[str, dict[str, object]]:
    return {f"k{n}": {"Email": f"{n}@x.io"} for n in range(count)}


def test_the_mass_delete_brake_withholds_all_deletes_beyond_the_share() -> None:
    base = many(10)
    tombstones = {"k0": None, "k1": None, "k2": None}
    source = side({k: v for k, v in base.items() if k not in tombstones}, deleted=tombstones)
    braked = diff(base, side(base), source, DiffPolicy(deletes=DeletePolicy.SOFT, max_delete_share=0.2))
    assert braked.changes == ()
    assert braked.new_base == {}
    [blocked] = braked.blocked
    assert (blocked.target, blocked.deletes, blocked.total) == (Side.CRM, 3, 10)
    assert "--allow-mass-delete" in str(blocked) and "30%" in str(blocked)

    within = diff(base, side(base), source, DiffPolicy(deletes=DeletePolicy.SOFT, max_delete_share=0.3))
    assert len(within.to(Side.CRM)) == 3

    allowed = DiffPolicy(deletes=DeletePolicy.SOFT, max_delete_share=0.2, allow_mass_delete=True)
    assert len(diff(base, side(base), source, allowed).changes) == 3
