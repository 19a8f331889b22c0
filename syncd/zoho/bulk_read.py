"""Bulk read: create a job, wait, download the zip, stream its rows, page on.

Each step is callable on its own so the engine can checkpoint between them::

    job_id = reader.create_job(query)          # 50 credits
    job = reader.wait(job_id)                  # polling with backoff, or woken by a callback
    with reader.download(job) as result:       # spooled to a temporary file, 10 a minute at most
        for row in result: ...                 # lists of strings; result.columns names them

:meth:`BulkReader.read_pages` strings pages together while ``more_records`` (``page_token`` on v7+,
page numbers before), and creates a job again when its result has expired or its page token lapsed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from syncd.errors import ResultExpiredError, ZohoAPIError
from syncd.zoho.archive import ResultFile
from syncd.zoho.errors import expired_error
from syncd.zoho.jobs import (
    CallbackHub,
    JobTimer,
    PollPolicy,
    job_id_of,
    normalise_state,
    unwrap,
    wait_for_job,
)
from syncd.zoho.limits import DownloadLimiter
from syncd.zoho.metadata import FieldCatalog
from syncd.zoho.query import BulkQuery
from syncd.zoho.session import Charge, ZohoSession

log = logging.getLogger(__name__)

# Codes Zoho may answer when a page token is stale or belongs to a lapsed chain.
_LAPSED_TOKEN_CODES = frozenset(
    {
        "INVALID_PAGE_TOKEN",
        "PAGE_TOKEN_EXPIRED",
        "INVALID_TOKEN_ID",
        "PAGE_NOT_SUPPORTED",
        "RESOURCE_NOT_FOUND",
    }
)


@dataclass(frozen=True)
class ReadJob:
    id: str
    state: str
    page: int = 1
    count: int | None = None
    more_records: bool = False
    next_page_token: str | None = None
    download_url: str | None = None
    file_type: str = "csv"
    error_code: str | None = None
    error_message: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in {"COMPLETED", "FAILED"}

    @classmethod
    def parse(cls, payload: Any, *, fallback_id: str | None = None) -> ReadJob:
        job = unwrap(payload)
        result = job.get("result") if isinstance(job.get("result"), Mapping) else {}
        assert isinstance(result, Mapping)
        error = result.get("error_message") if isinstance(result.get("error_message"), Mapping) else {}
        assert isinstance(error, Mapping)
        return cls(
            id=job_id_of(job) or fallback_id or "",
            state=normalise_state(job.get("state") or job.get("status")),
            page=int(result.get("page") or 1),
            count=int(result["count"]) if result.get("count") is not None else None,
            more_records=_truthy(result.get("more_records")),
            next_page_token=result.get("next_page_token") or None,
            download_url=result.get("download_url") or None,
            file_type=str(job.get("file_type") or "csv").lower(),
            error_code=error.get("code"),
            error_message=error.get("message"),
        )


class BulkResult(ResultFile):
    """A downloaded page. Iterating yields data rows as lists; :attr:`columns` names them."""

    def __init__(self, *args: Any, job: ReadJob, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        self._rows = self.csv_rows() if job.file_type == "csv" else iter(())
        self.columns: list[str] = next(self._rows, []) if job.file_type == "csv" else []

    @property
    def id_column(self) -> int | None:
        """Index of the record-id column, spelt ``Id`` or ``id``."""
        for index, name in enumerate(self.columns):
            if name.lower() == "id":
                return index
        return None

    def __iter__(self) -> Iterator[list[str]]:
        return self._rows

    def records(self) -> Iterator[dict[str, str]]:
        columns = self.columns
        for row in self._rows:
            yield dict(zip(columns, row, strict=False))


@dataclass(frozen=True)
class Page:
    number: int
    job: ReadJob
    query: BulkQuery


class BulkReader:
    def __init__(
        self,
        session: ZohoSession,
        *,
        limiter: DownloadLimiter,
        catalog: FieldCatalog | None = None,
        poll: PollPolicy | None = None,
        callbacks: CallbackHub | None = None,
        callback_url: str | None = None,
        timer: JobTimer | None = None,
        spool_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self._session = session
        self._endpoints = session.endpoints
        self._limiter = limiter
        self._catalog = catalog
        self._poll = poll or PollPolicy()
        self._hub = callbacks
        self._callback_url = callback_url if callbacks is not None else None
        self._timer = timer or JobTimer()
        self._spool_dir = spool_dir

    # -- one step at a time ----------------------------------------------------------------------------

    def create_job(self, query: BulkQuery) -> str:
        needs_metadata = self._catalog is not None and (query.fields or query.criteria is not None)
        metadata = self._catalog.fields(query.module) if self._catalog and needs_metadata else None
        query.validate(metadata)
        body = query.to_request(version=self._endpoints.numeric_version, callback_url=self._callback_url)
        answer = self._session.call(
            "POST",
            self._endpoints.bulk_path("read"),
            json=body,
            what="create a bulk read job",
            idempotent=False,
            charge=Charge.BULK_READ_JOB,
            context={"module": query.module},
        )
        job_id = job_id_of(unwrap(answer.payload))
        if job_id is None:
            raise ZohoAPIError(
                "Zoho created a bulk read job but named no id", code="NO_JOB_ID", module=query.module
            )
        self._timer.created(job_id)
        log.info("bulk read job %s created for %s (page %s)", job_id, query.module, query.page or 1)
        return job_id

    def status(self, job_id: str) -> ReadJob:
        answer = self._session.call(
            "GET",
            self._endpoints.bulk_path("read", job_id),
            what="read bulk read job status",
            context={"job_id": job_id},
        )
        return ReadJob.parse(answer.payload, fallback_id=job_id)

    def wait(self, job_id: str) -> ReadJob:
        return wait_for_job(
            "read",
            job_id,
            self.status,
            policy=self._poll,
            hub=self._hub,
            timer=self._timer,
            failed_code="FAILURE",
        )

    def download(self, job: ReadJob | str) -> BulkResult:
        """Spool the result zip to a temporary file and open it; raises ResultExpiredError after 24 h."""
        if isinstance(job, str):
            job = self.status(job)
        url = job.download_url or self._endpoints.bulk_path("read", job.id, "result")
        path, handle = ResultFile.spool(self._spool_dir, job.id)
        try:
            with handle:
                self._fetch(url, handle, job.id)
            return BulkResult(path, label=f"bulk read result {job.id}", job=job)
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def _fetch(self, url: str, handle: Any, job_id: str) -> None:
        try:
            self._session.download(
                url,
                handle,
                what="download a bulk read result",
                context={"job_id": job_id},
                before_attempt=self._limiter.acquire,
            )
        except ZohoAPIError as exc:
            if exc.code == "RESOURCE_NOT_FOUND" or exc.http_status == 404:
                raise expired_error(f"the result of bulk read job {job_id}", job_id=job_id) from None
            raise

    # -- pages -----------------------------------------------------------------------------------------

    def run_page(self, query: BulkQuery) -> ReadJob:
        """Create a job for this page and wait for it, recovering from a lapsed page token."""
        try:
            job_id = self.create_job(query)
        except ZohoAPIError as exc:
            if not (query.page_token and is_lapsed_token(exc)):
                raise
            log.warning("page token for %s page %s lapsed (%s)", query.module, query.page, exc.code)
            job_id = self._recreate(query)
        return self.wait(job_id)

    def _recreate(self, query: BulkQuery) -> str:
        """Ask for the page by number; where Zoho wants a token for it, walk the chain again for one."""
        page = query.page or 1
        try:
            return self.create_job(query.at_page(page, None))
        except ZohoAPIError as exc:
            log.warning(
                "%s page %s by number refused (%s); renewing the page token chain",
                query.module,
                page,
                exc.code,
            )
        current = query.at_page(1, None)
        for _ in range(page - 1):
            job = self.wait(self.create_job(current))  # 50 credits a step, no download
            if not job.more_records or not job.next_page_token:
                raise ZohoAPIError(
                    f"{query.module} has no page {page} any more (page {current.page} was the last)",
                    code="PAGE_RANGE_EXCEEDED",
                    module=query.module,
                )
            current = current.at_page((current.page or 1) + 1, job.next_page_token)
        return self.create_job(current)

    def fetch_page(self, query: BulkQuery, job: ReadJob) -> BulkResult:
        """Download a finished page; if the result expired, run the page's job again and download that."""
        try:
            return self.download(job)
        except ResultExpiredError:
            log.warning("result of bulk read job %s expired; creating the job again", job.id)
            return self.download(self.run_page(query))

    def read_pages(
        self, query: BulkQuery, *, first_job: str | None = None
    ) -> Iterator[tuple[Page, BulkResult]]:
        """Every page of ``query``; each result is closed (its spool deleted) when the next is asked for.

        ``first_job``: a job already created for the first page (:meth:`create_job`), so that Zoho
        builds it while the caller does other work; it is waited for instead of created again.
        """
        current = query if query.page else query.at_page(1, None)
        while True:
            if first_job is not None:
                job, first_job = self.wait(first_job), None
            else:
                job = self.run_page(current)
            with self.fetch_page(current, job) as result:
                yield Page(current.page or 1, result.job, current), result
                job = result.job
            if not job.more_records:
                return
            current = current.at_page((current.page or 1) + 1, job.next_page_token)

    def read_all(self, query: BulkQuery) -> Iterator[dict[str, str]]:
        """Every record of every page as a dict keyed by column name."""
        for _page, result in self.read_pages(query):
            yield from result.records()


def is_lapsed_token(error: ZohoAPIError) -> bool:
    """Zoho's answer to a stale page token is undocumented: a token code, or any refusal naming page_token."""
    named = error.details.get("api_name") == "page_token" or "page_token" in error.message
    return error.code in _LAPSED_TOKEN_CODES or named


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)
