"""``syncd db``: look at and migrate the state database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import Engine

from syncd.store import schema
from syncd.store.database import create_store_engine, default_database_url, redacted

database_url_option = click.option(
    "--database-url",
    envvar="SYNCD_DATABASE_URL",
    show_envvar=True,
    default=None,
    help="SQLAlchemy URL of the state database. Default: syncd.sqlite in the state directory "
    "($STATE_DIRECTORY, else $XDG_STATE_HOME/syncd, else ~/.local/state/syncd).",
)


@click.group()
@click.pass_context
def db(ctx: click.Context) -> None:
    """Inspect and migrate the state database (syncd also upgrades it automatically at start)."""
    if not (ctx.obj or {}).get("debug"):
        # Alembic announces every connection it inspects; keep only its warnings.
        logging.getLogger("alembic").setLevel(logging.WARNING)


@db.command()
@database_url_option
@click.option("--revision", default="head", show_default=True, help="Revision to upgrade to.")
def upgrade(database_url: str | None, revision: str) -> None:
    """Apply the migrations this syncd ships, up to REVISION."""
    with _engine(database_url) as engine:
        before = schema.current_revision(engine)
        schema.upgrade(engine, revision)
        after = schema.current_revision(engine)
        where = redacted(engine.url)
    if before == after:
        click.echo(f"{where} is already at revision {after}.")
    else:
        click.echo(f"Upgraded {where} from {before or '(empty)'} to {after}.")


@db.command()
@database_url_option
def current(database_url: str | None) -> None:
    """Show the database's revision and whether it is up to date."""
    with _engine(database_url) as engine:
        revision = schema.current_revision(engine)
        where = redacted(engine.url)
    head = schema.head_revision()
    if revision is None:
        click.echo(f"{where}: empty (no syncd schema yet); `syncd db upgrade` creates it at {head}.")
    elif revision == head:
        click.echo(f"{where}: {revision} (head, up to date)")
    elif revision in {entry.revision for entry in schema.history()}:
        click.echo(f"{where}: {revision} (behind head {head}; run `syncd db upgrade`)")
    else:
        click.echo(f"{where}: {revision} (unknown to this syncd: written by a newer version; head is {head})")


@db.command()
@database_url_option
def history(database_url: str | None) -> None:
    """List the migrations this syncd ships, newest first, marking the database's revision."""
    with _engine(database_url) as engine:
        revision = schema.current_revision(engine)
    for entry in schema.history():
        marks = [
            mark for mark, on in (("head", entry.is_head), ("current", entry.revision == revision)) if on
        ]
        suffix = f" ({', '.join(marks)})" if marks else ""
        click.echo(
            f"{entry.down_revision or '<base>'} -> {entry.revision}{suffix}: {entry.message.splitlines()[0]}"
        )


@contextmanager
def _engine(database_url: str | None) -> Iterator[Engine]:
    engine = create_store_engine(database_url or default_database_url())
    try:
        yield engine
    finally:
        engine.dispose()
