from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert, text

from syncd.store import StateStore, SyncedRecord
from syncd.store.bulk import driver_format
from syncd.store.layouts import layout_number
from syncd.store.models import metadata
from syncd.store.records import TABLE
from syncd.store.types import utc_for_driver
from tests.store.conftest import FakeClock


def _json(value: Any) -> Any:
    """A JSON column as Python: SQLite hands back text, psycopg already-parsed values."""
    return json.loads(value) if isinstance(value, str) else value


def _record(key: str, name: str, **timestamps: datetime) -> SyncedRecord:
    values = {"Last_Name": name, "Amount": "12.50", "Tags": ["a", "b"], "Active": True}
    return SyncedRecord(key=key, values=values, fingerprint=f"fp-{key}-{name}", **timestamps)


def test_fingerprints_of_known_keys_only(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.records.upsert("contacts", [_record("a", "Ada"), _record("b", "Bob")])
        assert tx.records.fingerprints("contacts", ["a", "b", "new"]) == {"a": "fp-a-Ada", "b": "fp-b-Bob"}
        assert tx.records.fingerprints("leads", ["a"]) == {}


def test_full_state_round_trips_values_and_timestamps(store: StateStore, clock: FakeClock) -> None:
    source_time = datetime(2026, 2, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    crm_time = datetime(2026, 2, 1, 8, 0, 1, 123456, tzinfo=UTC)
    with store.transaction() as tx:
        tx.records.upsert(
            "contacts", [_record("a", "Ada", source_modified_at=source_time, crm_modified_at=crm_time)]
        )
    with store.snapshot() as tx:
        stored = tx.records.get("contacts", ["a", "missing"])
    assert list(stored) == ["a"]
    record = stored["a"]
    assert record.values == {"Last_Name": "Ada", "Amount": "12.50", "Tags": ["a", "b"], "Active": True}
    assert record.source_modified_at == source_time and record.source_modified_at.tzinfo == UTC
    assert record.crm_modified_at == crm_time
    assert record.synced_at == clock.now


def test_upsert_overwrites_changed_records(store: StateStore, clock: FakeClock) -> None:
    with store.transaction() as tx:
        tx.records.upsert("contacts", [_record("a", "Ada"), _record("b", "Bob")])
    clock.advance(timedelta(hours=1))
    with store.transaction() as tx:
        tx.records.upsert("contacts", [_record("a", "Adele")])
        stored = tx.records.get("contacts", ["a", "b"])
    assert stored["a"].values["Last_Name"] == "Adele" and stored["a"].synced_at == clock.now
    assert stored["b"].fingerprint == "fp-b-Bob" and stored["b"].synced_at == clock.now - timedelta(hours=1)


def test_a_key_given_twice_in_one_batch_keeps_the_last(store: StateStore) -> None:
    with store.transaction() as tx:
        assert tx.records.upsert("contacts", [_record("a", "first"), _record("a", "second")]) == 1
        assert tx.records.fingerprints("contacts", ["a"]) == {"a": "fp-a-second"}


def test_a_naive_timestamp_is_refused(store: StateStore) -> None:
    naive = datetime(2026, 2, 1, 9, 30)
    with pytest.raises(ValueError, match="naive datetime"), store.transaction() as tx:
        tx.records.upsert("contacts", [_record("a", "Ada", crm_modified_at=naive)])


def test_text_survives_exactly(store: StateStore) -> None:
    tricky = {"Name": "Zoë \"quoted\", 'single' \\ back\nnew line \t tab ☃", "Empty": "", "Null": None}
    with store.transaction() as tx:
        tx.records.upsert(
            "contacts", [SyncedRecord(key="k'; DROP TABLE x;--", values=tricky, fingerprint="f")]
        )
        assert tx.records.get("contacts", ["k'; DROP TABLE x;--"])["k'; DROP TABLE x;--"].values == tricky


@pytest.mark.parametrize("first_load", [True, False], ids=["first-load", "upsert"])
def test_keys_and_fingerprints_with_control_characters_survive(store: StateStore, first_load: bool) -> None:
    """PostgreSQL receives rows as ``COPY`` text, where backslash, tab, newline and return are special."""
    keys = ["tab\there", "new\nline", "back\\slash\\N", "return\r", "\\N"]
    records = [SyncedRecord(key, {"Name": key}, fingerprint=f"fp\t{key}") for key in keys]
    with store.transaction() as tx:
        if not first_load:
            tx.records.upsert("contacts", [_record("other", "x")])
        tx.records.upsert("contacts", records)
        assert tx.records.fingerprints("contacts", keys) == {key: f"fp\t{key}" for key in keys}
        assert {key: record.values for key, record in tx.records.get("contacts", keys).items()} == {
            key: {"Name": key} for key in keys
        }


def test_records_with_different_fields_in_one_pipeline(store: StateStore) -> None:
    records = [
        SyncedRecord("a", {"Last_Name": "Ada", "Email": "ada@example.com"}, "fp-a"),
        SyncedRecord(
            "b", {"Email": "bob@example.com", "Last_Name": "Bob"}, "fp-b"
        ),  # same names, other order
        SyncedRecord("c", {"Last_Name": "Cy"}, "fp-c"),
        SyncedRecord("d", {}, "fp-d"),
    ]
    with store.transaction() as tx:
        tx.records.upsert("contacts", records)
        tx.records.upsert("leads", [SyncedRecord("a", {"Company": "Acme"}, "fp")])
    with store.transaction() as tx:  # a new transaction reads the stored layouts back
        tx.records.upsert("contacts", [SyncedRecord("e", {"Last_Name": "Eve", "Phone": "1"}, "fp-e")])
    with store.snapshot() as tx:
        stored = tx.records.get("contacts", "abcde")
        assert tx.records.get("leads", ["a"])["a"].values == {"Company": "Acme"}
    assert {key: record.values for key, record in stored.items()} == {
        "a": {"Last_Name": "Ada", "Email": "ada@example.com"},
        "b": {"Email": "bob@example.com", "Last_Name": "Bob"},
        "c": {"Last_Name": "Cy"},
        "d": {},
        "e": {"Last_Name": "Eve", "Phone": "1"},
    }
    assert list(stored["b"].values) == ["Email", "Last_Name"]


def test_field_names_are_stored_once_per_layout(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.records.upsert("contacts", [_record(str(i), f"name-{i}") for i in range(100)])
    with store.engine.connect() as connection:
        layouts = connection.execute(text("SELECT pipeline, fields FROM record_layouts")).all()
        values = connection.execute(text("SELECT canonical_values FROM record_state WHERE source_key = '7'"))
        stored = values.scalar_one()
    assert [(pipeline, _json(fields)) for pipeline, fields in layouts] == [
        ("contacts", ["Last_Name", "Amount", "Tags", "Active"])
    ]
    assert _json(stored) == ["name-7", "12.50", ["a", "b"], True]


def test_the_record_values_view_shows_each_record_as_an_object(store: StateStore) -> None:
    values = {"Name": 'Zoë "q"', "Tags": ["a", "b"], "Active": True, "Off": False, "Null": None, "N": 1.5}
    with store.transaction() as tx:
        tx.records.upsert("contacts", [SyncedRecord("a", values, "fp-a"), SyncedRecord("b", {}, "fp-b")])
    with store.engine.connect() as connection:
        query = text(
            "SELECT source_key, canonical_values, fingerprint FROM record_values ORDER BY source_key"
        )
        rows = [(key, _json(shown), fingerprint) for key, shown, fingerprint in connection.execute(query)]
    assert rows == [("a", values, "fp-a"), ("b", {}, "fp-b")]


def test_a_layout_hash_collision_is_refused(store: StateStore) -> None:
    fields = ("Last_Name", "Amount", "Tags", "Active")
    with store.engine.begin() as connection:
        connection.execute(
            insert(metadata.tables["record_layouts"]),
            {"pipeline": "contacts", "layout": layout_number(fields), "fields": ["Other"]},
        )
    collision = "record layout hash collision in pipeline 'contacts'"
    with pytest.raises(RuntimeError, match=collision), store.transaction() as tx:
        tx.records.upsert("contacts", [_record("a", "Ada")])


def test_delete_and_count(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.records.upsert("contacts", [_record(str(i), "x") for i in range(10)])
        assert tx.records.delete("contacts", ["1", "2", "nope"]) == 2
        assert tx.records.count("contacts") == 8


def test_a_page_sized_batch(store: StateStore) -> None:
    records = [_record(f"key-{i}", f"name-{i}") for i in range(60_000)]
    with store.transaction() as tx:
        tx.records.upsert("contacts", records)
    changed = [_record(f"key-{i}", "changed") for i in range(0, 60_000, 100)]
    with store.transaction() as tx:
        tx.records.upsert("contacts", changed)
        fingerprints = tx.records.fingerprints("contacts", [r.key for r in records])
    assert len(fingerprints) == 60_000
    assert (
        fingerprints["key-100"] == "fp-key-100-changed" and fingerprints["key-101"] == "fp-key-101-name-101"
    )


def test_changed_names_new_and_changed_keys_only(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.records.upsert("contacts", [_record("same", "x"), _record("edited", "x")])
        tx.records.upsert("leads", [_record("elsewhere", "x")])
        page = {
            "same": "fp-same-x",
            "edited": "fp-edited-y",
            "new": "fp-new-x",
            "elsewhere": "fp-elsewhere-x",
        }
        assert sorted(tx.records.changed("contacts", page)) == ["edited", "elsewhere", "new"]
        assert tx.records.changed("contacts", {}) == []


def test_changed_over_a_page_sized_batch(store: StateStore) -> None:
    records = [_record(f"key-{i}", "v1") for i in range(60_000)]
    with store.transaction() as tx:
        tx.records.upsert("contacts", records)
        page = {r.key: r.fingerprint for r in records} | {
            f"key-{i}": "edited" for i in range(0, 60_000, 1000)
        }
        assert sorted(tx.records.changed("contacts", page)) == sorted(
            f"key-{i}" for i in range(0, 60_000, 1000)
        )


@pytest.mark.parametrize("stored", [6_000, 30_000], ids=["compared-in-python", "compared-in-the-database"])
def test_changed_gives_the_same_answer_whichever_way_it_compares(store: StateStore, stored: int) -> None:
    with store.transaction() as tx:
        tx.records.upsert("contacts", [_record(f"key-{i}", "v1") for i in range(stored)])
        page = {f"key-{i}": f"fp-key-{i}-v1" for i in range(5_000)}
        page |= {"key-7": "edited", "key-4999": "edited", "brand-new": "fp"}
        assert sorted(tx.records.changed("contacts", page)) == ["brand-new", "key-4999", "key-7"]


def test_a_first_load_then_an_upsert_over_it(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.records.upsert("leads", [_record("other", "x")])
        assert tx.records.upsert("contacts", [_record("a", "Ada"), _record("a", "Ada2")]) == 1
        tx.records.upsert("contacts", [_record("a", "Adele"), _record("b", "Bob")])
        assert tx.records.fingerprints("contacts", ["a", "b"]) == {"a": "fp-a-Adele", "b": "fp-b-Bob"}


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 2, 1, 9, 30, 5, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 2, 1, 9, 30, 5, tzinfo=UTC),
        datetime(2026, 2, 1, 9, 30, 5, 120, tzinfo=UTC),
    ],
    ids=["offset", "utc", "utc-microseconds"],
)
def test_fast_timestamps_are_what_sqlalchemy_would_hand_the_driver(
    store: StateStore, moment: datetime
) -> None:
    with store.engine.connect() as connection:
        as_sqlalchemy_would = driver_format(connection, TABLE, "synced_at")
        assert utc_for_driver(connection.dialect)(moment) == as_sqlalchemy_would(moment)
        assert utc_for_driver(connection.dialect)(None) is None
