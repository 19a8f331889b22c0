"""Alembic environment: migrations always run on a connection handed over by :mod:`syncd.store.schema`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from syncd.store.models import metadata

#: Any constant works; replicas starting together on PostgreSQL queue behind this lock.
MIGRATION_LOCK_ID = 0x73796E6364


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("syncd's migrations run through `syncd db upgrade`, not the alembic command")
run_migrations(connection)
