"""Three-way merge of one record, field by field, against the last-synced values.

A field that one side changed since the last sync takes that side's value; a field both sides
changed to the same value is settled; a field both changed differently is a conflict and follows
the pipeline's policy. A side equal to the base has not changed — which is how syncd's own writes,
read back on the next run, are recognised as echoes and not as edits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from syncd.engine.canonical import Canonical
from syncd.engine.model import Conflict, ConflictPolicy, Side, SideRecord, Values, frozen_values


@dataclass(frozen=True)
class Merged:
    """The merge of one record: the agreed values, the conflicts met, and the fields held back."""

    values: Values
    conflicts: tuple[Conflict, ...]
    held: frozenset[str]


def merge_record(
    key: str,
    base: Mapping[str, Canonical],
    crm: SideRecord,
    source: SideRecord,
    policy: ConflictPolicy,
) -> Merged:
    """Merge ``crm`` and ``source`` against ``base``; held (manual) fields keep the base value."""
    values: dict[str, Canonical] = {}
    conflicts: list[Conflict] = []
    for name in sorted({*base, *crm.values, *source.values}):
        old, ours, theirs = base.get(name), crm.values.get(name), source.values.get(name)
        if ours == theirs or theirs == old:
            values[name] = ours
        elif ours == old:
            values[name] = theirs
        else:
            winner = pick_winner(policy, crm.modified, source.modified)
            conflicts.append(Conflict(key, name, old, ours, theirs, policy, winner))
            values[name] = old if winner is None else (ours if winner is Side.CRM else theirs)
    held = frozenset(c.field for c in conflicts if c.winner is None and c.field is not None)
    return Merged(frozen_values(values), tuple(conflicts), held)


def pin(merged: Merged, chosen: Mapping[str, Canonical]) -> Merged:
    """``merged`` with the ``chosen`` fields settled to the given values: no longer conflicts, nor held."""
    conflicts = tuple(c for c in merged.conflicts if c.field not in chosen)
    return replace(
        merged,
        values=frozen_values({**merged.values, **chosen}),
        conflicts=conflicts,
        held=merged.held - set(chosen),
    )


def pick_winner(
    policy: ConflictPolicy, crm_time: datetime | None, source_time: datetime | None
) -> Side | None:
    """The side a conflict goes to under ``policy``; None means a person decides.

    ``newest_wins`` compares the two sides' modification times; a side without one counts as
    older, and a tie goes to the CRM, where people edit records by hand.
    """
    if policy is ConflictPolicy.CRM_WINS:
        return Side.CRM
    if policy is ConflictPolicy.SOURCE_WINS:
        return Side.SOURCE
    if policy is ConflictPolicy.MANUAL:
        return None
    if source_time is None:
        return Side.CRM
    if crm_time is None:
        return Side.SOURCE
    return Side.SOURCE if source_time > crm_time else Side.CRM


def changed_fields(current: Mapping[str, Canonical], target: Mapping[str, Canonical]) -> dict[str, Canonical]:
    """The fields to write so that a record holding ``current`` holds ``target``."""
    names = {*current, *target}
    return {name: target.get(name) for name in sorted(names) if current.get(name) != target.get(name)}


def present(values: Mapping[str, Canonical]) -> dict[str, Canonical]:
    """``values`` without its empty fields: empty and absent mean the same."""
    return {name: value for name, value in values.items() if value is not None}
