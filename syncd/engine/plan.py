"""The plan: which changes go to the CRM how, what that costs, and what waits for the next window.

Pure: changes, a cost table and the credits left in, batches out. Zoho charges per call, not per
row: a bulk write job costs 500 credits whatever it carries (up to 25,000 rows and 200 columns),
a REST upsert 1 credit per 10 records (up to 100 per call). So REST is cheaper below about 5,000
records and bulk above. The planner cuts the upserts into chunks of at most 25,000 rows and sends
each chunk by the cheaper path (a tie goes to bulk: fewer calls), unless the pipeline pins a path:

* 60,000 changed records → 25,000 + 25,000 + 10,000 → 3 bulk write jobs, 1,500 credits;
* 300 changed records → 3 REST upserts of 100 → 30 credits;
* 26,000 changed records → 1 bulk job (500) and 1,000 rows by REST (100): 600 credits, not 1,000.

A record whose ``find_by`` value changes on the source (a customer's new email address) cannot be
found by that value: the planner sends it by its CRM id instead (``by_id``), in batches of their own,
by a bulk write ``update`` job matched on ``id`` or a REST update, at the same prices.

Deletes go by REST, 100 ids a call. A batch that does not fit in the credits left (``daily_limit -
reserve - spent``) is deferred with the reason; the diff brings its rows back in a later run.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from syncd.engine.model import Action, Change, WritePath

BULK_MAX_ROWS = 25_000
BULK_MAX_COLUMNS = 200
REST_MAX_ROWS = 100
ID = "id"  # what rows whose find_by value changes are matched on


@dataclass(frozen=True)
class CostTable:
    """Credits Zoho charges per operation (``[credits.costs]`` in the configuration)."""

    bulk_write_job: int = 500
    bulk_read_job: int = 50
    rest_upsert_per_10: int = 1
    call: int = 1

    def rest_upsert(self, rows: int) -> int:
        """One REST upsert call of ``rows`` records (at most 100)."""
        return math.ceil(rows / 10) * self.rest_upsert_per_10

    def bulk_reads(self, pages: int) -> int:
        """A snapshot of ``pages`` pages (200,000 records each) takes one bulk read job per page."""
        return pages * self.bulk_read_job


@dataclass(frozen=True)
class Budget:
    """The rolling 24-hour window: a run may spend ``daily_limit - reserve - spent``, no more."""

    daily_limit: int
    reserve: int
    spent: int = 0

    @property
    def left(self) -> int:
        return max(self.daily_limit - self.reserve - self.spent, 0)


class BatchKind(StrEnum):
    BULK_WRITE = "bulk_write"  # one bulk write upsert job
    BULK_UPDATE = "bulk_update"  # one bulk write update job, records matched on id
    REST_UPSERT = "rest_upsert"  # one REST upsert call
    REST_UPDATE = "rest_update"  # one REST update call, records named by id
    REST_DELETE = "rest_delete"  # one REST delete call


@dataclass(frozen=True)
class Batch:
    """One job or call: its changes, the columns it carries (``find_by`` first) and its cost.

    Whoever carries out the batch adds each row's ``find_by`` value (for an update the change holds
    only the fields that changed); for a batch matched on ``id`` (:attr:`find_by`), its CRM id.
    """

    kind: BatchKind
    changes: tuple[Change, ...]
    columns: tuple[str, ...]
    cost: int

    @property
    def rows(self) -> int:
        return len(self.changes)

    @property
    def find_by(self) -> str:
        """The field the rows are matched on: the pipeline's ``find_by``, or ``id``."""
        return self.columns[0]


@dataclass(frozen=True)
class Deferred:
    batch: Batch
    reason: str


@dataclass(frozen=True)
class Plan:
    """The batches to run now, in order, and those that wait for credits."""

    batches: tuple[Batch, ...]
    deferred: tuple[Deferred, ...]
    credits_left: int

    @property
    def cost(self) -> int:
        return sum(batch.cost for batch in self.batches)

    @property
    def rows(self) -> int:
        return sum(batch.rows for batch in self.batches)

    @property
    def deferred_rows(self) -> int:
        return sum(item.batch.rows for item in self.deferred)

    def count(self, kind: BatchKind) -> int:
        return sum(1 for batch in self.batches if batch.kind is kind)


