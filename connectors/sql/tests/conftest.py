from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa


def create_people(engine: sa.Engine, schema: str | None = None) -> sa.Table:
    """A `people` table with a key, an updated-at column and a soft-delete flag, holding two rows."""
    metadata = sa.MetaData(schema=schema)
    table = sa.Table(
        "people",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        sa.Column("balance", sa.Numeric(12, 2)),
        sa.Column("born", sa.Date),
        sa.Column("active", sa.Boolean),
        sa.Column("score", sa.Float),
        sa.Column("modified", sa.DateTime),
        sa.Column("removed", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            [
                {"id": 1, "name": "Ada", "modified": dt.datetime(2024, 1, 1, 10), "removed": False},
                {"id": 2, "name": "Grace", "modified": dt.datetime(2024, 1, 2, 10), "removed": False},
            ],
        )
    return table


def people_options(url: str, schema: str | None = None, **extra: object) -> dict[str, object]:
    stream = {
        "table": "people",
        "table_schema": schema,
        "key": ["id"],
        "updated_at": "modified",
        "deleted": "removed",
    }
    return {"url": url, "streams": {"people": stream}, **extra}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = sa.create_engine(url)
    create_people(engine)
    engine.dispose()
    yield url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server of SYNCD_TEST_POSTGRES_URL (this distribution's tests stand alone)."""
    url = os.environ.get("SYNCD_TEST_POSTGRES_URL")
    if not url:
        pytest.skip(
            "no PostgreSQL: set SYNCD_TEST_POSTGRES_URL, e.g. postgresql+psycopg://postgres@127.0.0.1/test"
        )
    return url


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[tuple[str, str]]:
    """A throw-away schema holding `people`, unique to this test."""
    schema = f"syncd_sql_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.schema.CreateSchema(schema))
    create_people(engine, schema)
    yield postgres_url, schema
    with engine.begin() as connection:
        connection.execute(sa.schema.DropSchema(schema, cascade=True))
    engine.dispose()


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A MySQL/MariaDB database (SYNCD_TEST_MYSQL_URL) with a fresh `people` table."""
    url = os.environ.get("SYNCD_TEST_MYSQL_URL")
    if not url:
        pytest.skip(
            "no MySQL/MariaDB: set SYNCD_TEST_MYSQL_URL, e.g. mysql+pymysql://root@127.0.0.1:3306/test"
        )
    pytest.importorskip("pymysql", reason="install syncd-sql[mysql] for the MySQL driver")
    database = f"syncd_sql_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {database}"))
    engine = sa.create_engine(sa.make_url(url).set(database=database))
    create_people(engine)
    engine.dispose()
    yield sa.make_url(url).set(database=database).render_as_string(hide_password=False)
    with admin.begin() as connection:
        connection.execute(sa.text(f"DROP DATABASE {database}"))
    admin.dispose()
