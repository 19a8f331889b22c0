"""Invariants of the diff, checked on random histories: both sides converge, a second run plans nothing."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.engine.canonical import Canonical
from syncd.engine.diff import Diff, DiffPolicy, _created, _settle, diff
from syncd.engine.merge import present
from syncd.engine.model import (
    Action,
    Conflict,
    ConflictPolicy,
    DeletePolicy,
    Direction,
    Resolved,
    Side,
    SideRecord,
    SideState,
    frozen_values,
)

Records = dict[str, dict[str, Canonical]]

KEYS = ["a", "b", "c", "d"]
FIELDS = ["F1", "F2", "F3"]
values = st.dictionaries(st.sampled_from(FIELDS), st.sampled_from([None, "x", "y", "z"]), min_size=1).map(
    present
)
records = st.dictionaries(st.sampled_from(KEYS), values)
automatic = st.sampled_from([ConflictPolicy.CRM_WINS, ConflictPolicy.SOURCE_WINS, ConflictPolicy.NEWEST_WINS])
delete_policies = st.sampled_from(list(DeletePolicy))


@st.composite
def histories(draw: st.DrawFn) -> tuple[Records, Records, Records, dict[str, None], dict[str, None]]:
    """A last-synced base and what each side made of it since: edits, creations and deletions."""
    base = draw(records)
    crm = {key: draw(st.one_of(st.just(vals), values)) for key, vals in base.items()}
    source = {key: draw(st.one_of(st.just(vals), values)) for key, vals in base.items()}
    crm_deleted = {key: None for key in base if draw(st.booleans()) and draw(st.booleans())}
    source_deleted = {key: None for key in base if draw(st.booleans()) and draw(st.booleans())}
    for key in crm_deleted:
        del crm[key]
    for key in source_deleted:
        del source[key]
    crm.update({f"crm-{key}": vals for key, vals in draw(records).items()})
    source.update({f"src-{key}": vals for key, vals in draw(records).items()})
    return base, crm, source, crm_deleted, source_deleted


def state(records: Records, deleted: Mapping[str, None] | None = None) -> SideState:
    return SideState(
        {key: SideRecord(vals) for key, vals in records.items()}, complete=True, deleted=deleted or {}
    )


def apply(result: Diff, base: Records, crm: Records, source: Records) -> None:
    """What apply does: carry out each change, then store the new sync state."""
    for change in result.changes:
        side = crm if change.target is Side.CRM else source
        if change.action is Action.DELETE:
            side.pop(change.key)
        elif change.action is Action.CREATE:
            side[change.key] = dict(change.values)
        else:
            side[change.key] = present({**side[change.key], **change.values})
    for key, new in result.new_base.items():
        if new is None:
            base.pop(key, None)
        else:
            base[key] = dict(new)


@settings(max_examples=200, deadline=None)
@given(history=histories(), conflicts=automatic, deletes=delete_policies)
def test_after_applying_a_diff_both_sides_agree_and_a_second_diff_is_empty(
    history: tuple[Records, Records, Records, dict[str, None], dict[str, None]],
    conflicts: ConflictPolicy,
    deletes: DeletePolicy,
) -> None:
    base, crm, source, crm_deleted, source_deleted = history
    policy = DiffPolicy(conflicts=conflicts, deletes=deletes, allow_mass_delete=True)

    apply(diff(base, state(crm, crm_deleted), state(source, source_deleted), policy), base, crm, source)

    for key in crm.keys() & source.keys():
        assert crm[key] == source[key] == base[key]
    if deletes is not DeletePolicy.OFF:
        assert crm.keys() == source.keys()
    second = diff(base, state(crm), state(source), policy)
    assert second.changes == ()
    assert second.conflicts == ()


@settings(max_examples=100, deadline=None)
@given(history=histories(), deletes=delete_policies)
def test_manual_conflicts_are_held_steadily_and_nothing_else_is_planned_again(
    history: tuple[Records, Records, Records, dict[str, None], dict[str, None]], deletes: DeletePolicy
) -> None:
    base, crm, source, crm_deleted, source_deleted = history
    policy = DiffPolicy(conflicts=ConflictPolicy.MANUAL, deletes=deletes, allow_mass_delete=True)
    first = diff(base, state(crm, crm_deleted), state(source, source_deleted), policy)
    apply(first, base, crm, source)

    second = diff(base, state(crm, crm_deleted), state(source, source_deleted), policy)
    assert second.changes == ()
    assert {(c.key, c.field) for c in second.held} == {(c.key, c.field) for c in first.held}


@st.composite
def answers(draw: st.DrawFn, held: tuple[Conflict, ...]) -> dict[str, Resolved]:
    """An operator's answer to every held conflict: a side's value, a value of their own, keep or delete."""
    chosen: dict[str, dict[str, dict[str, Canonical]]] = {}
    resolutions: dict[str, Resolved] = {}
    for conflict in held:
        if conflict.field is None:
            resolutions[conflict.key] = Resolved(deleted_on=conflict.deleted_on, keep=draw(st.booleans()))
            continue
        entry = chosen.setdefault(conflict.key, {"values": {}, "crm": {}, "source": {}})
        pick = draw(st.sampled_from([conflict.crm, conflict.source, "w", None]))
        entry["values"][conflict.field] = pick
        entry["crm"][conflict.field], entry["source"][conflict.field] = conflict.crm, conflict.source
    for key, entry in chosen.items():
        resolutions[key] = Resolved(entry["values"], entry["crm"], entry["source"])
    return resolutions


@settings(max_examples=150, deadline=None)
@given(history=histories(), deletes=delete_policies, data=st.data())
def test_resolving_every_held_conflict_converges_and_a_further_diff_plans_nothing(
    history: tuple[Records, Records, Records, dict[str, None], dict[str, None]],
    deletes: DeletePolicy,
    data: st.DataObject,
) -> None:
    base, crm, source, crm_deleted, source_deleted = history
    policy = DiffPolicy(conflicts=ConflictPolicy.MANUAL, deletes=deletes, allow_mass_delete=True)
    first = diff(base, state(crm, crm_deleted), state(source, source_deleted), policy)
    apply(first, base, crm, source)
    resolutions = data.draw(answers(first.held))

    second = diff(base, state(crm, crm_deleted), state(source, source_deleted), policy, resolutions)
    apply(second, base, crm, source)

    assert set(second.resolved) == set(resolutions) and second.stale == () and second.held == ()
    for key in crm.keys() & source.keys():
        assert crm[key] == source[key] == base[key]
    if deletes is not DeletePolicy.OFF:
        assert crm.keys() == source.keys() == base.keys()
    third = diff(base, state(crm), state(source), policy)
    assert third.changes == () and third.conflicts == ()


@given(base=records)
def test_reading_back_exactly_what_was_synced_is_an_echo_and_changes_nothing(base: Records) -> None:
    result = diff(base, state(base), state(base), DiffPolicy(deletes=DeletePolicy.HARD))
    assert result.changes == ()
    assert result.new_base == {}
    assert result.unchanged == len(base)


@given(
    vals=st.dictionaries(st.sampled_from(FIELDS), st.sampled_from([None, "x", "y"])),
    frozen=st.booleans(),
    direction=st.sampled_from(list(Direction)),
    conflicts=st.sampled_from(list(ConflictPolicy)),
)
def test_a_record_new_in_the_source_is_settled_as_by_the_full_merge(
    vals: dict[str, Canonical], frozen: bool, direction: Direction, conflicts: ConflictPolicy
) -> None:
    """The shortcut for a record only the source holds (never synced) decides what ``_settle`` does."""
    record = SideRecord(frozen_values(vals) if frozen else dict(vals))
    policy = DiffPolicy(direction, conflicts)
    fast, full = _created("k", record, policy), _settle("k", None, None, record, policy)
    assert (fast.changes, fast.conflicts, fast.rebase) == (full.changes, full.conflicts, full.rebase)
    if full.rebase:
        assert fast.new_base == full.new_base
    for change in fast.changes:  # what the diff hands out stays read-only
        assert isinstance(change.values, MappingProxyType)
