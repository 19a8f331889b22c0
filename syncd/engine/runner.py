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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from syncd.app import Runtime
from syncd.connector import Connector, Cursor
from syncd.engine.apply import CrmWriter
from syncd.engine.deletes import DELETE_OPERATION, CrmDeleter
from syncd.engine.mapping import FieldMapping
from syncd.engine.pull import CrmRead, read_crm, start_crm_read, wants_full_snapshot
from syncd.engine.push import SourceRead, dump_cursor, parse_cursor, read_source, retry_rejects
from syncd.engine.report import Counts, PipelineReport
from syncd.engine.sides import count_deleted
from syncd.engine.walk import Stopped, Walk
from syncd.errors import ConfigError, RetriableError, SyncdError
from syncd.store.checkpoints import Direction
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
        try:
            metas = runtime.zoho.fields.fields(pipeline.module)
        except RetriableError as error:  # Zoho out of reach for now: a failed run, not a crash
            log.error("pipeline %s failed: %s", name, error)
            report.error = str(error)
            report.seconds = time.monotonic() - started
        else:
            mapping = FieldMapping(name, pipeline, connector.stream(pipeline.stream), metas)
            run = _Run(runtime, name, mapping, connector, report, dry_run, allow_mass_delete, progress)
            try:
                _execute(run, stop)
            except SyncdError as error:
                log.error("pipeline %s failed: %s", name, error)
                report.error = str(error)
            finally:
                report.seconds = time.monotonic() - started
                _finish(run)
                runtime.book_calls()
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
    crm = CrmRead(complete=wants_full_snapshot(pull_point, run.mapping.pipeline.full_snapshot_every, now))
    crm_start = start_crm_read(run.runtime.zoho, run.mapping, pull_point, crm, now)  # Zoho works meanwhile
    full = crm.complete  # not when it goes on with a snapshot an earlier run left unfinished
    run.report.full_snapshot = full
    run.report.notes.extend(crm.notes)
    start = parse_cursor(push_point.cursor)
    source = read_source(run.connector, run.mapping, run.runtime.store, start, run.progress)
    if not run.dry_run:
        retry_rejects(run.runtime.store, run.mapping, source)
    run.report.push.read = source.rows
    if source.rejects and not run.dry_run:
        with run.runtime.store.transaction() as tx:
            tx.rejects.add(run.name, source.rejects)
    run.report.push.rejected += len(source.rejects)
    walk = Walk(run, source, crm, stop)
    try:
        for chunk in read_crm(
            run.runtime.zoho, run.mapping, crm_start, crm, progress=run.progress, pages=walk
        ):
            walk.chunk(chunk)
    except Stopped as stopped:
        _book_reads(run, crm)
        run.report.pull.read = crm.rows
        run.complete = False
        run.report.notes.append(str(stopped))
        return
    _book_reads(run, crm)
    run.report.pull.read = crm.rows
    if not run.dry_run and (walk.checkpointed or pull_point.snapshot_page is not None):
        with run.runtime.store.transaction() as tx:  # the read is over: nothing left to go on with
            tx.checkpoints.update(
                run.name, Direction.PULL, snapshot_page=None, page_token=None, page_token_expires_at=None
            )
    walk.finish(stop)
    if not run.dry_run and run.complete:
        walk.remember_pages()
        _checkpoint(run, crm, source, start, full, now)


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
    run.runtime.book_calls(f"by the end of {run.name}'s CRM read, {crm.pages} pages")
    cost = run.runtime.config.credits.costs.table().bulk_reads(crm.pages)
    if cost:
        run.report.pull.credits += cost


def _checkpoint(
    run: _Run, crm: CrmRead, source: SourceRead, start: Cursor | None, full: bool, now: Any
) -> None:
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
        if source.cursor != start:  # a connector's cursor can be large: written on change only
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
