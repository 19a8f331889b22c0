"""Reading the CRM side of a run, page by page: a full bulk-read snapshot or an incremental one.

A full snapshot runs on the first run and whenever ``full_snapshot_every`` has passed since the
last; otherwise only records modified since the checkpoint (minus an overlap, so a record saved
while the last read ran is not missed) are read. Pages are read while Zoho says ``more_records``
and handed on in chunks of :data:`CHUNK` rows, so a run holds one chunk of the CRM at a time,
never the module. With deletes on, a full snapshot first asks Zoho's deleted-records API, the
second signal a CRM delete needs.

Each row keeps its cells as Zoho sent them, with a hash of them (:func:`raw_hasher`): a record whose
hash is the one remembered when both sides last agreed is unchanged, and nothing of it needs
reading (:meth:`syncd.store.id_map.IdMap.seen_before`).
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from syncd.engine.canonical import canonical_datetime
from syncd.engine.keys import CrmRow
from syncd.engine.mapping import FieldMapping
from syncd.engine.model import DeletePolicy
from syncd.store.checkpoints import Checkpoint
from syncd.zoho import BulkQuery, ZohoClient, where

OVERLAP = timedelta(minutes=5)
CHUNK = 20_000
Progress = Callable[[str, int], None]


@dataclass
class CrmRead:
    """What the read learnt beyond the rows; filled in as the chunks are consumed."""

    complete: bool = False
    deleted_ids: dict[str, datetime | None] = field(default_factory=dict)
    newest: datetime | None = None  # the latest Modified_Time seen: the next incremental read's start
    pages: int = 0
    rows: int = 0


class RawRow(NamedTuple):
    """A bulk-read row as sent: the compared columns' cells (:attr:`FieldMapping.read_columns`)."""

    crm_id: str
    cells: tuple[str, ...]
    hash: str
    modified: str  # Modified_Time as sent: parsed only for the rows that are read in full

    def canonical(self, mapping: FieldMapping) -> CrmRow:
        values = mapping.crm_values(dict(zip(mapping.read_columns, self.cells, strict=True)))
        return CrmRow(self.crm_id, values, _modified(self.modified))


def wants_full_snapshot(checkpoint: Checkpoint, every: timedelta, now: datetime) -> bool:
    last = checkpoint.last_full_snapshot_at
    return last is None or checkpoint.cursor is None or now - last >= every


def raw_salt(mapping: FieldMapping) -> bytes:
    """Ties a raw hash to the columns and their types: a changed mapping or field type hashes anew."""
    described = "|".join(f"{name}:{mapping.type_of(name)}" for name in mapping.read_columns)
    return hashlib.blake2b(described.encode(), digest_size=16).digest()


def raw_hasher(salt: bytes) -> Callable[[Sequence[str]], str]:
    """The raw hash of a row's cells under ``salt`` (a keyed BLAKE2b, its key set up once)."""
    keyed = hashlib.blake2b(digest_size=12, key=salt)

    def raw_hash(cells: Sequence[str]) -> str:
        digest = keyed.copy()
        digest.update("\x1f".join(cells).encode())
        return digest.hexdigest()

    return raw_hash


def read_crm(
    zoho: ZohoClient,
    mapping: FieldMapping,
    checkpoint: Checkpoint,
    read: CrmRead,
    *,
    progress: Progress | None = None,
) -> Iterator[list[RawRow]]:
    """The module's rows in chunks; ``read`` (its ``complete`` says full or incremental) collects
    pages, the newest ``Modified_Time`` and, for a full snapshot with deletes on, the deleted ids."""
    module = mapping.pipeline.module
    if read.complete and mapping.pipeline.delete_policy is not DeletePolicy.OFF:
        # Asked before the snapshot: a record deleted while it is read is then missing from the
        # snapshot but not yet confirmed, and the next snapshot confirms it.
        read.deleted_ids = {
            item.id: canonical_datetime(item.deleted_time) for item in zoho.rest.deleted(module)
        }
    compared = mapping.read_columns
    columns = ("id", "Modified_Time", *(c for c in compared if c not in ("id", "Modified_Time")))
    criteria = None
    if not read.complete and checkpoint.cursor:
        since = datetime.fromisoformat(checkpoint.cursor) - OVERLAP
        criteria = where("Modified_Time", "greater_equal", since.isoformat(timespec="seconds"))
    hasher = raw_hasher(raw_salt(mapping))
    for _page, result in zoho.bulk_read.read_pages(BulkQuery(module, fields=columns, criteria=criteria)):
        read.pages += 1
        yield from _chunks(read, result, result.columns, compared, hasher)
        if progress:
            progress("pages", 1)


def _chunks(
    read: CrmRead,
    rows: Iterable[list[str]],
    header: Sequence[str],
    compared: Sequence[str],
    raw_hash: Callable[[Sequence[str]], str],
) -> Iterator[list[RawRow]]:
    position = {name.lower(): index for index, name in enumerate(header)}
    id_at, modified_at = position.get("id"), position.get("modified_time")
    wanted = [position.get(name.lower()) for name in compared]
    pick = _picker(wanted)
    width = len(header)
    chunk: list[RawRow] = []
    latest = _Latest()
    for row in rows:
        crm_id = row[id_at] if id_at is not None and id_at < len(row) else ""
        if not crm_id:
            continue
        if len(row) < width:
            row = row + [""] * (width - len(row))
        cells = pick(row)
        stamp = row[modified_at] if modified_at is not None else ""
        latest.see(stamp)
        chunk.append(RawRow(crm_id, cells, raw_hash(cells), stamp))
        if len(chunk) >= CHUNK:
            _close(read, chunk, latest)
            yield chunk
            chunk = []
    _close(read, chunk, latest)
    if chunk:
        yield chunk


def _picker(wanted: Sequence[int | None]) -> Callable[[Sequence[str]], tuple[str, ...]]:
    """Takes the cells at ``wanted`` (None: a column the page lacks, read as empty) as a tuple."""
    if len(wanted) >= 2 and None not in wanted:
        return operator.itemgetter(*(at for at in wanted if at is not None))
    return lambda row: tuple("" if at is None else row[at] for at in wanted)


class _Latest:
    """The latest of many ``Modified_Time`` texts, parsing few: texts of one shape (length and UTC
    offset, as Zoho writes them) compare as text, so only each shape's greatest is parsed."""

    def __init__(self) -> None:
        self.by_shape: dict[tuple[int, str], str] = {}

    def see(self, text: str) -> None:
        if text:
            shape = (len(text), text[19:])  # after YYYY-MM-DDTHH:MM:SS: the offset
            if text > self.by_shape.get(shape, ""):
                self.by_shape[shape] = text

    def latest(self) -> datetime | None:
        stamps = [stamp for text in self.by_shape.values() if (stamp := _modified(text)) is not None]
        self.by_shape.clear()
        return max(stamps, default=None)


def _close(read: CrmRead, chunk: list[RawRow], latest: _Latest) -> None:
    read.rows += len(chunk)
    newest = latest.latest()
    if newest is not None and (read.newest is None or newest > read.newest):
        read.newest = newest


def _modified(text: str) -> datetime | None:
    if not text:
        return None
    return canonical_datetime(text)
