"""Where the state lives and how syncd connects to it.

SQLite is the default: one file under the state directory, in WAL mode so readers never wait for the
writer. PostgreSQL (through psycopg 3) is for several replicas sharing the work.

SQLite write transactions start with ``BEGIN IMMEDIATE``: the write lock is taken up front, so two
processes never both read a credit balance and then both spend it, and a transaction never fails
half-way when it upgrades from reading to writing. PostgreSQL takes row locks instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError

from syncd.errors import ConfigError

DATABASE_FILE = "syncd.sqlite"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
#: Seconds a SQLite connection waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT = 30.0
BEGIN_MODE_OPTION = "syncd_sqlite_begin"


def state_directory(environ: Mapping[str, str] | None = None) -> Path:
    """``$STATE_DIRECTORY`` (systemd), else ``$XDG_STATE_HOME/syncd``, else ``~/.local/state/syncd``."""
    env = os.environ if environ is None else environ
    if env.get("STATE_DIRECTORY"):
        # systemd may pass several directories separated by colons; the first is ours.
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]) / "syncd"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "state" / "syncd"


def default_database_url(environ: Mapping[str, str] | None = None) -> str:
    """The SQLite file syncd uses when no database URL is configured."""
    return f"sqlite:///{state_directory(environ) / DATABASE_FILE}"


def redacted(url: str | URL) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``, tuned for the store; a :class:`ConfigError` if the URL cannot work."""
    sa_url = _parse(url)
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(sa_url)
    if backend == "postgresql":
        if sa_url.get_driver_name() != "psycopg":
            sa_url = sa_url.set(drivername="postgresql+psycopg")
        return create_engine(sa_url, pool_pre_ping=True)
    raise ConfigError(
        f"unsupported state database {backend!r}; use sqlite:///path or postgresql://...",
        database_url=redacted(sa_url),
    )


def is_sqlite(connection: Connection | Engine) -> bool:
    return connection.dialect.name == "sqlite"


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"the state database URL is not a valid URL: {exc}") from None


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        _make_state_directory(Path(url.database).parent, url)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _make_state_directory(directory: Path, url: URL) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the state directory {directory}: {exc.strerror}", database_url=redacted(url)
        ) from None


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling defers it).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # A 64 MiB page cache (default 2 MiB): a 200,000-record page then fits without spilling.
        cursor.execute("PRAGMA cache_size=-65536")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    mode = connection.get_execution_options().get(BEGIN_MODE_OPTION, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")