def plan_push(
    changes: Sequence[Change],
    *,
    find_by: str,
    costs: CostTable,
    credits_left: int,
    path: WritePath = WritePath.AUTO,
    by_id: Collection[str] = frozenset(),
) -> Plan:
    """Batch the changes aimed at the CRM and fit them into ``credits_left``; the keys in ``by_id``
    (known records whose ``find_by`` value changes) are matched on their CRM id."""
    writes = [change for change in changes if change.action is not Action.DELETE]
    upserts = [change for change in writes if change.key not in by_id]
    updates = [change for change in writes if change.key in by_id]
    deletes = [change for change in changes if change.action is Action.DELETE]
    batches = [
        *(
            batch
            for chunk in _chunks(upserts, BULK_MAX_ROWS)
            for batch in _route(chunk, find_by, costs, path)
        ),
        *(
            batch
            for chunk in _chunks(updates, BULK_MAX_ROWS)
            for batch in _route(chunk, ID, costs, path, by_id=True)
        ),
        *(_delete_batch(chunk, find_by, costs) for chunk in _chunks(deletes, REST_MAX_ROWS)),
    ]
    return _fit(batches, credits_left)


def _route(
    chunk: Sequence[Change], find_by: str, costs: CostTable, path: WritePath, *, by_id: bool = False
) -> list[Batch]:
    rest_kind = BatchKind.REST_UPDATE if by_id else BatchKind.REST_UPSERT
    if path is WritePath.REST:
        return _rest_batches(chunk, find_by, costs, rest_kind)
    bulk = _bulk_batches(chunk, find_by, costs, BatchKind.BULK_UPDATE if by_id else BatchKind.BULK_WRITE)
    if path is WritePath.BULK or _total(bulk) <= _rest_cost(len(chunk), costs):
        return bulk
    return _rest_batches(chunk, find_by, costs, rest_kind)


def _rest_cost(rows: int, costs: CostTable) -> int:
    """What :func:`_rest_batches` would cost for ``rows`` rows, without building them."""
    full, rest = divmod(rows, REST_MAX_ROWS)
    return full * costs.rest_upsert(REST_MAX_ROWS) + (costs.rest_upsert(rest) if rest else 0)


def _bulk_batches(
    chunk: Sequence[Change], find_by: str, costs: CostTable, kind: BatchKind = BatchKind.BULK_WRITE
) -> list[Batch]:
    """One job per group of at most 200 columns (each carrying ``find_by``) that has rows.

    A row goes into every group holding one of its fields; a row with no field besides ``find_by``
    goes into the first group.
    """
    groups = _column_groups(chunk, find_by)
    if len(groups) == 1:  # every row has a field of the one group, or goes into it for want of any
        return [Batch(kind, tuple(chunk), groups[0], costs.bulk_write_job)]
    batches = []
    for index, columns in enumerate(groups):
        carried = set(columns[1:])
        rows = tuple(
            change
            for change in chunk
            if carried & change.values.keys() or (index == 0 and not change.values.keys() - {find_by})
        )
        if rows:
            batches.append(Batch(kind, rows, columns, costs.bulk_write_job))
    return batches


def _rest_batches(
    chunk: Sequence[Change], find_by: str, costs: CostTable, kind: BatchKind = BatchKind.REST_UPSERT
) -> list[Batch]:
    return [
        Batch(kind, rows, _columns(rows, find_by), costs.rest_upsert(len(rows)))
        for rows in _chunks(chunk, REST_MAX_ROWS)
    ]


def _delete_batch(rows: tuple[Change, ...], find_by: str, costs: CostTable) -> Batch:
    return Batch(BatchKind.REST_DELETE, rows, (find_by,), costs.call)


def _columns(rows: Sequence[Change], find_by: str) -> tuple[str, ...]:
    others = sorted(set().union(*(change.values.keys() for change in rows)) - {find_by})
    return (find_by, *others)


def _column_groups(rows: Sequence[Change], find_by: str) -> list[tuple[str, ...]]:
    others = _columns(rows, find_by)[1:]
    width = BULK_MAX_COLUMNS - 1
    groups = [(find_by, *others[start : start + width]) for start in range(0, len(others), width)]
    return groups or [(find_by,)]


def _chunks(items: Sequence[Change], size: int) -> list[tuple[Change, ...]]:
    return [tuple(items[start : start + size]) for start in range(0, len(items), size)]


def _total(batches: Sequence[Batch]) -> int:
    return sum(batch.cost for batch in batches)


def _fit(batches: Sequence[Batch], credits_left: int) -> Plan:
    """Take batches in order while they fit; defer the rest, saying why."""
    left = credits_left
    taken: list[Batch] = []
    deferred: list[Deferred] = []
    for batch in batches:
        if batch.cost <= left:
            taken.append(batch)
            left -= batch.cost
        else:
            reason = (
                f"needs {batch.cost} credits but only {left} are left in this 24-hour window "
                "(after the reserve); it runs when credits free up"
            )
            deferred.append(Deferred(batch, reason))
    return Plan(tuple(taken), tuple(deferred), credits_left)
