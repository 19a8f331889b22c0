"""Reading the CRM side of a run: a full bulk-read snapshot or an incremental one by Modified_Time.

A full snapshot runs on the first run and whenever ``full_snapshot_every`` has passed since the
last; otherwise only records modified since the checkpoint (minus an overlap, so a record saved
while the last read ran is not missed) are read. Pages are read while Zoho says ``more_records``.
With deletes on, a full snapshot also asks Zoho's deleted-records API, the second signal a CRM
delete needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from syncd.engine.canonical import canonical_datetime
from syncd.engine.keys import CrmRow
from syncd.engine.mapping import FieldMapping
from syncd.engine.model import DeletePolicy
from syncd.store.checkpoints import Checkpoint
from syncd.zoho import BulkQuery, ZohoClient, where

OVERLAP = timedelta(minutes=5)
Progress = Callable[[str, int], None]


@dataclass
class CrmRead:
    rows: dict[str, CrmRow] = field(default_factory=dict)
    complete: bool = False
    deleted_ids: dict[str, datetime | None] = field(default_factory=dict)
    newest: datetime | None = None  # the latest Modified_Time seen: the next incremental read's start
    pages: int = 0


def wants_full_snapshot(checkpoint: Checkpoint, every: timedelta, now: datetime) -> bool:
    last = checkpoint.last_full_snapshot_at
    return last is None or checkpoint.cursor is None or now - last >= every


def read_crm(
    zoho: ZohoClient,
    mapping: FieldMapping,
    checkpoint: Checkpoint,
    *,
    full: bool,
    progress: Progress | None = None,
) -> CrmRead:
    module = mapping.pipeline.module
    columns = ("id", "Modified_Time", *(c for c in mapping.read_columns if c not in ("id", "Modified_Time")))
    criteria = None
    if not full and checkpoint.cursor:
        since = datetime.fromisoformat(checkpoint.cursor) - OVERLAP
        criteria = where("Modified_Time", "greater_equal", since.isoformat(timespec="seconds"))
    read = CrmRead(complete=full)
    for _page, result in zoho.bulk_read.read_pages(BulkQuery(module, fields=columns, criteria=criteria)):
        read.pages += 1
        for row in result.records():
            _take(read, row, mapping)
        if progress:
            progress("pages", 1)
    if full and mapping.pipeline.delete_policy is not DeletePolicy.OFF:
        read.deleted_ids = {
            item.id: canonical_datetime(item.deleted_time) for item in zoho.rest.deleted(module)
        }
    return read


def _take(read: CrmRead, row: dict[str, str], mapping: FieldMapping) -> None:
    crm_id = row.get("id") or row.get("Id")
    if not crm_id:
        return
    modified = canonical_datetime(row.get("Modified_Time"))
    read.rows[crm_id] = CrmRow(crm_id, mapping.crm_values(row), modified)
    if modified is not None and (read.newest is None or modified > read.newest):
        read.newest = modified
