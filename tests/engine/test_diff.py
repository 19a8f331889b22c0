from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from syncd.engine.diff import DiffPolicy, diff
from syncd.engine.model import (
    Action,
    Change,
    ConflictPolicy,
    DeletePolicy,
    Direction,
    Resolved,
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


# --- resolutions: an operator's answer to a held conflict ---

MANUAL = DiffPolicy(conflicts=ConflictPolicy.MANUAL)
HELD_CITY = {"crm": {"City": "Delhi"}, "source": {"City": "Goa"}}  # as the held conflict recorded


def answer(city: str) -> dict[str, Resolved]:
    return {"k1": Resolved(values={"City": city}, **HELD_CITY)}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("city", "to_crm", "to_source"),
    [
        ("Delhi", {}, {"City": "Delhi", "Phone": "2"}),  # the CRM's value
        ("Goa", {"City": "Goa"}, {"Phone": "2"}),  # the source's
        ("Agra", {"City": "Agra"}, {"City": "Agra", "Phone": "2"}),  # a value of the operator's own
        ("Pune", {"City": "Pune"}, {"City": "Pune", "Phone": "2"}),  # the value last synced
    ],
)
def test_a_resolved_field_is_settled_to_the_chosen_value_and_the_rest_merges(
    city: str, to_crm: dict[str, str], to_source: dict[str, str]
) -> None:
    crm, source = side(edited(City="Delhi", Phone="2")), side(edited(City="Goa"))
    assert [c.field for c in diff(BASE, crm, source, MANUAL).held] == ["City"]

    result = diff(BASE, crm, source, MANUAL, resolutions=answer(city))

    assert {c.target: dict(c.values) for c in result.changes} == {
        target: values for target, values in ((Side.CRM, to_crm), (Side.SOURCE, to_source)) if values
    }
    assert (result.held, result.resolved, result.stale) == ((), ("k1",), ())
    assert dict(result.new_base["k1"] or {}) == {**BASE["k1"], "City": city, "Phone": "2"}


def test_a_side_that_already_holds_the_chosen_value_is_not_written_again() -> None:
    # an earlier run wrote the source, then failed on the CRM
    result = diff(BASE, side(edited(City="Delhi")), side(edited(City="Agra")), MANUAL, answer("Agra"))
    assert summary(result.changes) == [("k1", Side.CRM, Action.UPDATE, {"City": "Agra"})]
    assert result.resolved == ("k1",)


def test_a_resolution_whose_field_changed_again_is_stale_and_the_conflict_is_held_afresh() -> None:
    crm, source = side(edited(City="Delhi", Phone="2")), side(edited(City="Mumbai"))

    result = diff(BASE, crm, source, MANUAL, resolutions=answer("Delhi"))

    assert result.resolved == ()
    assert [(s.key, s.reason) for s in result.stale] == [("k1", "the source changed City again")]
    assert "stale (the source changed City again)" in str(result.stale[0])
    assert [(c.field, c.crm, c.source) for c in result.held] == [("City", "Delhi", "Mumbai")]
    assert summary(result.changes) == [("k1", Side.SOURCE, Action.UPDATE, {"Phone": "2"})]


def test_a_side_the_run_did_not_read_holds_what_the_conflict_recorded() -> None:
    # an incremental CRM read that did not return the record: it still holds Delhi, not the base
    result = diff(BASE, side({}, complete=False), side(edited(City="Goa")), MANUAL, answer("Goa"))
    assert summary(result.changes) == [("k1", Side.CRM, Action.UPDATE, {"City": "Goa"})]
    unread_both = diff(BASE, side({}, complete=False), side({}, complete=False), MANUAL, answer("Agra"))
    assert {c.target for c in unread_both.changes} == {Side.CRM, Side.SOURCE}
    assert dict(unread_both.new_base["k1"] or {})["City"] == "Agra"


def test_a_resolution_the_direction_cannot_carry_out_is_stale() -> None:
    push_only = DiffPolicy(direction=Direction.PUSH, conflicts=ConflictPolicy.MANUAL)
    crm, source = side(edited(City="Delhi")), side(edited(City="Goa"))
    assert diff(BASE, crm, source, push_only, answer("Goa")).resolved == ("k1",)
    refused = diff(BASE, crm, source, push_only, answer("Delhi"))
    assert [s.reason for s in refused.stale] == ["the pipeline does not write to the source"]
    assert refused.changes == ()


