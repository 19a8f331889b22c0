"""Resolved conflicts in a run: the operator's answers into the diff, and closed once carried out.

::

    answers = load_resolutions(tx, pipeline, mapping.metas)       # before the diff
    diff(base, crm, source, policy, resolutions=answers.chosen)   # per chunk: its keys' answers
    ...                                                           # both sides written
    close_resolutions(run, answers, resolved, stale, ...)         # after the writes

A resolution is closed ``applied`` only when every write it needed succeeded: the source write was
not refused and the CRM write (if any) came back written. Otherwise it stays pending and the next
run tries again; a side already holding the chosen value is then not written twice. A resolution
the diff found stale is closed ``stale`` with the reason, and the run notes it; under ``manual``
the conflict is held again with the sides' new values, for a fresh answer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from syncd.engine.canonical import CanonicalError, canonical_row
from syncd.engine.model import RECORD_FIELD, Resolved, Side, StaleResolution, frozen_values
from syncd.store.api import Transaction
from syncd.store.conflicts import Closing, Conflict, Resolution
from syncd.zoho.fields import FieldMeta

if TYPE_CHECKING:
    from syncd.engine.runner import _Run

DELETED = "deleted"  # what a record-level conflict records for the side that deleted the record
EDITED = "edited"  # and for the side that kept (and edited) it


@dataclass
class Answers:
    """The pending resolutions of one pipeline: the diff's input, and the conflict rows behind it."""

    chosen: dict[str, Resolved] = field(default_factory=dict)
    ids: dict[str, list[int]] = field(default_factory=dict)
    unusable: dict[int, str] = field(default_factory=dict)  # conflict id -> why it cannot be applied


def load_resolutions(tx: Transaction, pipeline: str, metas: Mapping[str, FieldMeta]) -> Answers:
    """The resolved conflicts of ``pipeline`` no run has closed yet, as the diff takes them."""
    answers = Answers()
    for conflict in tx.conflicts.pending(pipeline):
        try:
            resolved = resolved_of(conflict, metas)
        except CanonicalError as error:
            answers.unusable[conflict.id] = f"conflict {conflict.id}: {error.problem}"
            continue
        earlier = answers.chosen.get(conflict.key)
        if earlier is not None and earlier.deleted_on is None and resolved.deleted_on is None:
            resolved = _combined(earlier, resolved)  # two answers for one record: the later one wins a field
        answers.chosen[conflict.key] = resolved
        answers.ids.setdefault(conflict.key, []).append(conflict.id)
    return answers


def resolved_of(conflict: Conflict, metas: Mapping[str, FieldMeta]) -> Resolved:
    """A stored, resolved conflict as the diff's :class:`~syncd.engine.model.Resolved`."""
    if RECORD_FIELD in conflict.crm:
        deleted_on = Side.CRM if conflict.crm[RECORD_FIELD] == DELETED else Side.SOURCE
        keep = conflict.resolution != Resolution(deleted_on.value)  # taking the deleting side deletes
        return Resolved(deleted_on=deleted_on, keep=keep)
    chosen = conflict.winning_values()
    assert chosen is not None, "only resolved conflicts are pending"
    return Resolved(
        frozen_values(canonical_row(chosen, metas)),
        frozen_values(canonical_row(conflict.crm, metas)),
        frozen_values(canonical_row(conflict.source, metas)),
    )


def _combined(earlier: Resolved, later: Resolved) -> Resolved:
    return Resolved(
        frozen_values({**earlier.values, **later.values}),
        frozen_values({**earlier.crm, **later.crm}),
        frozen_values({**earlier.source, **later.source}),
    )


def close_resolutions(
    run: _Run,
    answers: Answers,
    resolved: Collection[str],
    stale: Sequence[StaleResolution],
    *,
    crm_bound: Collection[str],
    not_done: Collection[str],
) -> None:
    """Note what became of the resolutions and, unless a dry run, close those the run settled.

    Call after both sides were written: ``resolved`` and ``stale`` are what the run's diffs said,
    ``crm_bound`` the keys with a CRM write (applied only if the writer wrote them, ``run.settled``)
    and ``not_done`` the keys whose source write was refused or whose delete was withheld.
    """
    applied = [
        key for key in resolved if key not in not_done and (key not in crm_bound or key in run.settled)
    ]
    notes = run.report.notes
    if run.dry_run and resolved:
        notes.append(f"would apply {len(resolved)} conflict resolutions")
    elif applied:
        notes.append(f"applied {len(applied)} conflict resolutions")
    if not run.dry_run and len(applied) < len(resolved):
        waiting = len(resolved) - len(applied)
        notes.append(
            f"{waiting} conflict resolutions wait for writes that did not succeed; the next run retries"
        )
    notes.extend(str(item) for item in stale)
    notes.extend(f"{why}; resolve it again" for why in answers.unusable.values())
    if run.dry_run:
        return
    with run.runtime.store.transaction() as tx:
        tx.conflicts.close([i for key in applied for i in answers.ids[key]], Closing.APPLIED)
        for item in stale:
            tx.conflicts.close(answers.ids[item.key], Closing.STALE, item.reason)
        for conflict_id, why in answers.unusable.items():
            tx.conflicts.close([conflict_id], Closing.STALE, why)


def record_conflict_values(deleted_on: Side) -> dict[str, dict[str, Any]]:
    """What a held record-level conflict stores: base, crm and source under :data:`RECORD_FIELD`."""
    return {
        "base": {RECORD_FIELD: None},
        deleted_on.value: {RECORD_FIELD: DELETED},
        deleted_on.other.value: {RECORD_FIELD: EDITED},
    }
