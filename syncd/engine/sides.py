"""Writing a diff's changes to each side: the source through its connector, the CRM through a plan.

Used by :mod:`syncd.engine.runner`; split out so each side's rules read on their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from syncd.config.model import PipelineLookup
from syncd.connector import Change as SourceChange
from syncd.connector import FieldType
from syncd.connector.checked import checked_write
from syncd.engine.apply import BatchOutcome, CrmWriter, Row
from syncd.engine.canonical import Canonical, to_json
from syncd.engine.deletes import CrmDeleter, DeleteOutcomes
from syncd.engine.keys import Joined
from syncd.engine.mapping import KEY_SEPARATOR
from syncd.engine.model import RECORD_FIELD, Action, Change, Conflict
from syncd.engine.plan import ID, BatchKind, Plan, plan_push
from syncd.engine.push import SourceRead
from syncd.engine.resolutions import record_conflict_values
from syncd.errors import RateLimitedError
from syncd.store.conflicts import NewConflict
from syncd.store.rejects import NewReject

if TYPE_CHECKING:
    from syncd.engine.runner import _Run


def source_changes(
    run: _Run, changes: Sequence[Change], joined: Joined, source: SourceRead
) -> list[SourceChange]:
    """The connector's form of changes aimed at the source: key fields and typed values."""
    reverse = _reverse_lookups(run, changes, joined)
    return [_source_change(run, change, joined, source, reverse) for change in changes]


def write_source(run: _Run, changes: Sequence[Change], wanted: Sequence[SourceChange]) -> set[str]:
    """Apply the changes aimed at the source (``wanted``: their :func:`source_changes`); returns the
    keys the connector refused."""
    counts = run.report.pull
    if run.dry_run or not changes:
        _tally(counts, changes)
        return set()
    outcomes = checked_write(run.connector, run.mapping.pipeline.stream, wanted)
    failed: set[str] = set()
    rejects = []
    for change, outcome in zip(changes, outcomes, strict=True):
        if outcome.ok:
            _tally(counts, [change])
        else:
            failed.add(change.key)
            rejects.append(NewReject(change.key, "pull", outcome.reason or "refused", False))
    counts.rejected += len(rejects)
    with run.runtime.store.transaction() as tx:
        tx.rejects.add(run.name, rejects)
    return failed


def _tally(counts: Any, changes: Sequence[Change]) -> None:
    for change in changes:
        if change.action is Action.CREATE:
            counts.created += 1
        elif change.action is Action.UPDATE:
            counts.updated += 1
        elif change.action is Action.DELETE:
            counts.deleted += 1


def _source_change(
    run: _Run, change: Change, joined: Joined, source: SourceRead, reverse: Mapping[str, Mapping[str, str]]
) -> SourceChange:
    key = _key_values(run, change.key)
    if change.action is Action.DELETE:
        return SourceChange.delete(key)
    current = source.values.get(change.key) or _values(joined, change.key)
    target = {**current, **change.values}
    return SourceChange.upsert(key, run.mapping.to_source(target, reverse))


def _values(joined: Joined, key: str) -> Mapping[str, Canonical]:
    record = joined.records.get(key)
    return record.values if record is not None else {}


def _key_values(run: _Run, key: str) -> dict[str, Any]:
    spec = run.mapping.stream
    types = {f.name: f.type for f in spec.fields}
    parts = key.split(KEY_SEPARATOR) if len(spec.key) > 1 else [key]
    return {
        name: int(part) if types.get(name) is FieldType.INTEGER else part
        for name, part in zip(spec.key, parts, strict=True)
    }


def _reverse_lookups(run: _Run, changes: Sequence[Change], joined: Joined) -> dict[str, dict[str, str]]:
    lookups = {n: s for n, s in run.mapping.pipeline.fields.items() if isinstance(s, PipelineLookup)}
    if not lookups:
        return {}
    with run.runtime.store.snapshot() as tx:
        return {
            spec.pipeline: tx.id_map.source_keys(
                spec.pipeline, [str(c.values[name]) for c in changes if c.values.get(name) is not None]
            )
            for name, spec in lookups.items()
        }


