"""The diff: from the last-synced values and what both sides hold now, the changes each side needs.

Pure: plain values in, plain values out. The caller joins both sides on one key space (the
source's keys; the ID map turns CRM ids into them, and a record only the CRM knows goes under a
key of the caller's choosing) and canonicalises every value (:mod:`syncd.engine.canonical`).

Per record:

* **Echoes.** A side whose values equal the base has not changed. syncd's own writes, read back,
  are therefore not changes, and a second diff over unchanged data yields nothing.
* **Merge.** Fields changed on one side go to the other; a field changed on both sides is a
  :class:`~syncd.engine.model.Conflict` settled by the policy (:mod:`syncd.engine.merge`).
* **Deletes** are off by default. A CRM delete is believed only when the full snapshot lacks the
  record *and* the deleted-records API confirms it; a source delete only when the connector reports
  a tombstone. A record deleted on one side and edited on the other is a record-level conflict.
  With deletes off a deleted record is left alone, unless the other side edits it: then the edit
  recreates it, as an upsert would.
* **Resolutions.** A conflict an operator resolved (:class:`~syncd.engine.model.Resolved`) is
  settled to the chosen values (or, for an edit against a delete, the record kept or deleted)
  instead of being held again; the rest of the record merges as usual. A side the run did not read
  is taken to hold what it held when the conflict was held. A resolution is *stale* when a side has
  changed a resolved field again since (to anything but the chosen value), when the record was
  deleted or came back since, or when the pipeline may not write where the answer needs writing:
  it is then left out (:attr:`Diff.stale`) and the policy decides, which under ``manual`` holds the
  conflict again for a fresh answer.
* **Mass-delete brake.** If the deletes aimed at one side exceed ``max_delete_share`` of the
  records synced, they are all withheld and :attr:`Diff.blocked` says so, unless allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import NamedTuple

from syncd.engine.canonical import Canonical
from syncd.engine.merge import changed_fields, merge_record, pick_winner, pin, present
from syncd.engine.model import (
    Action,
    Change,
    Conflict,
    ConflictPolicy,
    DeletePolicy,
    Direction,
    MassDeleteBlocked,
    Resolved,
    Side,
    SideRecord,
    SideState,
    StaleResolution,
    Values,
    frozen_values,
)


@dataclass(frozen=True)
class DiffPolicy:
    """The parts of a pipeline's configuration the diff obeys."""

    direction: Direction = Direction.BOTH
    conflicts: ConflictPolicy = ConflictPolicy.NEWEST_WINS
    deletes: DeletePolicy = DeletePolicy.OFF
    max_delete_share: float = 0.1
    allow_mass_delete: bool = False

    def writes(self, side: Side) -> bool:
        return self.direction is Direction.BOTH or (side is Side.CRM) == (self.direction is Direction.PUSH)


@dataclass(frozen=True)
class Diff:
    """What a run should do.

    ``new_base`` holds the sync state each touched key should have once ``changes`` are applied
    (None: forget the key). ``unconfirmed_deletes`` lists records a full snapshot lacks without the
    second signal; they are left alone. ``blocked`` names the sides whose deletes were withheld.
    ``resolved`` lists the keys whose resolution ``changes`` carry out; ``stale`` the resolutions
    left out, with the reason.
    """

    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]
    new_base: Mapping[str, Values | None]
    unchanged: int
    unconfirmed_deletes: tuple[tuple[Side, str], ...] = ()
    blocked: tuple[MassDeleteBlocked, ...] = ()
    resolved: tuple[str, ...] = ()
    stale: tuple[StaleResolution, ...] = ()

    def to(self, side: Side) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.target is side)

    @property
    def held(self) -> tuple[Conflict, ...]:
        """Conflicts waiting for a person (policy ``manual``)."""
        return tuple(conflict for conflict in self.conflicts if conflict.winner is None)


@dataclass(frozen=True)
class _Gone:
    """The side confirmed the record deleted (at ``when``, if it said)."""

    when: datetime | None


