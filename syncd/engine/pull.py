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

A full snapshot's page goes one step further when given :class:`Pages`: a page whose compressed
CSV is the one remembered (:mod:`syncd.store.pages`) is not parsed at all; its rows are counted
from the memory.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

import syncd
from syncd.engine.canonical import canonical_datetime
from syncd.engine.keys import CrmRow
from syncd.engine.mapping import FieldMapping
from syncd.engine.model import DeletePolicy
from syncd.errors import ZohoAPIError
from syncd.store.checkpoints import Checkpoint
from syncd.store.pages import RememberedPage
from syncd.zoho import BulkQuery, Page, ZohoClient, where
from syncd.zoho.bulk_read import is_lapsed_token

OVERLAP = timedelta(minutes=5)
CHUNK = 20_000
Progress = Callable[[str, int], None]


@dataclass
class CrmRead:
    """What the read learnt beyond the rows; filled in as the chunks are consumed."""

    complete: bool = False
    resumed_at: int | None = None  # the page a snapshot an earlier run left unfinished went on at
    notes: list[str] = field(default_factory=list)
    deleted_ids: dict[str, datetime | None] = field(default_factory=dict)
    newest: datetime | None = None  # the latest Modified_Time seen: the next incremental read's start
    pages: int = 0
    rows: int = 0


@dataclass
class _Tally:
    """One page's rows and latest ``Modified_Time``."""

    rows: int = 0
    newest: datetime | None = None

    def add(self, rows: int, newest: datetime | None) -> None:
        self.rows += rows
        if newest is not None and (self.newest is None or newest > self.newest):
            self.newest = newest


class Pages(Protocol):
    """What a full snapshot asks about each page (:class:`syncd.engine.walk.Walk` answers)."""

    def known(self, number: int, digest: str) -> RememberedPage | None:
        """The remembered page, if this one is it and may be skipped; else None (it is read)."""

    def read(self, number: int, digest: str, rows: int, newest: str) -> None:
        """The page was read in full: ``rows`` rows, its latest ``Modified_Time`` ``newest``."""

    def done(self, page: Page) -> None:
        """Every row of ``page`` was handed on (skipped or read): the place to checkpoint it."""


class CrmStart(NamedTuple):
    """A CRM read under way: its query and the first page's job, created before the source is read."""

    query: BulkQuery
    job_id: str


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


def page_key(mapping: FieldMapping, columns: Sequence[str]) -> bytes:
    """The key of a page digest: the raw salt, the query's columns and this syncd's version (whose
    canonical forms the remembered state was taken with)."""
    described = "|".join([mapping.pipeline.module, syncd.__version__, *columns]).encode()
    return hashlib.blake2b(raw_salt(mapping) + described, digest_size=32).digest()


def raw_hasher(salt: bytes) -> Callable[[Sequence[str]], str]:
    """The raw hash of a row's cells under ``salt`` (a keyed BLAKE2b, its key set up once)."""
    keyed = hashlib.blake2b(digest_size=12, key=salt)

    def raw_hash(cells: Sequence[str]) -> str:
        digest = keyed.copy()
        digest.update("\x1f".join(cells).encode())
        return digest.hexdigest()

    return raw_hash


def start_crm_read(
    zoho: ZohoClient, mapping: FieldMapping, checkpoint: Checkpoint, read: CrmRead, now: datetime
) -> CrmStart:
    """Ask what must be asked before the snapshot, and create the first page's bulk-read job.

    Zoho builds the page while the caller reads the source; :func:`read_crm` then waits for it. A
    full snapshot an earlier run left unfinished (``checkpoint.snapshot_page``) goes on at the next
    page while its page token lasts; ``read`` then says where (``resumed_at``) and is not complete:
    the records of the pages read before are not seen again, so no delete can be confirmed.
    """
    module = mapping.pipeline.module
    compared = mapping.read_columns
    columns = ("id", "Modified_Time", *(c for c in compared if c not in ("id", "Modified_Time")))
    if read.complete and checkpoint.snapshot_page is not None:
        resumed = _resume(zoho, BulkQuery(module, fields=columns), checkpoint, read, now)
        if resumed is not None:
            return resumed
    if read.complete and mapping.pipeline.delete_policy is not DeletePolicy.OFF:
        # Asked before the snapshot: a record deleted while it is read is then missing from the
        # snapshot but not yet confirmed, and the next snapshot confirms it.
        read.deleted_ids = {
            item.id: canonical_datetime(item.deleted_time) for item in zoho.rest.deleted(module)
        }
    criteria = None
    if not read.complete and checkpoint.cursor:
        since = datetime.fromisoformat(checkpoint.cursor) - OVERLAP
        criteria = where("Modified_Time", "greater_equal", since.isoformat(timespec="seconds"))
    query = BulkQuery(module, fields=columns, criteria=criteria).at_page(1, None)
    return CrmStart(query, zoho.bulk_read.create_job(query))