def crm_batches(
    run: _Run,
    changes: Sequence[Change],
    joined: Joined,
    source: SourceRead,
    bases: Mapping[str, Mapping[str, Canonical]],
) -> None:
    """Plan the CRM-bound changes within the credits left and run them through the journal."""
    if not changes:
        return
    by_id = _rekeyed(run, changes, joined)
    plan = _plan(run, changes, by_id)
    if run.dry_run:
        _tally(run.report.push, [c for batch in plan.batches for c in batch.changes])
        return
    writer = CrmWriter(run.runtime, run.mapping, run.run_id)
    deleter = CrmDeleter(run.runtime, run.mapping, run.run_id)
    for index, batch in enumerate(plan.batches):
        try:
            if batch.kind is BatchKind.REST_DELETE:
                outcome: BatchOutcome = deleter.run(batch)
            else:
                rows = [_row(run, c, joined, source, bases, by_id) for c in batch.changes]
                outcome = writer.run(batch, rows)
        except RateLimitedError as error:
            _defer(run, plan.batches[index:], f"Zoho refused more calls ({error}); the rest waits")
            return
        if outcome.deferred:
            _defer(run, [batch], "the credit ledger had no room for it when it came to run")
            continue
        _count_written(run, batch.changes, outcome.written, outcome.rejects, outcome.credits, outcome.jobs)
        if isinstance(outcome, DeleteOutcomes):
            count_deleted(run, outcome)
        run.complete = run.complete and not outcome.retry_later


def count_deleted(run: _Run, outcome: DeleteOutcomes) -> None:
    run.settled.update(outcome.deleted)
    run.report.push.deleted += len(outcome.deleted)
    if outcome.already_gone:
        run.report.notes.append(
            f"{len(outcome.already_gone)} CRM records to delete were gone already (state dropped)"
        )


def _rekeyed(run: _Run, changes: Sequence[Change], joined: Joined) -> dict[str, str]:
    """The CRM ids of known records whose ``find_by`` value changes: they are written by id, since
    an upsert by the new value would not find them and would create a second record."""
    find_by = run.mapping.pipeline.find_by
    keys = [c.key for c in changes if c.action is Action.UPDATE and find_by in c.values]
    if not keys or find_by == ID:
        return {}
    with run.runtime.store.snapshot() as tx:
        known = tx.id_map.crm_ids(run.name, keys)
    return {key: joined.ids.get(key) or known[key] for key in keys if key in joined.ids or key in known}


def _plan(run: _Run, changes: Sequence[Change], by_id: Mapping[str, str]) -> Plan:
    credits = run.runtime.config.credits
    left = run.runtime.store.credits.usage(run.runtime.org).available(
        limit=credits.daily_limit, reserve=credits.reserve
    )
    pipeline = run.mapping.pipeline
    plan = plan_push(
        changes,
        find_by=pipeline.find_by,
        costs=credits.costs.table(),
        credits_left=left,
        path=pipeline.path,
        by_id=by_id.keys(),
    )
    run.report.credits_left = left
    run.report.paths = [f"{b.kind} of {b.rows} rows for {b.cost} credits" for b in plan.batches]
    for item in plan.deferred:
        run.report.deferred.append(f"{item.batch.kind} of {item.batch.rows} rows: {item.reason}")
    if plan.deferred:
        run.complete = False
    return plan


def _defer(run: _Run, batches: Sequence[Any], reason: str) -> None:
    run.complete = False
    for batch in batches:
        run.report.deferred.append(f"{batch.kind} of {batch.rows} rows: {reason}")


def _row(
    run: _Run,
    change: Change,
    joined: Joined,
    source: SourceRead,
    bases: Mapping[str, Mapping[str, Canonical]],
    by_id: Mapping[str, str],
) -> Row:
    find_by = run.mapping.pipeline.find_by
    values = {**_values(joined, change.key), **change.values}
    if values.get(find_by) is None:
        values[find_by] = source.values.get(change.key, {}).get(find_by)
    if change.key in by_id:
        values[ID] = by_id[change.key]
    return Row(change.key, values, bases.get(change.key, {}))


def _count_written(
    run: _Run,
    changes: Sequence[Change],
    written: Mapping[str, str],
    rejects: Sequence[NewReject],
    credits: int,
    jobs: int,
) -> None:
    counts = run.report.push
    run.settled.update(written)
    _tally(counts, [change for change in changes if change.key in written])
    counts.rejected += len(rejects)
    counts.credits += credits
    counts.jobs += jobs


def held_conflicts(held: Sequence[Conflict], joined: Joined) -> list[NewConflict]:
    """The conflicts waiting for a person, one row per record with every held field."""
    fields: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: {"base": {}, "crm": {}, "source": {}})
    for conflict in held:
        entry = fields[conflict.key]
        if conflict.deleted_on is not None:
            for part, values in record_conflict_values(conflict.deleted_on).items():
                entry[part].update(values)
            continue
        name = conflict.field or RECORD_FIELD
        entry["base"][name] = to_json(conflict.base)
        entry["crm"][name] = to_json(conflict.crm)
        entry["source"][name] = to_json(conflict.source)
    return [
        NewConflict(key, entry["base"], entry["source"], entry["crm"], joined.ids.get(key))
        for key, entry in fields.items()
    ]