def test_a_field_resolution_for_a_record_deleted_since_is_stale() -> None:
    deletes = DiffPolicy(conflicts=ConflictPolicy.MANUAL, deletes=DeletePolicy.SOFT, max_delete_share=1.0)
    result = diff(BASE, side(edited(City="Delhi")), side({}, deleted={"k1": None}), deletes, answer("Goa"))
    assert [s.reason for s in result.stale] == ["the record was deleted since"]
    assert [(c.field, c.deleted_on) for c in result.held] == [(None, Side.SOURCE)]


RECORD_POLICY = DiffPolicy(conflicts=ConflictPolicy.MANUAL, deletes=DeletePolicy.HARD, max_delete_share=1.0)


def record_answer(keep: bool, deleted_on: Side = Side.CRM) -> dict[str, Resolved]:
    return {"k1": Resolved(deleted_on=deleted_on, keep=keep)}


def test_a_record_conflict_resolved_keep_recreates_the_record_where_it_was_deleted() -> None:
    crm_deleted, source_edited = side({}, deleted={"k1": MONDAY}), side(edited(City="Goa"))
    assert len(diff(BASE, crm_deleted, source_edited, RECORD_POLICY).held) == 1

    kept = diff(BASE, crm_deleted, source_edited, RECORD_POLICY, record_answer(keep=True))

    assert summary(kept.changes) == [("k1", Side.CRM, Action.CREATE, {**BASE["k1"], "City": "Goa"})]
    assert (kept.held, kept.resolved) == ((), ("k1",))
    assert dict(kept.new_base["k1"] or {}) == {**BASE["k1"], "City": "Goa"}


def test_a_record_conflict_resolved_delete_deletes_it_where_it_was_kept() -> None:
    crm_edited, source_deleted = side(edited(City="Delhi")), side({}, deleted={"k1": None})

    deleted = diff(BASE, crm_edited, source_deleted, RECORD_POLICY, record_answer(False, Side.SOURCE))

    assert [(c.target, c.action, c.delete_mode) for c in deleted.changes] == [
        (Side.CRM, Action.DELETE, DeletePolicy.HARD)
    ]
    assert (deleted.new_base, deleted.resolved) == ({"k1": None}, ("k1",))


def test_an_unread_deleting_side_is_still_deleted_and_a_record_back_makes_the_answer_stale() -> None:
    unread = diff(
        BASE, side({}, complete=False), side(edited(City="Goa")), RECORD_POLICY, record_answer(True)
    )
    assert summary(unread.changes)[0][:3] == ("k1", Side.CRM, Action.CREATE)

    back = diff(BASE, side(edited(Phone="9")), side(edited(City="Goa")), RECORD_POLICY, record_answer(True))
    assert [s.reason for s in back.stale] == ["the record is back on the CRM"]
    assert back.resolved == () and back.held == ()  # both edits merge as usual


def test_a_record_resolution_needs_deletes_on_to_delete_and_both_deletes_fulfil_it() -> None:
    crm_deleted, source_edited = side({}, deleted={"k1": MONDAY}), side(edited(City="Goa"))
    off = DiffPolicy(conflicts=ConflictPolicy.MANUAL)
    assert [s.reason for s in diff(BASE, crm_deleted, source_edited, off, record_answer(False)).stale] == [
        "deletes are off now"
    ]
    both = diff(BASE, crm_deleted, side({}, deleted={"k1": None}), RECORD_POLICY, record_answer(False))
    assert (both.changes, both.new_base, both.resolved) == ((), {"k1": None}, ("k1",))
    keep_both = diff(BASE, crm_deleted, side({}, deleted={"k1": None}), RECORD_POLICY, record_answer(True))
    assert [s.reason for s in keep_both.stale] == ["the record was deleted on both sides"]


def test_a_resolution_delete_the_mass_delete_brake_withholds_is_not_reported_carried_out() -> None:
    braking = DiffPolicy(conflicts=ConflictPolicy.MANUAL, deletes=DeletePolicy.SOFT, max_delete_share=0.1)
    crm_edited, source_deleted = side(edited(City="Delhi")), side({}, deleted={"k1": None})
    result = diff(BASE, crm_edited, source_deleted, braking, record_answer(False, Side.SOURCE))
    assert result.changes == () and result.blocked
    assert result.resolved == () and result.stale == ()


def test_an_answer_equal_to_the_last_synced_value_still_hands_the_writers_a_base() -> None:
    result = diff(BASE, side(edited(City="Delhi")), side(edited(City="Goa")), MANUAL, answer("Pune"))
    assert {c.target: dict(c.values) for c in result.changes} == {
        Side.CRM: {"City": "Pune"},
        Side.SOURCE: {"City": "Pune"},
    }
    assert result.new_base == {"k1": BASE["k1"]}  # unchanged, but stored again with the writes