class _Outcome(NamedTuple):  # a tuple: one is made per key, so it must be cheap
    changes: tuple[Change, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    new_base: Values | None = None
    rebase: bool = False  # whether new_base replaces the stored state


_NOTHING = _Outcome()
_new_outcome = tuple.__new__  # an _Outcome from its four fields in order, without the Python-level __new__


_View = SideRecord | _Gone | None  # None: the side has no record under this key


def diff(
    base: Mapping[str, Mapping[str, Canonical]],
    crm: SideState,
    source: SideState,
    policy: DiffPolicy,
    resolutions: Mapping[str, Resolved] | None = None,
) -> Diff:
    """Compare both sides with the last-synced ``base`` (key -> canonical values).

    ``resolutions`` holds the operator's answers to held conflicts, by key.
    """
    answers = resolutions or {}
    outcomes: dict[str, _Outcome] = {}
    unconfirmed: list[tuple[Side, str]] = []
    resolved: list[str] = []
    stale: list[StaleResolution] = []
    for key in sorted({*base, *crm.records, *source.records, *answers}):
        old = base.get(key)
        fresh = old is None and key not in crm.records and key not in answers
        new = source.records.get(key) if fresh else None
        if new is not None:  # new in the source: the common case of a push
            outcomes[key] = _created(key, new, policy)
            continue
        views = _view(crm, Side.CRM, key, old, unconfirmed), _view(source, Side.SOURCE, key, old, unconfirmed)
        answer = answers.get(key)
        if answer is None:
            outcomes[key] = _decide(key, old, *views, policy)
            continue
        views = (
            _last_known(crm, Side.CRM, key, old, views[0], answer),
            _last_known(source, Side.SOURCE, key, old, views[1], answer),
        )
        settled = _resolve(key, old, *views, answer, policy)
        if isinstance(settled, _Outcome):
            outcomes[key] = settled
            resolved.append(key)
        else:
            stale.append(StaleResolution(key, settled))
            outcomes[key] = _decide(key, old, *views, policy)
    braked, blocked = _apply_brake(outcomes, len(base), policy)
    carried = tuple(key for key in resolved if braked[key] is outcomes[key])  # the brake withheld none
    return _collect(braked, tuple(unconfirmed), blocked, carried, tuple(stale))


def _created(key: str, source: SideRecord, policy: DiffPolicy) -> _Outcome:
    """A record only the source holds and that was never synced: what :func:`_settle` decides for
    it (a create on the CRM side, whose values become the base), without the three-way merge."""
    if not policy.writes(Side.CRM):
        return _NOTHING
    values = source.values
    if type(values) is not MappingProxyType or None in values.values():  # a read-only copy is shared
        values = frozen_values(present(values))
    return _new_outcome(_Outcome, ((Change(key, Side.CRM, Action.CREATE, values),), (), values, True))


def _view(
    state: SideState, side: Side, key: str, base: Values | None, unconfirmed: list[tuple[Side, str]]
) -> _View:
    record = state.records.get(key)
    if record is not None:
        return record
    if base is None:
        return None
    snapshot_lacks = state.complete or side is Side.SOURCE
    if snapshot_lacks and key in state.deleted:
        return _Gone(state.deleted[key])
    if state.complete:
        unconfirmed.append((side, key))
    return SideRecord(base)  # not seen, or missing without confirmation: unchanged since the last sync


def _last_known(
    state: SideState, side: Side, key: str, base: Values | None, view: _View, answer: Resolved
) -> _View:
    """A side this run did not read still holds what it held when the conflict was held."""
    if key in state.records or isinstance(view, _Gone):
        return view
    if answer.deleted_on is side:
        return _Gone(None)
    return SideRecord(frozen_values({**(base or {}), **answer.held_on(side)}))


def _resolve(
    key: str, base: Values | None, crm: _View, source: _View, answer: Resolved, policy: DiffPolicy
) -> _Outcome | str:
    """Carry out an operator's answer, or say why it is stale."""
    if answer.deleted_on is not None:
        return _resolve_record(key, base, crm, source, answer, policy)
    if not isinstance(crm, SideRecord) or not isinstance(source, SideRecord):
        return "the record was deleted since"
    for name, chosen in sorted(answer.values.items()):
        for side, record in ((Side.CRM, crm), (Side.SOURCE, source)):
            now = record.values.get(name)
            if now not in (answer.held_on(side).get(name), chosen):
                return f"the {_named(side)} changed {name} again"
            if now != chosen and not policy.writes(side):
                return f"the pipeline does not write to the {_named(side)}"
    settled = _settle(key, base, crm, source, policy, pinned=answer.values)
    # Stored even when it equals the old base (the answer was the last-synced value): the writers
    # record the new base of every key they write.
    return settled if settled.new_base is None else settled._replace(rebase=True)


def _resolve_record(
    key: str, base: Values | None, crm: _View, source: _View, answer: Resolved, policy: DiffPolicy
) -> _Outcome | str:
    """Keep a record deleted on one side and edited on the other (recreate it), or delete it."""
    gone_side = answer.deleted_on
    assert gone_side is not None
    gone, alive = (crm, source) if gone_side is Side.CRM else (source, crm)
    if isinstance(gone, SideRecord):
        return f"the record is back on the {_named(gone_side)}"
    if not isinstance(alive, SideRecord):
        return _Outcome(rebase=True) if not answer.keep else "the record was deleted on both sides"
    target = gone_side if answer.keep else gone_side.other
    if not policy.writes(target):
        return f"the pipeline does not write to the {_named(target)}"
    if not answer.keep:
        if policy.deletes is DeletePolicy.OFF:
            return "deletes are off now"
        return _delete(key, target, policy)
    values = frozen_values(present(alive.values))
    return _Outcome((Change(key, target, Action.CREATE, values),), new_base=values, rebase=True)


def _named(side: Side) -> str:
    return "CRM" if side is Side.CRM else "source"


def _decide(key: str, base: Values | None, crm: _View, source: _View, policy: DiffPolicy) -> _Outcome:
    if isinstance(crm, _Gone) and isinstance(source, _Gone):
        return _Outcome(rebase=True)
    if isinstance(crm, _Gone) or isinstance(source, _Gone):
        assert base is not None
        return _one_deleted(key, base, crm, source, policy)
    return _settle(key, base, crm, source, policy)


def _settle(
    key: str,
    stored: Values | None,
    crm: SideRecord | None,
    source: SideRecord | None,
    policy: DiffPolicy,
    pinned: Mapping[str, Canonical] | None = None,
) -> _Outcome:
    """Merge two live (or one live and one absent) records and write the result where allowed.

    ``pinned`` fields (an operator's answer) take the given values whatever the merge says.
    """
    if (crm is None and source is None) or _echo(stored, crm, source):
        return _Outcome()
    base = stored or {}
    merged = merge_record(key, base, crm or SideRecord(base), source or SideRecord(base), policy.conflicts)
    if pinned:
        merged = pin(merged, pinned)
    changes: list[Change] = []
    after: dict[Side, Mapping[str, Canonical]] = {}
    held_by_both = crm is not None and source is not None
    for side, record in ((Side.CRM, crm), (Side.SOURCE, source)):
        current = record.values if record is not None else base
        target = {**merged.values, **{name: current.get(name) for name in merged.held}}
        to_write = changed_fields(current, target)
        new_here = record is None and stored is None  # even an empty new record is created
        if policy.writes(side) and (to_write or new_here):
            after[side] = target
            changes.append(_write(key, side, record is not None, to_write, target))
            held_by_both = held_by_both or new_here
        else:
            after[side] = current
    new_base = _agreed(base, after[Side.CRM], after[Side.SOURCE])
    # A record only one side holds, and that syncd did not copy over, has no sync state yet.
    rebase = held_by_both if stored is None else new_base != present(base)
    return _Outcome(tuple(changes), merged.conflicts, frozen_values(new_base), rebase)


def _echo(stored: Values | None, crm: SideRecord | None, source: SideRecord | None) -> bool:
    """Both sides still hold what was last synced (the common case, so it is checked first)."""
    if stored is None or crm is None or source is None:
        return False
    return present(crm.values) == present(stored) == present(source.values)


def _write(key: str, side: Side, exists: bool, to_write: Mapping[str, Canonical], target: Values) -> Change:
    if exists:
        return Change(key, side, Action.UPDATE, frozen_values(to_write))
    return Change(key, side, Action.CREATE, frozen_values(present(target)))


def _agreed(
    base: Mapping[str, Canonical], crm: Mapping[str, Canonical], source: Mapping[str, Canonical]
) -> dict[str, Canonical]:
    """Fields both sides will hold alike become the new base; others keep the old base value."""
    names = {*base, *crm, *source}
    agreed = {name: crm.get(name) if crm.get(name) == source.get(name) else base.get(name) for name in names}
    return present(agreed)


def _one_deleted(key: str, base: Values, crm: _View, source: _View, policy: DiffPolicy) -> _Outcome:
    gone_side = Side.CRM if isinstance(crm, _Gone) else Side.SOURCE
    gone, alive = (crm, source) if gone_side is Side.CRM else (source, crm)
    assert isinstance(gone, _Gone) and isinstance(alive, SideRecord)
    if policy.deletes is DeletePolicy.OFF:
        # Leave the delete where it happened; an edit on the other side recreates the record.
        crm_record, source_record = _absent_on(gone_side, alive)
        return _settle(key, base, crm_record, source_record, policy)
    if present(alive.values) == present(base):
        return _delete(key, gone_side.other, policy)
    return _edit_against_delete(key, base, gone_side, gone, alive, policy)


def _absent_on(gone_side: Side, alive: SideRecord) -> tuple[SideRecord | None, SideRecord | None]:
    # A deleted side takes part in the merge as an absent record that still held the base values.
    return (None, alive) if gone_side is Side.CRM else (alive, None)


def _delete(key: str, target: Side, policy: DiffPolicy) -> _Outcome:
    if not policy.writes(target):
        return _Outcome()
    return _Outcome((Change(key, target, Action.DELETE, delete_mode=policy.deletes),), rebase=True)


def _edit_against_delete(
    key: str, base: Values, gone_side: Side, gone: _Gone, alive: SideRecord, policy: DiffPolicy
) -> _Outcome:
    times = (gone.when, alive.modified) if gone_side is Side.CRM else (alive.modified, gone.when)
    winner = pick_winner(policy.conflicts, *times)
    conflict = Conflict(key, None, None, None, None, policy.conflicts, winner, deleted_on=gone_side)
    if winner is None:
        return _Outcome(conflicts=(conflict,))
    if winner is gone_side:
        deleted = _delete(key, gone_side.other, policy)
        return _Outcome(deleted.changes, (conflict,), rebase=deleted.rebase)
    if not policy.writes(gone_side):
        return _Outcome(conflicts=(conflict,))
    values = frozen_values(present(alive.values))
    recreate = Change(key, gone_side, Action.CREATE, values)
    return _Outcome((recreate,), (conflict,), values, rebase=True)


def _apply_brake(
    outcomes: dict[str, _Outcome], total: int, policy: DiffPolicy
) -> tuple[dict[str, _Outcome], tuple[MassDeleteBlocked, ...]]:
    deletes = [c for outcome in outcomes.values() for c in outcome.changes if c.action is Action.DELETE]
    blocked = mass_delete_check(deletes, total, policy)
    withheld = {brake.target for brake in blocked}
    if withheld:
        outcomes = {
            key: _NOTHING if any(c.action is Action.DELETE and c.target in withheld for c in o.changes) else o
            for key, o in outcomes.items()
        }
    return outcomes, blocked


def mass_delete_check(
    deletes: Sequence[Change], total: int, policy: DiffPolicy
) -> tuple[MassDeleteBlocked, ...]:
    """The sides whose share of ``deletes`` (of ``total`` records synced) the brake withholds."""
    blocked = []
    for side in Side:
        count = sum(1 for change in deletes if change.action is Action.DELETE and change.target is side)
        if count and not policy.allow_mass_delete and count > policy.max_delete_share * total:
            blocked.append(MassDeleteBlocked(side, count, total, policy.max_delete_share))
    return tuple(blocked)


def _collect(
    outcomes: Mapping[str, _Outcome],
    unconfirmed: tuple[tuple[Side, str], ...],
    blocked: tuple[MassDeleteBlocked, ...],
    resolved: tuple[str, ...],
    stale: tuple[StaleResolution, ...],
) -> Diff:
    changes: list[Change] = []
    conflicts: list[Conflict] = []
    new_base: dict[str, Values | None] = {}
    unchanged = 0
    for key, outcome in outcomes.items():
        changes += outcome.changes
        conflicts += outcome.conflicts
        if outcome.rebase:
            new_base[key] = outcome.new_base
        elif not (outcome.changes or outcome.conflicts):
            unchanged += 1
    return Diff(tuple(changes), tuple(conflicts), new_base, unchanged, unconfirmed, blocked, resolved, stale)
