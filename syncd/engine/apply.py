"""Carrying out a plan's CRM batches through the job journal, so a crash resumes instead of repeating.

A bulk batch moves ``prepared`` (rows, keys, content hash) -> ``uploaded`` (file id, plus what is
needed to read the result later) -> ``job_created`` (job id, credits) -> ``result_downloaded``
(per-row outcomes) -> ``applied`` (ID map, record state and rejects, in one transaction). Each step
is committed before the next begins. After a crash :meth:`CrmWriter.resume` re-attaches to a batch
that has a job id (wait, download, apply); a batch without one is marked failed and its rows are
planned again by the next diff (writes are upserts by ``find_by``, or updates of known records by
their id, so nothing is duplicated).
A REST batch is ``prepared`` -> ``result_downloaded`` -> ``applied``.

Test hook: with the environment variable ``SYNCD_TEST_KILL_AT`` set to a step name, the process
ends itself (``os._exit``) right after committing that step, as a ``kill -9`` would. The kill
tests use it to stop a real ``syncd sync`` at every step.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from syncd.app import Runtime
from syncd.engine.canonical import Canonical, canonical_row, fingerprint, to_json
from syncd.engine.mapping import FieldMapping
from syncd.engine.plan import Batch, BatchKind
from syncd.errors import JobFailedError
from syncd.store.journal import BatchEntry, Step
from syncd.store.records import SyncedRecord
from syncd.store.rejects import NewReject
from syncd.zoho import PreparedBatch, RowOutcome, UpsertOutcome
from syncd.zoho.batches import Part
from syncd.zoho.bulk_write import Operation

KILL_ENV = "SYNCD_TEST_KILL_AT"
BULK_OPERATION = "bulk_upsert"
REST_OPERATION = "rest_upsert"
REST_UPDATE_OPERATION = "rest_update"


def _reached(step: Step | str) -> None:
    """The kill-test hook (see the module docstring)."""
    if os.environ.get(KILL_ENV) == str(step):
        os._exit(137)


@contextmanager
def reserved_credits(runtime: Runtime, cost: int, purpose: str) -> Iterator[int | None]:
    """Reserve ``cost`` credits within the budget (None when they do not fit); released if the
    work raises before committing them (credits committed before the failure stay spent). The calls
    made so far are booked first, so the budget sees them."""
    runtime.book_calls()
    credits = runtime.config.credits
    reservation = runtime.store.credits.reserve(
        runtime.org, cost, purpose, limit=credits.daily_limit, reserve=credits.reserve
    )
    try:
        yield reservation
    except BaseException:
        if reservation is not None:
            runtime.store.credits.release_unspent(reservation)
        raise


@dataclass
class BatchOutcome:
    written: dict[str, str] = field(default_factory=dict)  # source key -> CRM id
    rejects: list[NewReject] = field(default_factory=list)
    credits: int = 0
    jobs: int = 0
    retry_later: bool = False
    deferred: bool = False


@dataclass(frozen=True)
class Row:
    """One row of a batch: its source key, the CRM values to send, and the state once written."""

    key: str
    values: Mapping[str, Canonical]
    base: Mapping[str, Canonical]


class CrmWriter:
    def __init__(self, runtime: Runtime, mapping: FieldMapping, run_id: int | None) -> None:
        self.runtime = runtime
        self.mapping = mapping
        self.run_id = run_id
        self.module = mapping.pipeline.module
        self.find_by = mapping.pipeline.find_by

    # -- a new batch ------------------------------------------------------------------------------

    def run(self, batch: Batch, rows: Sequence[Row]) -> BatchOutcome:
        purpose = f"{batch.kind} {self.mapping.name} ({batch.rows} rows)"
        with reserved_credits(self.runtime, batch.cost, purpose) as reservation:
            if reservation is None:
                return BatchOutcome(deferred=True)
            if batch.kind in (BatchKind.BULK_WRITE, BatchKind.BULK_UPDATE):
                return self._bulk(batch, rows, reservation)
            return self._rest(batch, rows, reservation)

    def _bulk(self, batch: Batch, rows: Sequence[Row], reservation: int) -> BatchOutcome:
        writer = self.runtime.zoho.bulk_write
        by_key = {row.key: row for row in rows}
        prepared = writer.prepare(
            self.module,
            (_wire(row, batch.columns) for row in rows),
            columns=batch.columns,
            key=lambda wire: str(wire["\0key"]),
            find_by=batch.find_by,
        )
        outcome = BatchOutcome(rejects=[_format_reject(r.key, str(r.error)) for r in prepared.rejected])
        operation: Operation = "update" if batch.kind is BatchKind.BULK_UPDATE else "upsert"
        for part in prepared.batches:
            entry = self._journal_create(BULK_OPERATION, part.content_hash, part.row_keys, batch.cost)
            file_id = writer.upload(part)
            detail = {"batch": _describe(part), "bases": _bases(by_key, part.row_keys)}
            self._advance(entry, Step.UPLOADED, file_id=file_id, result=detail)
            job_id = writer.create_job(part, file_id, operation=operation, find_by=batch.find_by)
            self._advance(entry, Step.JOB_CREATED, job_id=job_id, credits_charged=batch.cost)
            self.runtime.store.credits.commit(reservation)
            outcome.credits += batch.cost
            outcome.jobs += 1
            _merge(outcome, self._finish_bulk(self._entry(entry.id), part))
        if not prepared.batches:
            self.runtime.store.credits.release(reservation)
        return outcome

    def _rest(self, batch: Batch, rows: Sequence[Row], reservation: int) -> BatchOutcome:
        records = [_rest_record(row, batch.columns) for row in rows]
        digest = hashlib.sha256(json.dumps(records, sort_keys=True).encode()).hexdigest()
        keys = [row.key for row in rows]
        rest = self.runtime.zoho.rest
        if batch.kind is BatchKind.REST_UPDATE:
            entry = self._journal_create(REST_UPDATE_OPERATION, digest, keys, batch.cost)
            answers = rest.update(self.module, records)
        else:
            entry = self._journal_create(REST_OPERATION, digest, keys, batch.cost)
            answers = rest.upsert(self.module, records, duplicate_check_fields=[self.find_by])
        self.runtime.store.credits.commit(reservation)
        result = {
            "bases": _bases({row.key: row for row in rows}, keys),
            "outcomes": _rest_outcomes(keys, answers),
        }
        self._advance(entry, Step.RESULT_DOWNLOADED, result=result, credits_charged=batch.cost)
        outcome = self._apply(self._entry(entry.id))
        outcome.credits += batch.cost
        return outcome

    # -- resuming after a crash --------------------------------------------------------------------

    def resume(self, entry: BatchEntry) -> BatchOutcome:
        """Finish a batch an earlier run left in flight; never create a second job for it."""
        if entry.step is Step.RESULT_DOWNLOADED:
            return self._apply(entry)
        if entry.job_id is None or not entry.result or "batch" not in entry.result:
            with self.runtime.store.transaction() as tx:
                tx.journal.fail(entry.id, "interrupted before a job was created; its rows are planned again")
            return BatchOutcome()
        return self._finish_bulk(entry, _restore(entry.result["batch"], entry))

    def _finish_bulk(self, entry: BatchEntry, part: PreparedBatch) -> BatchOutcome:
        writer = self.runtime.zoho.bulk_write
        assert entry.job_id is not None
        try:
            job = writer.wait(entry.job_id)
        except JobFailedError as error:
            # Zoho gave up on the job: nothing more will come of it, so its rows are planned again
            # by the next diff (upserts by find_by or by id, so rows Zoho wrote are not duplicated).
            with self.runtime.store.transaction() as tx:
                tx.journal.fail(entry.id, str(error))
            raise
        outcomes = writer.fetch_result(job, part)
        result = {**(entry.result or {}), "outcomes": [_bulk_outcome(o) for o in outcomes]}
        self._advance(entry, Step.RESULT_DOWNLOADED, result=result)
        return self._apply(self._entry(entry.id))

    def _apply(self, entry: BatchEntry) -> BatchOutcome:
        result = entry.result or {}
        bases: Mapping[str, Any] = result.get("bases", {})
        outcome = BatchOutcome()
        records: list[SyncedRecord] = []
        for key, status, crm_id, codes, retryable in result.get("outcomes", []):
            if crm_id and status in ("ADDED", "UPDATED", "insert", "update"):
                outcome.written[key] = crm_id
                values = canonical_row(bases.get(key, {}), self.mapping.metas)
                records.append(SyncedRecord(key, bases.get(key, {}), fingerprint(values)))
            else:
                outcome.retry_later = outcome.retry_later or retryable
                message = f"Zoho skipped the row ({status}): {', '.join(codes) or 'no reason given'}"
                row = bases.get(key, {})  # the values sent: what `syncd rejects retry` sends again
                outcome.rejects.append(NewReject(key, "push", message, retryable, tuple(codes), row))
        with self.runtime.store.transaction() as tx:
            tx.id_map.upsert(self.mapping.name, outcome.written)
            tx.records.upsert(self.mapping.name, records)
            tx.rejects.add(self.mapping.name, outcome.rejects)
            tx.rejects.resolve(self.mapping.name, list(outcome.written))
            tx.journal.advance(entry.id, Step.APPLIED)
        _reached(Step.APPLIED)
        return outcome

    # -- journal -----------------------------------------------------------------------------------

    def _journal_create(self, operation: str, digest: str, keys: Sequence[str], cost: int) -> BatchEntry:
        with self.runtime.store.transaction() as tx:
            entry = tx.journal.create(
                pipeline=self.mapping.name,
                direction="push",
                operation=operation,
                content_hash=digest,
                row_keys=list(keys),
                credits_planned=cost,
                run_id=self.run_id,
            )
        _reached(Step.PREPARED)
        return entry

    def _advance(self, entry: BatchEntry, step: Step, **recorded: Any) -> None:
        with self.runtime.store.transaction() as tx:
            tx.journal.advance(entry.id, step, **recorded)
        _reached(step)

    def _entry(self, entry_id: int) -> BatchEntry:
        with self.runtime.store.snapshot() as tx:
            return tx.journal.get(entry_id)


def _merge(into: BatchOutcome, more: BatchOutcome) -> None:
    into.written.update(more.written)
    into.rejects.extend(more.rejects)
    into.retry_later = into.retry_later or more.retry_later


def _wire_value(value: Canonical) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _wire(row: Row, columns: Sequence[str]) -> dict[str, Any]:
    return {
        "\0key": row.key,
        **{name: _wire_value(row.values.get(name)) for name in columns if name in row.values},
    }


def _rest_record(row: Row, columns: Sequence[str]) -> dict[str, Any]:
    return {name: _json_value(row.values[name]) for name in columns if name in row.values}


def _json_value(value: Canonical) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return to_json(value)


def _bases(rows: Mapping[str, Row], keys: Sequence[str]) -> dict[str, Any]:
    return {key: {name: to_json(value) for name, value in rows[key].base.items()} for key in keys}


def _bulk_outcome(outcome: RowOutcome) -> list[Any]:
    codes = [error.code for error in outcome.errors]
    return [outcome.key, outcome.status, outcome.record_id, codes, outcome.retryable]


def _rest_outcomes(keys: Sequence[str], answers: Sequence[UpsertOutcome]) -> list[list[Any]]:
    return [
        [
            key,
            answer.action if answer.ok else answer.code,
            answer.record_id if answer.ok else None,
            [] if answer.ok else [answer.code],
            answer.retryable,
        ]
        for key, answer in zip(keys, answers, strict=True)
    ]


def _format_reject(key: str, message: str) -> NewReject:
    return NewReject(key, "push", message, False, ("INVALID_DATA",))


def _describe(batch: PreparedBatch) -> dict[str, Any]:
    parts = [
        {
            "module": p.module,
            "file_name": p.file_name,
            "columns": list(p.columns),
            "headers": list(p.headers),
            "lookups": list(p.lookups),
            "row_count": p.row_count,
        }
        for p in batch.parts
    ]
    return {"path": str(batch.path), "size_bytes": batch.size_bytes, "parts": parts}


def _restore(described: Mapping[str, Any], entry: BatchEntry) -> PreparedBatch:
    parts = tuple(
        Part(
            p["module"],
            p["file_name"],
            tuple(p["columns"]),
            tuple(p["headers"]),
            tuple(p["lookups"]),
            row_count=p["row_count"],
        )
        for p in described["parts"]
    )
    return PreparedBatch(
        Path(described["path"]), entry.content_hash, tuple(entry.row_keys), parts, described["size_bytes"]
    )
