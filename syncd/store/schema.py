"""Schema migrations: Alembic, shipped inside the package and run from code.

``syncd db upgrade`` and :meth:`StateStore.open` both end here. A database whose revision this code
does not know was migrated by a newer syncd: syncd refuses to touch it rather than guess.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from syncd.errors import ConfigError
from syncd.store.database import BEGIN_MODE_OPTION, is_sqlite, redacted

SCRIPT_LOCATION = "syncd.store:migrations"
MIGRATION_LOCK = 0x73796E6364  # "syncd": the advisory lock migrations on PostgreSQL take


@dataclass(frozen=True)
class Revision:
    """One migration, as ``syncd db history`` shows it."""

    revision: str
    down_revision: str | None
    message: str
    is_head: bool


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config(None))


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


def history() -> list[Revision]:
    """Every migration, newest first."""
    return [
        Revision(
            revision=script.revision,
            down_revision=_single(script.down_revision),
            message=script.doc or "",
            is_head=script.is_head,
        )
        for script in script_directory().walk_revisions()
    ]


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; ``None`` for a database syncd never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _migration_connection(engine) as connection:
        _refuse_unknown_revision(connection, engine)
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with _migration_connection(engine) as connection:
        _refuse_unknown_revision(connection, engine)
        command.downgrade(_config(connection), revision)


def ensure_current(engine: Engine, *, upgrade_allowed: bool) -> None:
    """Upgrade the schema to head (or check that it is there); refuse a schema from a newer syncd."""
    current = current_revision(engine)
    _check_known(current, engine)
    if current == head_revision():
        return
    if not upgrade_allowed:
        raise ConfigError(
            f"the state database is at revision {current or '(empty)'} but this syncd needs "
            f"{head_revision()}; run `syncd db upgrade`",
            database_url=redacted(engine.url),
        )
    upgrade(engine)


def _refuse_unknown_revision(connection: Connection, engine: Engine) -> None:
    _check_known(MigrationContext.configure(connection).get_current_revision(), engine)


def _check_known(current: str | None, engine: Engine) -> None:
    if current is None:
        return
    if not _is_known(current):
        raise ConfigError(
            f"the state database is at revision {current}, which this syncd does not know: it was "
            f"migrated by a newer syncd (this one knows up to {head_revision()}). Upgrade syncd, "
            "or point it at another database",
            database_url=redacted(engine.url),
        )


def _is_known(revision: str) -> bool:
    return any(script.revision == revision for script in script_directory().walk_revisions())


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        if is_sqlite(connection):
            connection.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})
        else:  # replicas starting together: one migrates, the others wait, then find it done
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        # The revision check begins the transaction the migrations then run in: commit it all at once.
        yield connection
        connection.commit()


def _config(connection: Connection | None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def _single(down_revision: str | Sequence[str] | None) -> str | None:
    if down_revision is not None and not isinstance(down_revision, str):
        return ",".join(down_revision)
    return down_revision
