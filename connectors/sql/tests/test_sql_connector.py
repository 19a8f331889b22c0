from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from syncd_sql import SqlConnector
from syncd_sql.rows import RowReader

from syncd import Change, ConfigError, Cursor, FatalError, Record, Rejected, Tombstone
from syncd.connector import scrub
from syncd.testing import FakeClock, read_all

from .conftest import people_options

UTC = dt.UTC


def connector(url: str, clock: FakeClock | None = None, **extra: object) -> SqlConnector:
    return SqlConnector.from_options(people_options(url, **extra), name="crm_db", clock=clock or FakeClock())


def table(url: str) -> tuple[sa.Engine, sa.Table]:
    engine = sa.create_engine(url)
    return engine, sa.Table("people", sa.MetaData(), autoload_with=engine)


def ids(items: list[Any]) -> list[int]:
    return [item.values["id"] for item in items if isinstance(item, Record)]


def test_columns_are_reflected_as_typed_fields(sqlite_url: str) -> None:
    [spec] = connector(sqlite_url).streams()
    assert {f.name: str(f.type) for f in spec.fields} == {
        "id": "integer",
        "name": "string",
        "balance": "decimal",
        "born": "date",
        "active": "boolean",
        "score": "float",
        "modified": "datetime",
    }
    assert spec.capabilities.names() == ("incremental", "write", "deletes")


def test_naive_timestamps_are_read_in_the_configured_zone(sqlite_url: str) -> None:
    items, cursor = read_all(connector(sqlite_url, timezone="Europe/Berlin"), "people")
    first = next(item for item in items if isinstance(item, Record))
    assert first.values["modified"] == dt.datetime(2024, 1, 1, 9, tzinfo=UTC)
    assert cursor.position == dt.datetime(2024, 1, 2, 9, tzinfo=UTC)


def test_incremental_reads_overlap_to_catch_late_commits(sqlite_url: str) -> None:
    source = connector(sqlite_url, overlap_seconds=600)
    _, cursor = read_all(source, "people")
    engine, people = table(sqlite_url)
    with engine.begin() as connection:  # committed after the read, stamped 5 minutes before its cursor
        connection.execute(people.insert().values(id=3, name="Late", modified=dt.datetime(2024, 1, 2, 9, 55)))
    items, later = read_all(source, "people", cursor)
    assert ids(items) == [3, 2]  # the late row, and the last one again (at least once)
    assert later == cursor


def test_without_overlap_a_late_commit_would_be_missed(sqlite_url: str) -> None:
    source = connector(sqlite_url, overlap_seconds=0)
    _, cursor = read_all(source, "people")
    engine, people = table(sqlite_url)
    with engine.begin() as connection:
        connection.execute(people.insert().values(id=3, name="Late", modified=dt.datetime(2024, 1, 2, 9, 55)))
    assert ids(read_all(source, "people", cursor)[0]) == [2]


def test_rows_sharing_a_timestamp_are_paged_by_key_without_loss(sqlite_url: str) -> None:
    engine, people = table(sqlite_url)
    same = dt.datetime(2024, 1, 3, 12)
    with engine.begin() as connection:
        connection.execute(
            people.insert(), [{"id": n, "name": f"P{n}", "modified": same} for n in range(10, 17)]
        )
    source = connector(sqlite_url, batch_size=2, overlap_seconds=0)
    items, cursor = read_all(source, "people", Cursor(dt.datetime(2024, 1, 3, 0, tzinfo=UTC)))
    assert ids(items) == list(range(10, 17))
    cursors = [item.position for item in items if isinstance(item, Cursor)]
    assert cursors == sorted(cursors) and cursor.position == same.replace(tzinfo=UTC)


def test_soft_deleted_rows_are_tombstones(sqlite_url: str) -> None:
    engine, people = table(sqlite_url)
    with engine.begin() as connection:
        connection.execute(people.update().where(people.c.id == 1).values(removed=True))
    items, _ = read_all(connector(sqlite_url), "people")
    assert [dict(item.key) for item in items if isinstance(item, Tombstone)] == [{"id": 1}]
    assert ids(items) == [2]


def test_a_value_the_column_type_does_not_allow_is_rejected(sqlite_url: str) -> None:
    engine, _ = table(sqlite_url)
    with engine.begin() as connection:  # SQLite's dynamic typing lets text into an INTEGER column
        connection.execute(
            sa.text("INSERT INTO people (id, name, score, removed) VALUES (7, 'X', 'lots', 0)")
        )
    items, _ = read_all(connector(sqlite_url), "people")
    [rejected] = [item for item in items if isinstance(item, Rejected)]
    assert rejected.location == "people(id=7)" and "column 'score'" in rejected.reason
    assert ids(items) == [1, 2]


