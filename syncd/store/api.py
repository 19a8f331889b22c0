"""The state store's single entry point.

::

    store = StateStore.open("sqlite:////var/lib/syncd/syncd.sqlite", clock=clock)
    with store.transaction() as tx:                      # one atomic unit of work
        known = tx.records.fingerprints("contacts", keys)
        tx.records.upsert("contacts", changed)
        tx.journal.advance(entry.id, Step.APPLIED)
    reservation = store.credits.reserve("org1", 500, "bulk write contacts", limit=50_000, reserve=5_000)
    lease = store.leases.acquire("contacts", holder="host-1:4242", ttl=timedelta(minutes=5))

Everything that must be atomic with the data it describes goes through :meth:`StateStore.transaction`:
checkpoints, ID map, record state, journal, rejects, conflicts, runs. Credits and leases are shared
between processes; each of their calls is its own short locked transaction, so a lock is never held
across a long piece of work (and calling them inside ``transaction()`` is an error, not a deadlock).
Every method returns plain frozen dataclasses, never ORM objects.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from syncd.store import schema
from syncd.store.checkpoints import Checkpoints
from syncd.store.conflicts import Conflicts
from syncd.store.credits import Credits
from syncd.store.database import BEGIN_MODE_OPTION, create_store_engine, default_database_url, is_sqlite
from syncd.store.id_map import IdMap
from syncd.store.journal import Journal
from syncd.store.leases import Leases
from syncd.store.pages import SnapshotPages
from syncd.store.records import Records
from syncd.store.rejects import Rejects
from syncd.store.runs import Runs
from syncd.store.tokens import StoreTokenCache
from syncd.store.types import utc_now

Clock = Callable[[], datetime]


class Transaction:
    """The store's tables inside one database transaction; all of it commits or none of it does."""

    def __init__(self, connection: Connection, clock: Clock) -> None:
        self.connection = connection
        self.checkpoints = Checkpoints(connection, clock)
        self.id_map = IdMap(connection, clock)
        self.records = Records(connection, clock)
        self.pages = SnapshotPages(connection, clock)
        self.journal = Journal(connection, clock)
        self.rejects = Rejects(connection, clock)
        self.conflicts = Conflicts(connection, clock)
        self.runs = Runs(connection, clock)


class StateStore:
    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self._writing = threading.local()
        self.credits = Credits(self._locked, clock)
        self.leases = Leases(self._locked, clock)

    @classmethod
    def open(cls, url: str | None = None, *, clock: Clock = utc_now, upgrade: bool = True) -> StateStore:
        """Connect to ``url`` (default: the SQLite file in the state directory) and bring its schema
        to this version of syncd; with ``upgrade=False`` an outdated schema is an error instead.
        A schema written by a newer syncd is always refused (:class:`~syncd.errors.ConfigError`).
        """
        engine = create_store_engine(url or default_database_url())
        try:
            schema.ensure_current(engine, upgrade_allowed=upgrade)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=clock)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A read-write transaction, committed when the block ends and rolled back on an exception."""
        with self._locked() as connection:
            yield Transaction(connection, self.clock)

    @contextmanager
    def snapshot(self) -> Iterator[Transaction]:
        """A read-only view: consistent reads that never wait for a writer; writing in it is an error."""
        with self.engine.connect() as connection:
            _read_only(connection, True)
            transaction = connection.begin()
            try:
                yield Transaction(connection, self.clock)
            finally:
                transaction.rollback()
                _read_only(connection, False)

    def token_cache(self) -> StoreTokenCache:
        """A :class:`~syncd.zoho.tokens.TokenCache` kept in this store."""
        return StoreTokenCache(self._locked, self.clock)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _locked(self) -> Iterator[Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` on SQLite (the write lock up front)."""
        if getattr(self._writing, "active", False):
            # On SQLite the inner transaction would wait for the outer one's lock until it times out.
            raise RuntimeError(
                "a write transaction is already open in this thread: finish it before reserving "
                "credits, taking leases or caching tokens"
            )
        self._writing.active = True
        try:
            with self.engine.connect() as connection:
                if is_sqlite(connection):
                    connection.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})
                with connection.begin():
                    yield connection
        finally:
            self._writing.active = False


def _read_only(connection: Connection, on: bool) -> None:
    if is_sqlite(connection):
        # Straight to the driver: a pragma through SQLAlchemy would begin a transaction first.
        connection.connection.driver_connection.execute(f"PRAGMA query_only = {int(on)}")  # type: ignore[union-attr]
    elif on:
        # A snapshot across statements; the pooled connection gets its defaults back when returned.
        connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
