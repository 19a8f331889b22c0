"""The credit ledger: what syncd spent and reserved in Zoho's rolling 24-hour window, per org.

A run reserves what a batch will cost before spending it. :meth:`Credits.reserve` grants the
reservation only if ``limit - reserve - (spent + reserved in the last 24 hours)`` still covers it, and
does so under a lock (the org's ``credit_accounts`` row on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite),
so processes sharing the database can never spend the same credits twice. After the call the
reservation is committed (spent, at its real cost) or released.

Calls nobody reserves (job status, downloads, metadata, bulk read jobs) are counted by the Zoho client
and booked with :meth:`Credits.spend` in batches. Zoho's ``X-API-CREDITS-REMAINING`` header also
counts what other applications spent in the org; :meth:`Credits.correct` books that difference (less
what syncd spent and has not booked yet) as spent so the budget stays honest. Reservations left
behind by a crash fall out of the window after 24 hours like everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping

from syncd.errors import FatalError
from syncd.store.models import metadata

LEDGER = metadata.tables["credit_ledger"]
ACCOUNTS = metadata.tables["credit_accounts"]
WINDOW = timedelta(hours=24)
EXTERNAL_PURPOSE = "spent outside syncd (from X-API-CREDITS-REMAINING)"


class Status(StrEnum):
    RESERVED = "reserved"
    SPENT = "spent"
    RELEASED = "released"


@dataclass(frozen=True)
class CreditEntry:
    id: int
    org: str
    status: Status
    amount: int
    purpose: str
    at: datetime


@dataclass(frozen=True)
class CreditUsage:
    """An org's use of the current window."""

    org: str
    spent: int
    reserved: int

    @property
    def total(self) -> int:
        return self.spent + self.reserved

    def available(self, *, limit: int, reserve: int = 0) -> int:
        return max(0, limit - reserve - self.total)


class Credits:
    def __init__(
        self, transaction: Callable[[], AbstractContextManager[Connection]], clock: Callable[[], datetime]
    ) -> None:
        self._transaction = transaction
        self._clock = clock

    def reserve(self, org: str, amount: int, purpose: str, *, limit: int, reserve: int = 0) -> int | None:
        """Reserve ``amount`` credits; the reservation's id, or ``None`` if it does not fit the window."""
        if amount < 0:
            raise ValueError(f"cannot reserve a negative amount of credits ({amount})")
        with self._transaction() as connection:
            _lock_account(connection, org)
            if amount > self._usage(connection, org).available(limit=limit, reserve=reserve):
                return None
            return self._add(connection, org, Status.RESERVED, amount, purpose)

    def commit(self, reservation_id: int, amount: int | None = None) -> CreditEntry:
        """Mark a reservation spent, at ``amount`` if the real cost differs from the reserved one."""
        changes: dict[str, Any] = {"status": Status.SPENT.value, "at": self._clock()}
        if amount is not None:
            changes["amount"] = amount
        return self._settle(reservation_id, changes)

    def release(self, reservation_id: int) -> CreditEntry:
        """Give back a reservation that was not spent."""
        return self._settle(reservation_id, {"status": Status.RELEASED.value})

    def release_unspent(self, reservation_id: int) -> bool:
        """Give back a reservation unless it was spent or released already; whether it was given back.

        For cleaning up after work that failed part-way, where the credits may have been committed
        (Zoho charged for a job that failed later) or not.
        """
        with self._transaction() as connection:
            released = connection.execute(
                update(LEDGER)
                .where(LEDGER.c.id == reservation_id, LEDGER.c.status == Status.RESERVED.value)
                .values(status=Status.RELEASED.value)
            )
            return released.rowcount == 1

    def spend(self, org: str, amount: int, purpose: str) -> int:
        """Book credits already spent without a reservation (a call whose cost is not planned)."""
        with self._transaction() as connection:
            _lock_account(connection, org)
            return self._add(connection, org, Status.SPENT, amount, purpose)

    def usage(self, org: str) -> CreditUsage:
        with self._transaction() as connection:
            return self._usage(connection, org)

    def correct(self, org: str, remaining: int, *, limit: int, pending: int = 0) -> int:
        """Book what Zoho says was spent beyond our ledger (``limit - remaining`` against our window and
        the ``pending`` credits syncd spent but has not booked yet); returns the credits booked. A
        smaller figure from Zoho books nothing: the ledger stays cautious.
        """
        with self._transaction() as connection:
            _lock_account(connection, org)
            now = self._clock()
            connection.execute(
                update(ACCOUNTS)
                .where(ACCOUNTS.c.org == org)
                .values(reported_remaining=remaining, reported_at=now)
            )
            unknown = (limit - remaining) - self._usage(connection, org).total - pending
            if unknown <= 0:
                return 0
            self._add(connection, org, Status.SPENT, unknown, EXTERNAL_PURPOSE)
            return unknown

    def entries(self, org: str) -> list[CreditEntry]:
        """The org's ledger entries in the current window, oldest first."""
        with self._transaction() as connection:
            query = select(LEDGER).where(LEDGER.c.org == org, LEDGER.c.at > self._clock() - WINDOW)
            return [_entry(row._mapping) for row in connection.execute(query.order_by(LEDGER.c.id))]

    def _usage(self, connection: Connection, org: str) -> CreditUsage:
        query = (
            select(LEDGER.c.status, func.coalesce(func.sum(LEDGER.c.amount), 0))
            .where(
                LEDGER.c.org == org, LEDGER.c.at > self._clock() - WINDOW, LEDGER.c.status != Status.RELEASED
            )
            .group_by(LEDGER.c.status)
        )
        sums = {status: int(total) for status, total in connection.execute(query)}
        return CreditUsage(org=org, spent=sums.get(Status.SPENT, 0), reserved=sums.get(Status.RESERVED, 0))

    def _add(self, connection: Connection, org: str, status: Status, amount: int, purpose: str) -> int:
        values = {
            "org": org,
            "status": status.value,
            "amount": amount,
            "purpose": purpose,
            "at": self._clock(),
        }
        return int(connection.execute(insert(LEDGER).returning(LEDGER.c.id), values).scalar_one())

    def _settle(self, reservation_id: int, changes: Mapping[str, Any]) -> CreditEntry:
        with self._transaction() as connection:
            row = connection.execute(select(LEDGER).where(LEDGER.c.id == reservation_id)).first()
            if row is None or row.status != Status.RESERVED:
                state = "does not exist" if row is None else f"is already {row.status}"
                raise FatalError(f"credit reservation {reservation_id} {state}", reservation=reservation_id)
            connection.execute(update(LEDGER).where(LEDGER.c.id == reservation_id).values(dict(changes)))
            settled = connection.execute(select(LEDGER).where(LEDGER.c.id == reservation_id)).one()
            return _entry(settled._mapping)


def _lock_account(connection: Connection, org: str) -> None:
    """Create the org's account row if needed and lock it until the transaction ends."""
    insert_ = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(insert_(ACCOUNTS).values(org=org).on_conflict_do_nothing(index_elements=["org"]))
    connection.execute(select(ACCOUNTS.c.org).where(ACCOUNTS.c.org == org).with_for_update())


def _entry(row: RowMapping) -> CreditEntry:
    values = dict(row)
    values["status"] = Status(values["status"])
    return CreditEntry(**values)
