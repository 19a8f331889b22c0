"""A bulk-read job: when its time comes it fixes the match set, writes its page and says what it did.

The match set is the module's records that pass the criteria, in insertion order (bulk read does
not sort). The page is the slice ``offset .. offset + per_page`` of it; when records remain, a v7+
job (and every Bigin job) hands out a ``next_page_token`` for the following page.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from syncd.emulator.bulk_read.columns import Row
from syncd.emulator.bulk_read.export import PageCache, PageText, write_csv, write_ics, write_text
from syncd.emulator.bulk_read.query import Callback, ReadQuery
from syncd.emulator.bulk_read.tokens import PageTokens
from syncd.emulator.jobs import BulkJob
from syncd.emulator.state import EmulatorState
from syncd.emulator.values import format_datetime

log = logging.getLogger(__name__)

RETENTION_SECONDS = 24 * 3600
INTERNAL_ERROR = {
    "status": "error",
    "code": "INTERNAL_SERVER_ERROR",
    "message": "Internal server error occurred.",
    "details": {},
}


class ReadJob(BulkJob):
    operation = "read"
    queued_phase = True

    def __init__(
        self,
        state: EmulatorState,
        query: ReadQuery,
        *,
        version: str,
        user_id: int,
        callback: Callback | None,
        tokens: PageTokens[ReadQuery],
        directory: Path,
        doomed: bool = False,
        pages: PageCache | None = None,
    ) -> None:
        super().__init__(
            state.ids.next(),
            query.product,
            version,
            user_id,
            state.clock.time(),
            state.settings.job_seconds,
            callback.as_dict() if callback else None,
        )
        self.state = state
        self.query = query
        self.tokens = tokens
        self.pages = pages
        self.path = directory / f"{self.id}.zip"
        self.doomed = doomed  # the fail_next_jobs fault picked this job
        self.outcome: str | None = None  # COMPLETED or FAILURE once finished
        self.result: dict[str, Any] | None = None
        self.completed_at: float | None = None

    @property
    def member(self) -> str:
        return f"{self.id}.{self.query.file_type}"

    @property
    def download_url(self) -> str:
        return f"/{self.product}/bulk/{self.version}/read/{self.id}/result"

    def hands_out_tokens(self) -> bool:
        return self.product == "bigin" or float(self.version.lstrip("v")) >= 7

    def expired(self, now: float) -> bool:
        return self.completed_at is not None and now - self.completed_at >= RETENTION_SECONDS

    # -- the work --------------------------------------------------------------------------------
    def execute(self) -> None:
        if self.doomed:
            self._fail()
            return
        try:
            self._export()
        except Exception:  # a job that cannot finish ends in FAILURE, as Zoho's do
            log.exception("bulk read job %s could not write its result", self.id)
            self._fail()

    def _fail(self) -> None:
        self.result = {"error_message": dict(INTERNAL_ERROR)}
        self.outcome = "FAILURE"

    def _matches(self) -> Iterator[tuple[int, Row]]:
        rows = self.state.records.iter_rows(self.product, self.query.module.api_name)
        criteria = self.query.criteria
        if criteria is None:
            return rows
        keep = criteria.predicate
        return ((record_id, row) for record_id, row in rows if keep(row))

    def _export(self) -> None:
        query, zone = self.query, self.state.zone
        key, changes = self._cache_key(), self.state.records.changes  # counted before reading a row
        kept = self.pages.get(key, changes) if self.pages and key else None
        if kept is not None:
            text, count, more = kept
            write_text(self.path, self.member, text)
        else:
            matches = self._matches()
            page = itertools.islice(matches, query.offset, query.offset + query.per_page)
            keep = PageText(self.pages.budget) if self.pages and key else None
            if query.file_type == "ics":
                count = write_ics(self.path, self.member, query.module, page, zone)
            else:
                count = write_csv(self.path, self.member, query.columns, page, zone, keep=keep)
            more = next(matches, None) is not None
            rendered = keep.text() if keep is not None else None
            if self.pages and key and rendered is not None:
                self.pages.put(key, changes, rendered, count, more)
        now = self.state.clock.time()
        self.result = {
            "page": query.page,
            "per_page": query.per_page,
            "count": count,
            "download_url": self.download_url,
            "more_records": more,
        }
        if more and self.hands_out_tokens():
            offset = query.offset + count
            self.result["next_page_token"] = self.tokens.issue(query, offset, self.user_id, now)
        self.completed_at = now
        self.outcome = "COMPLETED"

    def _cache_key(self) -> tuple[object, ...] | None:
        """What a CSV page of the whole module depends on besides the records (None: not kept)."""
        query = self.query
        if query.file_type != "csv" or query.criteria is not None:
            return None
        columns = tuple(column.name for column in query.columns)
        return (
            query.product,
            query.module.api_name,
            columns,
            query.offset,
            query.per_page,
            str(self.state.zone),
        )

    # -- how it looks ----------------------------------------------------------------------------
    def details(self, base_url: str = "") -> dict[str, Any]:
        """``{"data": [job]}`` as the status endpoint and the callback (v7 form) show it."""
        return {"data": [self.describe()]}

    def describe(self) -> dict[str, Any]:
        state = self.outcome if self.finished and self.outcome else self.phase(self.state.clock.time())
        legacy = self.product == "crm" and self.version == "v2"
        module_id = self.state.module_ids.get((self.product, self.query.module.api_name), 0)
        user = self.state.records.user(self.user_id)
        job: dict[str, Any] = {
            "id": str(self.id),
            "operation": self.operation,
            "state": state,
            "query": self.query.echo(legacy, module_id),
            "created_by": user.ref() if user else {"id": str(self.user_id), "name": None},
            "created_time": format_datetime(int(self.created_at), self.state.zone),
            "file_type": self.query.file_type,
        }
        if state in {"COMPLETED", "FAILURE"} and self.result is not None:
            job["result"] = self.result
        return job
