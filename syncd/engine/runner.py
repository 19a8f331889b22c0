"""One run of one pipeline: read both sides, one diff, write to both sides, checkpoint.

::

    report = run_pipeline(runtime, "contacts", stop=threading.Event())

1. Finish batches an interrupted run left in the journal (:mod:`syncd.engine.apply`).
2. Read the CRM (:mod:`syncd.engine.pull`) and the source (:mod:`syncd.engine.push`), join the
   keys (:mod:`syncd.engine.keys`) and diff against the record state (:mod:`syncd.engine.diff`).
3. Write CRM-side changes to the source through the connector, then plan and run the source-side
   changes as CRM batches within the credits left (:mod:`syncd.engine.plan`).
4. Record the new sync state and, only when all the data they cover is written, the checkpoints.

With ``dry_run`` nothing is written anywhere and no write credits are spent: the report says what
would be created, updated and deleted on each side, the conflicts and the planned batches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from syncd.app import Runtime
from syncd.connector import Connector
from syncd.engine.apply import CrmWriter
from syncd.engine.canonical import Canonical, canonical_row, fingerprint, to_json
from syncd.engine.deletes import DELETE_OPERATION, CrmDeleter
from syncd.engine.diff import Diff, diff
from syncd.engine.keys import Joined, join_crm
from syncd.engine.mapping import FieldMapping
from syncd.engine.model import Action, Side, SideRecord, SideState, frozen_values
from syncd.engine.pull import CrmRead, read_crm, wants_full_snapshot
from syncd.engine.push import SourceRead, dump_cursor, parse_cursor, read_source, retry_rejects
from syncd.engine.report import Counts, PipelineReport
from syncd.engine.resolutions import Answers, close_resolutions, load_resolutions
from syncd.engine.sides import count_deleted, crm_batches, held_conflicts, write_source
from syncd.errors import ConfigError, SyncdError
from syncd.store.checkpoints import Direction
from syncd.store.records import TABLE as RECORDS
from syncd.store.records import SyncedRecord
from syncd.store.runs import Outcome

log = logging.getLogger(__name__)
Progress = Callable[[str, int], None]


@dataclass
class _Run:
    runtime: Runtime
    name: str
    mapping: FieldMapping
    connector: Connector[Any]
    report: PipelineReport
    dry_run: bool
    allow_mass_delete: bool
    progress: Progress | None
    run_id: int | None = None
    complete: bool = True  # every change of this run was carried out, so checkpoints may advance
    settled: set[str] = field(default_factory=set)  # keys whose record state the writers stored
    resolutions: Answers = field(default_factory=Answers)  # RESOLUTIONS: resolved conflicts to apply


def run_pipeline(
    runtime: Runtime,
    name: str,
    *,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
    allow_mass_delete: bool = False,
) -> PipelineReport:
    """Run pipeline ``name`` once; errors end up in the report (``report.error``), never lost."""
    started = time.monotonic()
    report = PipelineReport(name, dry_run=dry_run)
    pipeline = runtime.config.pipelines.get(name)
    if pipeline is None:
        raise ConfigError(f"no pipeline named {name!r} (configured: {', '.join(runtime.config.pipelines)})")
    with runtime.connector(pipeline.connector) as connector:
        mapping = FieldMapping(
            name, pipeline, connector.stream(pipeline.stream), runtime.zoho.fields.fields(pipeline.module)
        )
        run = _Run(runtime, name, mapping, connector, report, dry_run, allow_mass_delete, progress)
        try:
            _execute(run, stop)
        except SyncdError as error:
            log.error("pipeline %s failed: %s", name, error)
            report.error = str(error)
        finally:
            report.seconds = time.monotonic() - started
            _finish(run)
    runtime.plugins.run_finished(pipeline=name, report=report)
    return report


def _execute(run: _Run, stop: threading.Event | None) -> None:
    if not run.dry_run:
        with run.runtime.store.transaction() as tx:
            run.run_id = tx.runs.start(run.name).id
        _resume(run)
    if stop is not None and stop.is_set():
        run.report.notes.append("stopped before reading")
        return
    with run.runtime.store.snapshot() as tx:
        pull_point = tx.checkpoints.get(run.name, Direction.PULL)
        push_point = tx.checkpoints.get(run.name, Direction.PUSH)
    now = run.runtime.clock()
    full = wants_full_snapshot(pull_point, run.mapping.pipeline.full_snapshot_every, now)
    run.report.full_snapshot = full
    crm = read_crm(run.runtime.zoho, run.mapping, pull_point, full=full, progress=run.progress)
    _book_reads(run, crm)
    source = read_source(
        run.connector, run.mapping, run.runtime.store, parse_cursor(push_point.cursor), run.progress
    )
    if not run.dry_run:
        retry_rejects(run.runtime.store, run.mapping, source)
    run.report.push.read, run.report.pull.read = source.rows, len(crm.rows)
    joined, result = _diff(run, crm, source)
    _carry_out(run, joined, crm, source, result, stop)
    if not run.dry_run and run.complete:
        _checkpoint(run, crm, source, full, now)


def _resume(run: _Run) -> None:
    writer = CrmWriter(run.runtime, run.mapping, run.run_id)
    deleter = CrmDeleter(run.runtime, run.mapping, run.run_id)
    with run.runtime.store.snapshot() as tx:
        unfinished = tx.journal.unfinished(run.name)
    for entry in unfinished:
        log.info("pipeline %s: resuming batch %d at step %s", run.name, entry.id, entry.step)
        if entry.operation == DELETE_OPERATION:
            count_deleted(run, deleter.resume(entry))
            continue
        outcome = writer.resume(entry)
        run.report.push.updated += len(outcome.written)
        run.report.push.rejected += len(outcome.rejects)
        if entry.job_id:
            run.report.notes.append(
                f"re-attached to bulk write job {entry.job_id} left by an interrupted run"
            )


def _book_reads(run: _Run, crm: CrmRead) -> None:
    cost = run.runtime.config.credits.costs.table().bulk_reads(crm.pages)
    if cost:
        run.runtime.store.credits.spend(run.runtime.org, cost, f"bulk read {run.name} ({crm.pages} pages)")
        run.report.pull.credits += cost


def _diff(run: _Run, crm: CrmRead, source: SourceRead) -> tuple[Joined, Diff]:
    with run.runtime.store.snapshot() as tx:
        known = tx.id_map.source_keys(run.name, list(crm.rows) + list(crm.deleted_ids))
        joined = join_crm(crm.rows, known, source.values, run.mapping)
        keys = set(source.values) | set(joined.records) | source.tombstones
        run.resolutions = load_resolutions(tx, run.name, run.mapping.metas)  # RESOLUTIONS
        keys |= set(run.resolutions.chosen)  # RESOLUTIONS: their base is needed even if neither side was read
        if crm.complete:
            keys |= set(
                tx.connection.execute(
                    RECORDS.select()
                    .with_only_columns(RECORDS.c.source_key)
                    .where(RECORDS.c.pipeline == run.name)
                ).scalars()
            )
        stored = tx.records.get(run.name, sorted(keys))
    base = {key: canonical_row(record.values, run.mapping.metas) for key, record in stored.items()}
    crm_side = SideState(
        joined.records,
        complete=crm.complete,
        deleted={known[i]: when for i, when in crm.deleted_ids.items() if i in known},
    )
    source_side = SideState(
        {
            key: SideRecord(frozen_values(values), source.modified.get(key))
            for key, values in source.values.items()
        },
        deleted=dict.fromkeys(source.tombstones),
    )
    policy = run.mapping.pipeline.diff_policy(allow_mass_delete=run.allow_mass_delete)
    result = diff(base, crm_side, source_side, policy, resolutions=run.resolutions.chosen)  # RESOLUTIONS
    for unplaced, why in joined.unplaced.items():
        run.report.notes.append(f"CRM record {unplaced} is not synced to the source: {why}")
    for blocked in result.blocked:
        run.report.notes.append(str(blocked))
        run.report.error = run.report.error or str(blocked)
        run.complete = False  # keep the checkpoints, so the withheld deletes are seen again
    return joined, result


def _carry_out(
    run: _Run, joined: Joined, crm: CrmRead, source: SourceRead, result: Diff, stop: threading.Event | None
) -> None:
    report = run.report
    _count(report, result)
    if result.held:
        report.notes.append(
            f"{len({c.key for c in result.held})} records hold conflicts for `syncd conflicts`"
        )
    if source.rejects and not run.dry_run:
        with run.runtime.store.transaction() as tx:
            tx.rejects.add(run.name, source.rejects)
    report.push.rejected += len(source.rejects)
    bases = _bases_of(run, source, joined, result)
    failed_source = write_source(run, joined, source, bases, result)
    if stop is not None and stop.is_set():
        run.complete = False
        report.notes.append("stopped before writing to the CRM; the next run carries on")
    else:
        crm_batches(run, joined, source, bases, result)
    if not run.dry_run:
        _settle_records(run, joined, result, failed_source)
    close_resolutions(run, result, failed_source)  # RESOLUTIONS: after the writes; notes only on a dry run


def _count(report: PipelineReport, result: Diff) -> None:
    # Deletes are counted as they are carried out (:mod:`syncd.engine.sides`).
    report.push.conflicts = report.pull.conflicts = len({c.key for c in result.conflicts})
    report.push.unchanged = report.pull.unchanged = result.unchanged


def _bases_of(
    run: _Run, source: SourceRead, joined: Joined, result: Diff
) -> dict[str, Mapping[str, Canonical]]:
    return {key: values for key, values in result.new_base.items() if values is not None}


def _settle_records(run: _Run, joined: Joined, result: Diff, failed: set[str]) -> None:
    """Store the sync state of keys the diff rebased without a CRM write (those the writer stored)."""
    changed_crm = {c.key for c in result.changes if c.target is Side.CRM}
    records, forget = [], []
    for key, values in result.new_base.items():
        if key in failed or key in changed_crm:
            continue
        if values is None:
            forget.append(key)
            continue
        stored = {name: to_json(value) for name, value in values.items()}
        records.append(SyncedRecord(key, stored, fingerprint(values)))
    deleted_crm = {c.key for c in result.to(Side.CRM) if c.action is Action.DELETE}
    ids = {key: crm_id for key, crm_id in joined.ids.items() if key not in failed | deleted_crm}
    with run.runtime.store.transaction() as tx:
        tx.id_map.upsert(run.name, ids)
        tx.records.upsert(run.name, records)
        tx.records.delete(run.name, forget)
        tx.id_map.delete(run.name, [key for key in forget if key not in ids])
        tx.conflicts.add(run.name, held_conflicts(result, joined))


def _checkpoint(run: _Run, crm: CrmRead, source: SourceRead, full: bool, now: Any) -> None:
    with run.runtime.store.transaction() as tx:
        pull = tx.checkpoints.get(run.name, Direction.PULL)
        changes: dict[str, Any] = {}
        if crm.newest is not None:
            changes["cursor"] = crm.newest.isoformat()
        elif pull.cursor is None:
            changes["cursor"] = now.isoformat()
        if full:
            changes["last_full_snapshot_at"] = now
        tx.checkpoints.update(run.name, Direction.PULL, **changes)
        tx.checkpoints.update(run.name, Direction.PUSH, cursor=dump_cursor(source.cursor))


def _finish(run: _Run) -> None:
    if run.dry_run or run.run_id is None:
        return
    report = run.report
    outcome = (
        Outcome.FAILED
        if report.error
        else Outcome.PARTIAL
        if report.deferred or report.rejected
        else Outcome.SUCCEEDED
    )
    counts = {f"{d}_{k}": v for d in ("push", "pull") for k, v in vars(getattr(report, d)).items()}
    with run.runtime.store.transaction() as tx:
        tx.runs.finish(run.run_id, outcome, counts=counts, credits=report.credits, error=report.error)


__all__ = ["Counts", "PipelineReport", "run_pipeline"]
