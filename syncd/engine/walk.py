"""The diff of a run, taken chunk by chunk as the CRM pages arrive, so memory holds a chunk, not a module.

::

    walk = Walk(run, source, crm)
    for chunk in read_crm(...):      # CRM rows as sent, a chunk at a time
        walk.chunk(chunk)            # decide, queue the writes, store what is settled
    walk.finish(stop)                # source records no CRM row met, deletes, the CRM writes

Per chunk:

0. **Unchanged pages cost nothing.** In a full snapshot, a page whose compressed CSV is the one
   remembered (:mod:`syncd.store.pages`) is counted, not parsed (:meth:`Walk.known`), when the run
   has nothing that could make one of its records change: no source change, no held conflict, no
   resolution, no deleted CRM id still mapped. A page all of whose records end up at rest is
   remembered for the next run (:meth:`Walk.remember_pages`), after the run's last state write.
1. **Unchanged CRM rows cost one lookup.** A row whose raw hash is the one remembered when both
   sides last agreed (:meth:`~syncd.store.id_map.IdMap.seen_before`), and whose key the source read
   did not bring, is unchanged on both sides: nothing of it is canonicalised or compared.
2. **The rest is diffed** (:func:`syncd.engine.diff.diff`, the same pure code as ever) against the
   stored state of just those keys, after the :class:`~syncd.engine.keys.KeyJoiner` placed them.
3. **Writes to the source are queued** and handed to the connector in batches of
   :data:`SOURCE_BATCH`; a chunk's new sync state is stored once its batch is written (never for a
   change the connector refused). Writes to the CRM and all deletes wait for :meth:`Walk.finish`:
   the CRM writes are planned as a whole (bulk or REST, within the credits), and deletes pass the
   mass-delete brake, which needs the whole run's count.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from syncd.connector import Change as SourceChange
from syncd.engine.canonical import Canonical, canonical_row, fingerprint, to_json
from syncd.engine.diff import Diff, diff, mass_delete_check
from syncd.engine.keys import CrmRow, Joined, KeyJoiner
from syncd.engine.merge import present
from syncd.engine.model import (
    RECORD_FIELD,
    Action,
    Change,
    Side,
    SideRecord,
    SideState,
    StaleResolution,
    Values,
    frozen_values,
)
from syncd.engine.pull import CrmRead, RawRow
from syncd.engine.push import SourceRead
from syncd.engine.resolutions import close_resolutions, load_resolutions
from syncd.engine.sides import crm_batches, held_conflicts, source_changes, write_source
from syncd.store.checkpoints import Direction
from syncd.store.conflicts import NewConflict
from syncd.store.pages import RememberedPage
from syncd.store.records import SyncedRecord
from syncd.zoho import Page
from syncd.zoho.limits import PAGE_TOKEN_LIFETIME

if TYPE_CHECKING:
    from syncd.engine.runner import _Run

SOURCE_BATCH = 20_000  # changes handed to the connector at once: what a run holds for the source
NOTES_SHOWN = 20


@dataclass
class _Settle:
    """The sync state a chunk leaves, stored once the source has taken its writes."""

    records: list[SyncedRecord] = field(default_factory=list)
    forget: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)
    raw: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    conflicts: list[NewConflict] = field(default_factory=list)

    def without(self, failed: set[str]) -> _Settle:
        if not failed:
            return self
        return _Settle(
            [r for r in self.records if r.key not in failed],
            [k for k in self.forget if k not in failed],
            {k: i for k, i in self.ids.items() if k not in failed},
            {k: r for k, r in self.raw.items() if k not in failed},
            self.conflicts,
        )


class Stopped(Exception):
    """Asked to stop, the run stopped after checkpointing a snapshot page; a later run goes on."""

    def __init__(self, page: int) -> None:
        super().__init__(f"stopped after page {page} of the snapshot; the next run goes on from there")
        self.page = page


class Walk:
    def __init__(
        self, run: _Run, source: SourceRead, crm: CrmRead, stop: threading.Event | None = None
    ) -> None:
        self.run, self.source, self.crm = run, source, crm
        self._stop = stop
        self.checkpointed = False  # a snapshot page was checkpointed by this run
        pipeline = run.mapping.pipeline
        self._policy = pipeline.diff_policy(allow_mass_delete=True)  # the brake acts in finish()
        self._brake = pipeline.diff_policy(allow_mass_delete=run.allow_mass_delete)
        self._touched = set(source.values) | source.tombstones  # keys the source read brought
        self._placed: set[str] = set()  # of those, the ones a CRM row was placed under
        self._restored: set[str] = set()  # CRM ids the deleted-records API names yet the snapshot holds
        with run.runtime.store.snapshot() as tx:
            taken = tx.id_map.crm_ids(run.name, list(source.values))
            self._synced_before = tx.records.count(run.name)
            self._answers = load_resolutions(tx, run.name, run.mapping.metas)
            held = [c for c in tx.conflicts.find(run.name) if RECORD_FIELD not in c.crm]
            self._remembered = tx.pages.get(run.name) if crm.complete else {}
        self._touched |= set(self._answers.chosen)  # resolved conflicts are decided even if unread
        # A held field keeps what each side held when it was held, unless that side is read anew:
        # else an unread side would pass for the base and the other side's value win silently.
        self._held_values = {
            c.key: (canonical_row(c.crm, run.mapping.metas), canonical_row(c.source, run.mapping.metas))
            for c in held
            if c.key not in self._answers.chosen
        }
        self._touched |= set(self._held_values)
        self._resolved: list[str] = []
        self._stale: list[StaleResolution] = []
        self._not_done: set[str] = set()  # keys the source refused, or whose delete was withheld
        self._joiner = KeyJoiner(source.values, taken, run.mapping)
        self._pending = Joined()  # CRM values and ids of the keys with CRM-bound changes
        self._crm_changes: list[Change] = []
        self._bases: dict[str, Mapping[str, Canonical]] = {}
        self._deletes: list[Change] = []
        self._outbox: list[tuple[Change, SourceChange]] = []
        self._waiting: list[_Settle] = []
        self._conflicted: set[str] = set()
        self._held: set[str] = set()
        self._unplaced: list[str] = []
        self._pages: list[RememberedPage] = []  # pages all of whose records this run left at rest
        self._at_rest = 0  # records of the page being read that are at rest so far
        self._may_skip: bool | None = None  # decided at the first page

    # -- per page (syncd.engine.pull.Pages) ------------------------------------------------------

    def known(self, number: int, digest: str) -> RememberedPage | None:
        self._at_rest = 0
        page = self._remembered.get(number)
        if page is None or page.digest != digest or not self._skipping():
            return None
        self._count_unchanged(page.rows)
        self._pages.append(page)
        return page

    def read(self, number: int, digest: str, rows: int, newest: str) -> None:
        if rows and self._at_rest == rows:
            self._pages.append(RememberedPage(number, digest, rows, newest))

    def done(self, page: Page) -> None:
        """Checkpoint a full snapshot's page when more follow: the page, and the token of the next.

        The source writes queued so far go out first, so everything the page brought to the source
        is written and its state stored before a later run may go on after it. CRM writes and
        deletes are not written yet: a run that goes on from here finds the source's changes again
        (the push cursor has not moved) and reads their CRM side as unread.
        """
        run, job = self.run, page.job
        if run.dry_run or not (self.crm.complete or self.crm.resumed_at) or not job.more_records:
            return
        self._flush()
        token = job.next_page_token
        expires = run.runtime.clock() + PAGE_TOKEN_LIFETIME if token else None
        with run.runtime.store.transaction() as tx:
            tx.checkpoints.update(
                run.name,
                Direction.PULL,
                snapshot_page=page.number,
                page_token=token,
                page_token_expires_at=expires,
            )
        self.checkpointed = True
        if self._stop is not None and self._stop.is_set():
            raise Stopped(page.number)

    def remember_pages(self) -> None:
        """Remember the pages left at rest; only once the run has written all its state."""
        if self.run.dry_run or not self.crm.complete:
            return
        with self.run.runtime.store.transaction() as tx:
            tx.pages.replace(self.run.name, self._pages)

    def _skipping(self) -> bool:
        """Whether this run may skip remembered pages: nothing it holds could change their records."""
        if self._may_skip is None:
            self._may_skip = self.crm.complete and not self._touched
            if self._may_skip and self.crm.deleted_ids:  # a record deleted yet on a page: restored
                with self.run.runtime.store.snapshot() as tx:
                    mapped = tx.id_map.source_keys(self.run.name, list(self.crm.deleted_ids))
                self._may_skip = not mapped
        return self._may_skip

    # -- per chunk -------------------------------------------------------------------------------

    def chunk(self, rows: Sequence[RawRow]) -> None:
        name = self.run.name
        with self.run.runtime.store.snapshot() as tx:
            seen = tx.id_map.seen_before(name, {row.crm_id: row.hash for row in rows})
        deleted = self.crm.deleted_ids
        slow: list[RawRow] = []
        for row in rows:
            if deleted and row.crm_id in deleted:
                self._restored.add(row.crm_id)
            hit = seen.get(row.crm_id)
            if hit is None or not hit[1] or hit[0] in self._touched:
                slow.append(row)
        self._count_unchanged(len(rows) - len(slow))
        self._at_rest += len(rows) - len(slow)
        if slow:
            known = {row.crm_id: seen[row.crm_id][0] for row in slow if row.crm_id in seen}
            unchanged = {seen[row.crm_id][0] for row in slow if row.crm_id in seen and seen[row.crm_id][1]}
            self._slow(slow, known, unchanged)

    def _slow(self, rows: Sequence[RawRow], known: Mapping[str, str], remembered: set[str]) -> None:
        name = self.run.name
        crm_rows: list[CrmRow] = [row.canonical(self.run.mapping) for row in rows]
        hashes = {row.crm_id: row.hash for row in rows}
        with self.run.runtime.store.snapshot() as tx:
            joined = self._joiner.join(crm_rows, known, lambda keys: tx.id_map.crm_ids(name, keys))
            stored = tx.records.get(name, list(joined.records))
        self._note_unplaced(joined.unplaced)
        self._placed.update(key for key in joined.records if key in self._touched)
        crm_side = SideState(joined.records, complete=self.crm.complete)
        raw = {key: hashes[crm_id] for key, crm_id in joined.ids.items() if key not in remembered}
        self._decide(list(joined.records), joined, stored, crm_side, raw, remembered)

    def _decide(
        self,
        keys: Iterable[str],
        joined: Joined,
        stored: Mapping[str, SyncedRecord],
        crm_side: SideState,
        raw: Mapping[str, str],
        remembered: set[str],
    ) -> None:
        """Diff ``keys`` and route the outcome: queued source writes, pending CRM writes, deletes.

        ``raw`` holds the raw hashes to remember; ``remembered`` the keys whose hash already is."""
        metas = self.run.mapping.metas
        base = {key: canonical_row(record.values, metas) for key, record in stored.items()}
        keys = list(keys)
        source_side = self._source_side(keys, base)
        chosen = {key: self._answers.chosen[key] for key in keys if key in self._answers.chosen}
        result = diff(base, crm_side, source_side, self._policy, resolutions=chosen)
        self._resolved.extend(result.resolved)
        self._stale.extend(result.stale)
        self._count_unchanged(result.unchanged)
        self._conflicted.update(conflict.key for conflict in result.conflicts)
        self._held.update(conflict.key for conflict in result.held)
        deleting = {change.key for change in result.changes if change.action is Action.DELETE}
        self._deletes.extend(change for change in result.changes if change.action is Action.DELETE)
        to_crm = [c for c in result.to(Side.CRM) if c.action is not Action.DELETE]
        to_source = [c for c in result.to(Side.SOURCE) if c.action is not Action.DELETE]
        for change in to_crm:
            self._crm_changes.append(change)
            if change.key in joined.records:
                self._pending.records[change.key] = joined.records[change.key]
            if change.key in joined.ids:
                self._pending.ids[change.key] = joined.ids[change.key]
            values = result.new_base.get(change.key)
            if values is not None:
                self._bases[change.key] = values
        settle = self._settle(result, joined, stored, base, raw, skip=deleting | {c.key for c in to_crm})
        settle.ids = {k: i for k, i in joined.ids.items() if k not in deleting}
        if to_source:
            wanted = source_changes(self.run, to_source, joined, self.source)
            if self._outbox and len(self._outbox) + len(wanted) > SOURCE_BATCH:
                self._flush()  # a batch holds at most SOURCE_BATCH changes, or one chunk's
            self._outbox.extend(zip(to_source, wanted, strict=True))
            self._waiting.append(settle)
            if len(self._outbox) >= SOURCE_BATCH:
                self._flush()
        else:
            self._store(settle)
            busy = {c.key for c in result.changes} | {c.key for c in (*result.conflicts, *result.held)}
            self._at_rest += sum(1 for pair in settle.raw.values() if pair is not None)
            self._at_rest += sum(1 for key in remembered if key in joined.records and key not in busy)

    def _source_side(self, keys: Iterable[str], base: Mapping[str, Values]) -> SideState:
        source = self.source
        records: dict[str, SideRecord] = {}
        deleted: dict[str, datetime | None] = {}
        for key in keys:
            values = source.values.get(key)
            if values is not None:
                records[key] = SideRecord(frozen_values(values), source.modified.get(key))
            elif key in source.tombstones:
                deleted[key] = None
            elif key in self._held_values and key in base:
                records[key] = SideRecord(frozen_values({**base[key], **self._held_values[key][1]}))
        return SideState(records, deleted=deleted)

    def _settle(
        self,
        result: Diff,
        joined: Joined,
        stored: Mapping[str, SyncedRecord],
        base: Mapping[str, Values],
        raw: Mapping[str, str],
        *,
        skip: set[str],
    ) -> _Settle:
        """The state to store for the keys the diff settled without a CRM write (the writer stores those)."""
        settle = _Settle(conflicts=held_conflicts(result.held, joined))
        fingerprints: dict[str, str] = {}
        for key, values in result.new_base.items():
            if key in skip:
                continue
            if values is None:
                settle.forget.append(key)
                continue
            fingerprints[key] = fingerprint(values)
            settle.records.append(
                SyncedRecord(key, {n: to_json(v) for n, v in values.items()}, fingerprints[key])
            )
        for key, crm_record in joined.records.items():
            if key in skip or key not in raw:
                continue
            agreed = result.new_base.get(key) if key in result.new_base else base.get(key)
            if agreed is None:
                settle.raw[key] = None
            elif present(crm_record.values) == present(agreed):
                settle.raw[key] = (raw[key], fingerprints.get(key) or stored[key].fingerprint)
            else:
                settle.raw[key] = None  # the CRM holds something else than the base (a held conflict)
        return settle

    def _flush(self) -> None:
        changes = [change for change, _ in self._outbox]
        failed = write_source(self.run, changes, [wanted for _, wanted in self._outbox])
        self._not_done |= failed
        for settle in self._waiting:
            self._store(settle.without(failed))
        self._outbox, self._waiting = [], []

    def _store(self, settle: _Settle) -> None:
        if self.run.dry_run:
            return
        name = self.run.name
        with self.run.runtime.store.transaction() as tx:
            tx.id_map.upsert(name, settle.ids)
            tx.records.upsert(name, settle.records)
            tx.records.delete(name, settle.forget)
            tx.id_map.delete(name, [key for key in settle.forget if key not in settle.ids])
            tx.id_map.remember_raw(name, settle.raw)
            tx.conflicts.add(name, settle.conflicts)

    def _count_unchanged(self, count: int) -> None:
        self.run.report.push.unchanged += count
        self.run.report.pull.unchanged += count

    def _note_unplaced(self, unplaced: Mapping[str, str]) -> None:
        for crm_id, why in unplaced.items():
            self._unplaced.append(f"CRM record {crm_id} is not synced to the source: {why}")

    # -- the end of the read ---------------------------------------------------------------------

    def finish(self, stop: threading.Event | None) -> None:
        """Decide the keys no CRM row met, pass the deletes through the brake, write to the CRM."""
        self._rest()
        self._flush()
        self._report_notes()
        self._carry_out_deletes()
        run = self.run
        if stop is not None and stop.is_set():
            run.complete = False
            run.report.notes.append("stopped before writing to the CRM; the next run carries on")
        else:
            crm_batches(run, self._crm_changes, self._pending, self.source, self._bases)
        crm_bound = {change.key for change in self._crm_changes}
        close_resolutions(
            run, self._answers, self._resolved, self._stale, crm_bound=crm_bound, not_done=self._not_done
        )

    def _rest(self) -> None:
        """Source records the CRM read did not bring, and CRM deletes the snapshot confirms."""
        name = self.run.name
        rest = self._touched - self._placed
        gone_ids = {
            crm_id: when
            for crm_id, when in self.crm.deleted_ids.items()
            if self.crm.complete and crm_id not in self._restored
        }
        with self.run.runtime.store.snapshot() as tx:
            ids = tx.id_map.crm_ids(name, list(rest))
            gone = tx.id_map.source_keys(name, list(gone_ids))
            keys = rest | set(gone.values())
            stored = tx.records.get(name, list(keys))
        if not keys:
            return
        joined = Joined(ids={**ids, **{key: crm_id for crm_id, key in gone.items()}})
        deleted = {key: gone_ids[crm_id] for crm_id, key in gone.items()}
        metas = self.run.mapping.metas
        unread_held = {  # a held record the CRM read did not bring still holds its held values
            key: SideRecord(frozen_values({**canonical_row(stored[key].values, metas), **held[0]}))
            for key, held in self._held_values.items()
            if key in keys and key in stored and key not in deleted
        }
        crm_side = SideState(unread_held, complete=self.crm.complete, deleted=deleted)
        self._decide(sorted(keys), joined, stored, crm_side, {}, set())

    def _report_notes(self) -> None:
        report = self.run.report
        report.push.conflicts = report.pull.conflicts = len(self._conflicted)
        if self._held:
            report.notes.append(f"{len(self._held)} records hold conflicts for `syncd conflicts`")
        report.notes.extend(self._unplaced[:NOTES_SHOWN])
        if len(self._unplaced) > NOTES_SHOWN:
            report.notes.append(f"... and {len(self._unplaced) - NOTES_SHOWN} more CRM records not synced")

    def _carry_out_deletes(self) -> None:
        run = self.run
        blocked = mass_delete_check(self._deletes, self._synced_before, self._brake)
        for brake in blocked:
            run.report.notes.append(str(brake))
            run.report.error = run.report.error or str(brake)
            run.complete = False  # keep the checkpoints, so the withheld deletes are seen again
        withheld = {brake.target for brake in blocked}
        self._not_done |= {change.key for change in self._deletes if change.target in withheld}
        deletes = [change for change in self._deletes if change.target not in withheld]
        self._crm_changes.extend(change for change in deletes if change.target is Side.CRM)
        to_source = [change for change in deletes if change.target is Side.SOURCE]
        if not to_source:
            return
        failed = write_source(run, to_source, source_changes(run, to_source, Joined(), self.source))
        self._not_done |= failed
        self._store(_Settle(forget=[change.key for change in to_source if change.key not in failed]))
