"""Migrations: they build exactly the tables the models describe, and go down and up again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, Engine, column, insert, inspect, table, text

from syncd.errors import ConfigError
from syncd.store import StateStore, SyncedRecord, default_database_url, schema, state_directory
from syncd.store.database import create_store_engine
from syncd.store.models import metadata

TABLES = {
    "checkpoints",
    "id_map",
    "record_state",
    "record_layouts",
    "snapshot_pages",
    "journal",
    "credit_accounts",
    "credit_ledger",
    "rejects",
    "conflicts",
    "runs",
    "leases",
    "oauth_tokens",
}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_store_engine(database_url)
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_empty_to_head_to_base_to_head(engine: Engine) -> None:
    assert schema.current_revision(engine) is None and _tables(engine) == set()
    schema.upgrade(engine)
    assert schema.current_revision(engine) == schema.head_revision()
    assert _tables(engine) == TABLES
    schema.downgrade(engine, "base")
    assert schema.current_revision(engine) is None and _tables(engine) == set()
    schema.upgrade(engine)
    assert _tables(engine) == TABLES


def test_the_migrations_match_the_models(engine: Engine) -> None:
    schema.upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_open_upgrades_an_empty_database(database_url: str) -> None:
    with StateStore.open(database_url) as store:
        assert schema.current_revision(store.engine) == schema.head_revision()


def test_without_upgrade_an_outdated_database_is_an_error(database_url: str) -> None:
    with pytest.raises(ConfigError, match=r"needs 0006; run `syncd db upgrade`"):
        StateStore.open(database_url, upgrade=False)


def test_record_state_keeps_its_rows_through_0002_and_back(engine: Engine, database_url: str) -> None:
    schema.upgrade(engine, "0001")
    row = "('contacts', 'k1', '{\"Name\": \"Zo\u00eb\"}', 'fp', '2026-03-01 12:00:00')"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO record_state (pipeline, source_key, canonical_values, fingerprint, synced_at) "
                f"VALUES {row}"
            )
        )
    schema.upgrade(engine)
    with StateStore.open(database_url) as store, store.snapshot() as tx:
        assert tx.records.get("contacts", ["k1"])["k1"].values == {"Name": "Zoë"}
        assert tx.records.changed("contacts", {"k1": "fp", "k2": "new"}) == ["k2"]
    schema.downgrade(engine, "0001")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT fingerprint FROM record_state")).scalar_one() == "fp"


OLD_VALUES = {
    "k1": {"Name": "Zo\u00eb", "Tags": ["a", "b"], "Active": True, "Off": False, "Empty": None, "N": 2},
    "k2": {"Name": "Bob", "Email": "bob@example.com"},
    "k3": {"Email": "cy@example.com", "Name": "Cy"},
    "k4": {},
}


def test_record_values_become_arrays_through_0005_and_objects_again(
    engine: Engine, database_url: str
) -> None:
    schema.upgrade(engine, "0004")
    state = table(
        "record_state",
        column("pipeline"),
        column("source_key"),
        column("canonical_values", JSON()),
        column("fingerprint"),
        column("synced_at"),
    )
    rows = [
        {"pipeline": "contacts", "source_key": key, "canonical_values": values, "fingerprint": f"fp-{key}"}
        for key, values in OLD_VALUES.items()
    ]
    with engine.begin() as connection:
        connection.execute(insert(state), [row | {"synced_at": "2026-03-01 12:00:00"} for row in rows])
    schema.upgrade(engine)
    with StateStore.open(database_url) as store:
        with store.snapshot() as tx:
            stored = tx.records.get("contacts", list(OLD_VALUES))
        assert {key: record.values for key, record in stored.items()} == OLD_VALUES
        assert list(stored["k3"].values) == ["Email", "Name"]
        with store.transaction() as tx:  # the same fields as k2: the layout the migration stored
            tx.records.upsert(
                "contacts", [SyncedRecord("k5", {"Name": "Di", "Email": "di@example.com"}, "fp")]
            )
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM record_layouts")).scalar_one() == 4
            view = connection.execute(text("SELECT source_key, canonical_values FROM record_values"))
            shown = {key: _json(values) for key, values in view}
    assert shown == OLD_VALUES | {"k5": {"Name": "Di", "Email": "di@example.com"}}
    schema.downgrade(engine, "0004")
    with engine.connect() as connection:
        query = text("SELECT source_key, canonical_values FROM record_state")
        back = {key: _json(values) for key, values in connection.execute(query)}
    assert back == OLD_VALUES | {"k5": {"Name": "Di", "Email": "di@example.com"}}
    assert "record_layouts" not in _tables(engine)


def _json(value: Any) -> Any:
    """A JSON column as Python: SQLite hands back text, psycopg already-parsed values."""
    return json.loads(value) if isinstance(value, str) else value


def test_a_database_from_a_newer_syncd_is_refused(engine: Engine, database_url: str) -> None:
    schema.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    with pytest.raises(ConfigError, match=r"revision f00d, which this syncd does not know: .* newer syncd"):
        StateStore.open(database_url)
    with pytest.raises(ConfigError, match="newer syncd"):
        schema.upgrade(engine)


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'state.sqlite'}"
    with StateStore.open(url) as store, store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert (tmp_path / "nested" / "dir" / "state.sqlite").exists()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"STATE_DIRECTORY": "/var/lib/syncd:/var/lib/other", "XDG_STATE_HOME": "/x"},
            Path("/var/lib/syncd"),
        ),
        ({"XDG_STATE_HOME": "/home/ops/.state"}, Path("/home/ops/.state/syncd")),
        ({}, Path.home() / ".local/state/syncd"),
    ],
)
def test_the_state_directory(environ: dict[str, str], expected: Path) -> None:
    assert state_directory(environ) == expected
    assert default_database_url(environ) == f"sqlite:///{expected / 'syncd.sqlite'}"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u:hunter2@db/syncd", r"unsupported state database 'mysql'.*u:\*\*\*@db"),
        ("not a url", "not a valid URL"),
    ],
)
def test_a_bad_url_is_a_clear_error_without_the_password(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        StateStore.open(url)
    assert "hunter2" not in str(raised.value)


def test_an_unwritable_state_directory_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="cannot create the state directory"):
        StateStore.open(f"sqlite:///{tmp_path / 'file' / 'sub' / 'state.sqlite'}")
