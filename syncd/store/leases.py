"""Leases: one process runs a pipeline at a time, across every replica sharing the database.

A lease has an expiry; the holder renews it while it works. A crashed holder's lease simply expires
and the next replica takes it over. Taking a lease is one atomic upsert (it overwrites the row only
if the holder is the same or the lease has expired) inside a locked transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping

from syncd.store.models import metadata

TABLE = metadata.tables["leases"]


@dataclass(frozen=True)
class Lease:
    pipeline: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


class Leases:
    def __init__(
        self, transaction: Callable[[], AbstractContextManager[Connection]], clock: Callable[[], datetime]
    ) -> None:
        self._transaction = transaction
        self._clock = clock

    def acquire(self, pipeline: str, holder: str, ttl: timedelta) -> Lease | None:
        """Take (or extend) the pipeline's lease; ``None`` while another holder's lease is unexpired."""
        now = self._clock()
        with self._transaction() as connection:
            row = connection.execute(_take(connection, pipeline, holder, now, now + ttl)).first()
        return None if row is None else _lease(row._mapping)

    def renew(self, pipeline: str, holder: str, ttl: timedelta) -> Lease | None:
        """Push the expiry out; ``None`` if ``holder`` no longer holds the lease (stop working!)."""
        now = self._clock()
        statement = (
            update(TABLE)
            .where(TABLE.c.pipeline == pipeline, TABLE.c.holder == holder, TABLE.c.expires_at > now)
            .values(expires_at=now + ttl)
            .returning(*TABLE.c)
        )
        with self._transaction() as connection:
            row = connection.execute(statement).first()
        return None if row is None else _lease(row._mapping)

    def release(self, pipeline: str, holder: str) -> bool:
        """Give the lease up; ``False`` if ``holder`` did not hold it."""
        statement = delete(TABLE).where(TABLE.c.pipeline == pipeline, TABLE.c.holder == holder)
        with self._transaction() as connection:
            return connection.execute(statement).rowcount > 0

    def holder(self, pipeline: str) -> Lease | None:
        """The unexpired lease on the pipeline, if any."""
        query = select(TABLE).where(TABLE.c.pipeline == pipeline, TABLE.c.expires_at > self._clock())
        with self._transaction() as connection:
            row = connection.execute(query).first()
        return None if row is None else _lease(row._mapping)


def _take(connection: Connection, pipeline: str, holder: str, now: datetime, expires_at: datetime) -> Any:
    """An upsert that overwrites the lease only if ``holder`` already has it or it has expired."""
    insert_ = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    values = {"holder": holder, "acquired_at": now, "expires_at": expires_at}
    statement = insert_(TABLE).values(pipeline=pipeline, **values)
    return statement.on_conflict_do_update(
        index_elements=["pipeline"],
        set_=values,
        where=or_(TABLE.c.holder == holder, TABLE.c.expires_at <= now),
    ).returning(*TABLE.c)


def _lease(row: RowMapping) -> Lease:
    return Lease(**dict(row))
