"""Carrying out planned CRM deletes (REST, 100 ids a call) through the job journal.

A delete batch moves ``prepared`` (keys and the CRM ids they map to) -> ``result_downloaded``
(per-id outcomes) -> ``applied`` (the keys' ID-map entries and record state forgotten, refusals
stored as rejects, in one transaction), like a REST upsert batch. An id Zoho no longer knows
(``INVALID_DATA``) is already gone, which is what the delete wanted: it is forgotten too. After a
crash between the call and ``result_downloaded`` the batch is marked failed and the next diff plans
what is left again; deleting an id twice only answers ``INVALID_DATA``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from syncd.app import Runtime
from syncd.engine.apply import BatchOutcome, reserved_credits
from syncd.engine.mapping import FieldMapping
from syncd.engine.plan import Batch
from syncd.store.api import Transaction
from syncd.store.journal import BatchEntry, Step
from syncd.store.rejects import NewReject
from syncd.zoho import DeleteOutcome

DELETE_OPERATION = "rest_delete"


@dataclass
class DeleteOutcomes(BatchOutcome):
    """A delete batch's outcome: ``deleted`` holds the keys gone from the CRM (or never there)."""

    deleted: list[str] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)


class CrmDeleter:
    def __init__(self, runtime: Runtime, mapping: FieldMapping, run_id: int | None) -> None:
        self.runtime = runtime
        self.mapping = mapping
        self.run_id = run_id
        self.module = mapping.pipeline.module

    def run(self, batch: Batch) -> DeleteOutcomes:
        """Delete the batch's records; keys the ID map does not know have no CRM record to delete."""
        keys = [change.key for change in batch.changes]
        with self.runtime.store.snapshot() as tx:
            ids = tx.id_map.crm_ids(self.mapping.name, keys)
        unmapped = [key for key in keys if key not in ids]
        if not ids:
            return self._forget_unmapped(unmapped)
        purpose = f"{batch.kind} {self.mapping.name} ({len(ids)} rows)"
        with reserved_credits(self.runtime, batch.cost, purpose) as reservation:
            if reservation is None:
                return DeleteOutcomes(deferred=True)
            outcome = self._delete(ids, batch.cost, reservation)
        _merge_unmapped(outcome, self._forget_unmapped(unmapped))
        return outcome

    def resume(self, entry: BatchEntry) -> DeleteOutcomes:
        """Finish a delete batch an earlier run left in flight."""
        if entry.step is Step.RESULT_DOWNLOADED:
            return self._apply(entry)
        with self.runtime.store.transaction() as tx:
            tx.journal.fail(entry.id, "interrupted before its result was stored; its rows are planned again")
        return DeleteOutcomes()

    def _delete(self, ids: Mapping[str, str], cost: int, reservation: int) -> DeleteOutcomes:
        keys = list(ids)
        digest = hashlib.sha256(json.dumps(ids, sort_keys=True).encode()).hexdigest()
        with self.runtime.store.transaction() as tx:
            entry = tx.journal.create(
                pipeline=self.mapping.name,
                direction="push",
                operation=DELETE_OPERATION,
                content_hash=digest,
                row_keys=keys,
                credits_planned=cost,
                run_id=self.run_id,
            )
        answers = self.runtime.zoho.rest.delete(self.module, [ids[key] for key in keys])
        self.runtime.store.credits.commit(reservation)
        result = {"outcomes": [_outcome_row(key, answer) for key, answer in zip(keys, answers, strict=True)]}
        with self.runtime.store.transaction() as tx:
            tx.journal.advance(entry.id, Step.RESULT_DOWNLOADED, result=result, credits_charged=cost)
            stored = tx.journal.get(entry.id)
        outcome = self._apply(stored)
        outcome.credits += cost
        return outcome

    def _apply(self, entry: BatchEntry) -> DeleteOutcomes:
        outcome = DeleteOutcomes()
        for key, crm_id, status, code, message, retryable in (entry.result or {}).get("outcomes", []):
            if status == "deleted":
                outcome.deleted.append(key)
            elif status == "unknown":
                outcome.already_gone.append(key)
            else:
                outcome.retry_later = outcome.retry_later or retryable
                reason = f"Zoho did not delete CRM record {crm_id} ({code}): {message or 'no reason given'}"
                outcome.rejects.append(NewReject(key, "push", reason, retryable, (code,)))
        gone = [*outcome.deleted, *outcome.already_gone]
        with self.runtime.store.transaction() as tx:
            self._forget(tx, gone)
            tx.rejects.add(self.mapping.name, outcome.rejects)
            tx.journal.advance(entry.id, Step.APPLIED)
        return outcome

    def _forget_unmapped(self, keys: Sequence[str]) -> DeleteOutcomes:
        if keys:
            with self.runtime.store.transaction() as tx:
                self._forget(tx, keys)
        return DeleteOutcomes(already_gone=list(keys))

    def _forget(self, tx: Transaction, keys: Sequence[str]) -> None:
        tx.id_map.delete(self.mapping.name, keys)
        tx.records.delete(self.mapping.name, keys)
        tx.rejects.resolve(self.mapping.name, list(keys))


def _outcome_row(key: str, answer: DeleteOutcome) -> list[object]:
    status = "deleted" if answer.ok else "unknown" if answer.unknown else "refused"
    return [key, answer.record_id, status, answer.code, answer.message, answer.retryable]


def _merge_unmapped(into: DeleteOutcomes, unmapped: DeleteOutcomes) -> None:
    into.already_gone.extend(unmapped.already_gone)
