"""Per-row outcomes of a bulk write, read from the result CSV and joined to the input by position.

The result CSV echoes some input columns and adds ``STATUS`` (ADDED / UPDATED / SKIPPED /
UNPROCESSED), ``RECORD_ID`` and ``ERRORS``, written as ``CODE-col1,col2:CODE2-col3``. Rows are in input
order, so row *i* of the result is row *i* of the batch. A result shorter than the batch marks the
missing rows UNPROCESSED (retryable) rather than losing them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from syncd.errors import ZohoAPIError
from syncd.zoho.errors import record_code_is_retryable

log = logging.getLogger(__name__)

SUCCESS_STATUSES = frozenset({"ADDED", "UPDATED"})


@dataclass(frozen=True)
class RowError:
    code: str
    columns: tuple[str, ...] = ()

    @property
    def retryable(self) -> bool:
        return record_code_is_retryable(self.code)


@dataclass(frozen=True)
class RowOutcome:
    index: int
    key: str
    status: str
    record_id: str | None
    errors: tuple[RowError, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in SUCCESS_STATUSES

    @property
    def retryable(self) -> bool:
        """A failed row worth sending again as it is (nothing in the data to fix)."""
        return not self.ok and (self.status == "UNPROCESSED" or all(error.retryable for error in self.errors))


def parse_errors(text: str) -> tuple[RowError, ...]:
    """``MANDATORY_NOT_FOUND-Company,Last_Name:DUPLICATE_DATA-Email`` -> two errors with their columns."""
    errors = []
    for chunk in filter(None, (part.strip() for part in text.split(":"))):
        code, _, columns = chunk.partition("-")
        names = tuple(name.strip() for name in columns.split(",") if name.strip())
        errors.append(RowError(code.strip().upper(), names))
    return tuple(errors)


def join_outcomes(rows: Iterator[list[str]], keys: Sequence[str], *, job_id: str) -> list[RowOutcome]:
    header = [name.strip().upper() for name in next(rows, [])]
    status_at, id_at, errors_at = (
        _column(header, name, job_id) for name in ("STATUS", "RECORD_ID", "ERRORS")
    )
    outcomes: list[RowOutcome] = []
    for index, row in enumerate(rows):
        if index >= len(keys):
            raise ZohoAPIError(
                f"bulk write result of job {job_id} has more rows than the {len(keys)} uploaded",
                code="RESULT_MISMATCH",
                job_id=job_id,
            )
        outcomes.append(_outcome(index, keys[index], row, status_at, id_at, errors_at))
    if len(outcomes) < len(keys):
        log.warning(
            "bulk write job %s reported %d of %d rows; the rest are unprocessed",
            job_id,
            len(outcomes),
            len(keys),
        )
        outcomes.extend(RowOutcome(i, keys[i], "UNPROCESSED", None) for i in range(len(outcomes), len(keys)))
    return outcomes


def _outcome(index: int, key: str, row: list[str], status_at: int, id_at: int, errors_at: int) -> RowOutcome:
    def cell(at: int) -> str:
        return row[at].strip() if at < len(row) else ""

    status = cell(status_at).upper() or "UNPROCESSED"
    record_id = cell(id_at) or None
    return RowOutcome(index, key, status, record_id, parse_errors(cell(errors_at)))


def _column(header: list[str], name: str, job_id: str) -> int:
    if name in header:
        return header.index(name)
    raise ZohoAPIError(
        f"bulk write result of job {job_id} has no {name} column (columns: {header})",
        code="RESULT_MISMATCH",
        job_id=job_id,
    )