def _resume(
    zoho: ZohoClient, query: BulkQuery, checkpoint: Checkpoint, read: CrmRead, now: datetime
) -> CrmStart | None:
    """The first job of the rest of an unfinished snapshot, or None (with a note) to start afresh."""
    assert checkpoint.snapshot_page is not None
    page = checkpoint.snapshot_page + 1
    if checkpoint.page_token is not None and not checkpoint.page_token_usable(now):
        read.notes.append(
            f"the unfinished snapshot's token for page {page} has expired (they last 24 hours): "
            "reading the module again from page 1"
        )
        return None
    resumed = query.at_page(page, checkpoint.page_token)
    try:
        job_id = zoho.bulk_read.create_job(resumed)
    except ZohoAPIError as error:
        if not is_lapsed_token(error):
            raise
        read.notes.append(
            f"Zoho would not go on with the unfinished snapshot at page {page} ({error.code}): "
            "reading the module again from page 1"
        )
        return None
    read.complete, read.resumed_at = False, page
    read.notes.append(
        f"went on with the snapshot an earlier run left at page {page - 1}: pages 1-{page - 1} are not "
        "read again; CRM deletes wait for the next full snapshot, which the next run takes"
    )
    return CrmStart(resumed, job_id)


def read_crm(
    zoho: ZohoClient,
    mapping: FieldMapping,
    start: CrmStart,
    read: CrmRead,
    *,
    progress: Progress | None = None,
    pages: Pages | None = None,
) -> Iterator[list[RawRow]]:
    """The module's rows in chunks, from the read :func:`start_crm_read` began; ``read`` (its
    ``complete`` says full or incremental) collects pages, the newest ``Modified_Time`` and, for a
    full snapshot with deletes on, the deleted ids. With ``pages``, a full snapshot's pages that
    ``pages`` knows are counted, not parsed."""
    compared = mapping.read_columns
    columns = start.query.fields
    hasher = raw_hasher(raw_salt(mapping))
    key = page_key(mapping, columns)
    for page, result in zoho.bulk_read.read_pages(start.query, first_job=start.job_id):
        read.pages += 1
        skippable = pages is not None and read.complete and result.job.file_type == "csv"
        digest = result.entry_digest(key) if skippable else None
        known = pages.known(page.number, digest) if pages is not None and digest else None
        tally = _Tally()
        if known is not None:
            tally.add(known.rows, _modified(known.newest))
            read.rows += known.rows
        else:
            yield from _chunks(read, tally, result, result.columns, compared, hasher)
            if pages is not None and digest:
                pages.read(page.number, digest, tally.rows, tally.newest.isoformat() if tally.newest else "")
        if tally.newest is not None and (read.newest is None or tally.newest > read.newest):
            read.newest = tally.newest
        if pages is not None:
            pages.done(page)
        if progress:
            progress("pages", 1)


def _chunks(
    read: CrmRead,
    tally: _Tally,
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
            _close(read, tally, chunk, latest)
            yield chunk
            chunk = []
    _close(read, tally, chunk, latest)
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


def _close(read: CrmRead, tally: _Tally, chunk: list[RawRow], latest: _Latest) -> None:
    read.rows += len(chunk)
    tally.add(len(chunk), latest.latest())


def _modified(text: str) -> datetime | None:
    if not text:
        return None
    return canonical_datetime(text)
