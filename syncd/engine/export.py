"""``syncd export``: a one-off bulk read of a whole module into a local file, for backups and migrations.

Every page is a bulk read job (50 credits) plus status and download calls (1 each); the pages stream
into one file (CSV: one header, then every page's rows; ICS for Events: one calendar holding every
page's events). The file appears under its name only when complete: a failed export leaves nothing
that looks like a backup. What the export cost is measured by counting the requests it sent.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import httpx

from syncd.config import CreditCosts
from syncd.errors import FatalError
from syncd.zoho import BulkQuery, BulkResult, ZohoClient
from syncd.zoho.query import Node

FileType = Literal["csv", "ics"]
OnPage = Callable[[int, int, bool], None]  # page number, records so far, more pages to come


class CallMeter(httpx.BaseTransport):
    """An HTTP transport that counts the Zoho API calls going through it (OAuth calls are free)."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self._inner = inner or httpx.HTTPTransport()
        self._lock = threading.Lock()
        self.read_jobs = 0
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        path = request.url.path
        if response.status_code < 400 and not path.startswith("/oauth/"):
            creates_read_job = request.method == "POST" and path.rstrip("/").endswith("/read")
            with self._lock:
                if creates_read_job and "/bulk/" in path:
                    self.read_jobs += 1
                else:
                    self.calls += 1
        return response

    def credits(self, costs: CreditCosts) -> int:
        return self.read_jobs * costs.bulk_read_job + self.calls * costs.call

    def close(self) -> None:
        self._inner.close()


@dataclass(frozen=True)
class ExportRequest:
    module: str
    output: Path
    fields: tuple[str, ...] = ()
    criteria: Node | None = None
    file_type: FileType = "csv"

    def query(self) -> BulkQuery:
        return BulkQuery(self.module, fields=self.fields, criteria=self.criteria, file_type=self.file_type)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    pages: int
    records: int


def export_module(zoho: ZohoClient, request: ExportRequest, *, on_page: OnPage | None = None) -> ExportResult:
    """Read every page of the module into ``request.output``; returns what was written."""
    query = request.query()
    query.validate()
    writer = _CsvPages() if request.file_type == "csv" else _IcsPages()
    pages = 0
    with _complete_file(request.output) as out:
        for page, result in zoho.bulk_read.read_pages(query):
            writer.write(result, out)
            pages = page.number
            if on_page is not None:
                on_page(page.number, writer.records, result.job.more_records)
        writer.finish(out)
    return ExportResult(request.output, pages, writer.records)


@contextmanager
def _complete_file(path: Path) -> Iterator[IO[str]]:
    """Write to ``PATH.part`` and rename it to ``PATH`` only if the block succeeds."""
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            yield out
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


class _CsvPages:
    """Pages of one CSV: the first page's header, then every page's rows in that column order."""

    def __init__(self) -> None:
        self.records = 0
        self._header: list[str] | None = None

    def write(self, result: BulkResult, out: IO[str]) -> None:
        writer = csv.writer(out)
        if self._header is None:
            self._header = list(result.columns)
            writer.writerow(self._header)
        order = self._order(result)
        for row in result:
            writer.writerow(row if order is None else [row[i] if i < len(row) else "" for i in order])
            self.records += 1

    def _order(self, result: BulkResult) -> list[int] | None:
        assert self._header is not None
        if result.columns == self._header:
            return None
        if sorted(result.columns) != sorted(self._header):
            raise FatalError(
                f"page {result.job.page} of the export has other columns than page 1: "
                f"{sorted(set(result.columns) ^ set(self._header))}",
                job_id=result.job.id,
            )
        return [result.columns.index(name) for name in self._header]

    def finish(self, out: IO[str]) -> None:
        if self._header is None:
            raise FatalError("the export produced no page")


class _IcsPages:
    """Pages of one calendar: the first page's calendar header, every page's events, one END."""

    def __init__(self) -> None:
        self.records = 0
        self._started = False

    def write(self, result: BulkResult, out: IO[str]) -> None:
        inside = False
        for raw in result.open_text():
            line = raw.rstrip("\r\n")
            if line == "BEGIN:VEVENT":
                inside = True
                self.records += 1
            if inside or (not self._started and line != "END:VCALENDAR"):
                out.write(line + "\r\n")
            if line == "END:VEVENT":
                inside = False
        self._started = True

    def finish(self, out: IO[str]) -> None:
        if not self._started:
            raise FatalError("the export produced no page")
        out.write("END:VCALENDAR\r\n")