def test_write_back_upserts_in_batches_and_stamps_updated_at(sqlite_url: str) -> None:
    clock = FakeClock(dt.datetime(2024, 6, 1, 8, tzinfo=UTC))
    source = connector(sqlite_url, clock, batch_size=2)
    changes = [Change.upsert({"id": n}, {"name": f"N{n}", "balance": Decimal("1.50")}) for n in (1, 5, 6)]
    assert all(o.ok for o in source.write("people", changes))
    engine, people = table(sqlite_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(people.c.id, people.c.name, people.c.modified).order_by("id")
        ).all()
    assert [tuple(r) for r in rows] == [
        (1, "N1", dt.datetime(2024, 6, 1, 8)),
        (2, "Grace", dt.datetime(2024, 1, 2, 10)),
        (5, "N5", dt.datetime(2024, 6, 1, 8)),
        (6, "N6", dt.datetime(2024, 6, 1, 8)),
    ]


def test_a_row_the_database_refuses_is_rejected_and_the_batch_goes_on(sqlite_url: str) -> None:
    source = connector(sqlite_url)
    outcomes = source.write(
        "people", [Change.upsert({"id": 8}, {"name": "Ok"}), Change.upsert({"id": 9}, {"name": None})]
    )
    assert outcomes[0].ok
    assert not outcomes[1].ok and "NOT NULL constraint failed: people.name" in (outcomes[1].reason or "")
    assert 8 in ids(read_all(source, "people")[0])


def test_deletes_set_the_soft_delete_column(sqlite_url: str) -> None:
    source = connector(sqlite_url)
    assert source.write("people", [Change.delete({"id": 2})])[0].ok
    engine, people = table(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(sa.select(people.c.removed).where(people.c.id == 2)).scalar_one() is True


def test_without_a_soft_delete_column_deletes_remove_the_row(sqlite_url: str) -> None:
    options = people_options(sqlite_url)
    options["streams"]["people"]["deleted"] = None  # type: ignore[index]
    source = SqlConnector.from_options(options, name="crm_db")
    assert source.write("people", [Change.delete({"id": 2})])[0].ok
    assert ids(read_all(source, "people")[0]) == [1]


def test_check_requires_a_unique_key_for_upserts(sqlite_url: str) -> None:
    options = people_options(sqlite_url)
    options["streams"]["people"]["key"] = ["name"]  # type: ignore[index]
    with pytest.raises(ConfigError, match="neither the primary key nor unique"):
        SqlConnector.from_options(options, name="crm_db").check()


def test_check_names_a_missing_table_and_column(sqlite_url: str) -> None:
    options = people_options(sqlite_url)
    options["streams"]["people"]["updated_at"] = "changed"  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"stream 'people': table 'people' has no column 'changed'"):
        SqlConnector.from_options(options, name="crm_db").check()
    options["streams"]["people"]["table"] = "persons"  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"no table 'persons'"):
        SqlConnector.from_options(options, name="crm_db").check()


def test_the_url_password_never_shows(tmp_path: Any) -> None:
    source = SqlConnector.from_options(
        people_options("postgresql+psycopg://syncd:hunter2-secret@127.0.0.1:1/nowhere"), name="crm_db"
    )
    assert "hunter2" not in repr(source.config)
    with pytest.raises(FatalError) as caught:
        source.check()
    assert "hunter2-secret" not in scrub(str(caught.value), source.config)
    assert "cannot connect" in str(caught.value)


def test_rows_read_by_shape_are_the_records_a_full_check_makes(sqlite_url: str) -> None:
    """Rows of one shape share a verdict; rows that break it still come out checked one by one."""
    engine, _ = table(sqlite_url)
    with engine.begin() as connection:  # SQLite lets any value into any column
        connection.execute(
            sa.text(
                "INSERT INTO people (id, name, balance, born, active, score, modified, removed) VALUES "
                "(3, 'Lin', 12.5, '2001-02-03', 1, 2.5, '2024-01-05 08:00:00', 0),"
                "(4, 'Mo', NULL, NULL, 0, 7, NULL, 0),"
                "(5, 12, NULL, NULL, NULL, NULL, NULL, 0),"
                "(6, 'Gone', NULL, NULL, NULL, NULL, NULL, 1),"
                "(7, 'Odd', NULL, NULL, NULL, 'lots', NULL, 0)"
            )
        )
    source = connector(sqlite_url, timezone="Europe/Berlin")
    schema = source._schema("people")
    reader = RowReader(schema)
    with engine.connect() as connection:
        rows = list(connection.execute(sa.select(*reader.columns).order_by(schema.table.c.id)))
    assert [reader.item(row) for row in rows] == [reader._checked(row) for row in rows]
    items, _ = read_all(source, "people")
    assert ids(items) == [1, 2, 3, 4, 5]  # the 12 is stored as text in a text column
    kinds = [type(item).__name__ for item in items if not isinstance(item, Cursor)]
    assert kinds == [*["Record"] * 5, "Tombstone", "Rejected"]
    third = next(item for item in items if isinstance(item, Record) and item.values["id"] == 3)
    assert third.values["modified"] == dt.datetime(2024, 1, 5, 7, tzinfo=UTC)
