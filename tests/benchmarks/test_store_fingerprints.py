"""Applying a 200,000-record snapshot page's fingerprints to the state store, against parsing it.

The yardstick is a bare ``csv.reader`` pass over the same page in the same run. Applying means what
the engine does per page: look up the stored fingerprint of every key, then write the records whose
fingerprint changed (canonical values, fingerprint, timestamps). Targets: at most 0.5x the parse when
1% of the records changed, at most 1.5x on the first load when all are new.

It also prints two floors, what the database costs with nothing of syncd's Python in between: the
driver's bulk insert of the page's rows (built beforehand) with its commit, against the first load,
and the driver's fetch of the pipeline's 200,000 ``(key, fingerprint)`` pairs, against the 1% case.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from syncd.store import StateStore, SyncedRecord
from syncd.store import records as records_module
from syncd.store.bulk import all_pairs, fast_insert
from syncd.store.types import copy_utc, sqlite_utc
from tests.store.conftest import postgres_schema

PAGE = 200_000
COLUMNS = [
    "Id", "First_Name", "Last_Name", "Email", "Phone", "Mobile", "Account_Name", "Title", "Department",
    "Mailing_Street", "Mailing_City", "Mailing_State", "Mailing_Zip", "Mailing_Country", "Description",
    "Lead_Source", "Created_Time", "Modified_Time", "Owner", "Annual_Revenue",
]  # fmt: skip
MODIFIED = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def _row(i: int, version: str = "") -> list[str]:
    return [
        str(4150868000000000000 + i), f"First{i}", f"Last{i}{version}", f"user{i}@example.com", "+1 555 0100",
        f"+1 555 {i % 10000:04d}", "Acme, Inc.", "Manager", "Sales", f"{i} Main Street", "Springfield", "IL",
        "62701", "United States", "A customer, \"quoted\"" if i % 3 else "", "Web",
        "2024-01-01T10:00:00+00:00", "2026-06-01T10:00:00+00:00", "4150868000000001", "12345.50",
    ]  # fmt: skip


def _synced(row: list[str]) -> SyncedRecord:
    values = dict(zip(COLUMNS, row, strict=True))
    fingerprint = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
    return SyncedRecord(key=row[0], values=values, fingerprint=fingerprint, crm_modified_at=MODIFIED)


def _write_page(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def _bare_parse(path: Path) -> float:
    """The fastest of three parses: on a shared machine the yardstick should not include a neighbour."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        with path.open(newline="", encoding="utf-8") as file:
            for _row in csv.reader(file):
                pass
        timings.append(time.perf_counter() - started)
    return min(timings)


def _apply(store: StateStore, records: list[SyncedRecord]) -> tuple[float, int]:
    """What the engine does per page (see :class:`syncd.store.records.Records`)."""
    started = time.perf_counter()
    with store.transaction() as tx:
        changed = set(tx.records.changed("contacts", {record.key: record.fingerprint for record in records}))
        tx.records.upsert("contacts", [record for record in records if record.key in changed])
    return time.perf_counter() - started, len(changed)


def _floors(store: StateStore, records: list[SyncedRecord]) -> tuple[float, float]:
    """What the database alone costs, with nothing of syncd's Python in between: the driver's bulk
    insert of the page's rows built beforehand (into another pipeline, same table and indexes) with
    its commit, and the driver's fetch of one pipeline's ``(key, fingerprint)`` pairs."""
    postgres = store.engine.dialect.name == "postgresql"
    now = datetime.now(UTC)
    stamp = copy_utc(now) if postgres else sqlite_utc(now)
    build = records_module._copy_line if postgres else records_module._sqlite_row
    rows: Any = [build("floor", record, 0, stamp) for record in records]
    started = time.perf_counter()
    with store.transaction() as tx:
        fast_insert(tx.connection, records_module.TABLE, records_module.COLUMNS, rows)
    insert_seconds = time.perf_counter() - started
    with store.snapshot() as tx:
        started = time.perf_counter()
        wanted = ("source_key", "fingerprint")
        pairs = all_pairs(tx.connection, records_module.TABLE, wanted, "contacts", PAGE)
        fetch_seconds = time.perf_counter() - started
    assert pairs is not None and len(pairs) == PAGE
    return insert_seconds, fetch_seconds


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'syncd.sqlite'}"
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.mark.benchmark
def test_applying_a_page_of_fingerprints(database_url: str, tmp_path: Path) -> None:
    rows = [_row(i) for i in range(PAGE)]
    first_page, second_page = tmp_path / "page1.csv", tmp_path / "page2.csv"
    _write_page(first_page, rows)
    every_hundredth = range(0, PAGE, 100)
    for i in every_hundredth:
        rows[i] = _row(i, version="-changed")
    _write_page(second_page, rows)
    first_records = [_synced(_row(i)) for i in range(PAGE)]
    second_records = [_synced(row) for row in rows]

    with StateStore.open(database_url) as store:
        parse_first = _bare_parse(first_page)
        load_seconds, loaded = _apply(store, first_records)
        parse_second = _bare_parse(second_page)
        delta_seconds, changed = _apply(store, second_records)
        with store.snapshot() as tx:
            stored = tx.records.fingerprints("contacts", [record.key for record in second_records])
            assert tx.records.count("contacts") == PAGE
        insert_floor, fetch_floor = _floors(store, first_records)

    backend = database_url.split(":", 1)[0]
    print(f"\n[{backend}] {PAGE:,} records; bare csv.reader parse {parse_first:.2f}s / {parse_second:.2f}s")
    print(f"  first load (all new): {load_seconds:.2f}s = {load_seconds / parse_first:.2f}x (target 1.5x)")
    print(f"  1% changed:           {delta_seconds:.2f}s = {delta_seconds / parse_second:.2f}x (target 0.5x)")
    print(
        f"  floors (the driver alone): bulk insert + commit {insert_floor:.2f}s = "
        f"{insert_floor / parse_first:.2f}x; fetch of the stored pairs {fetch_floor:.2f}s = "
        f"{fetch_floor / parse_second:.2f}x"
    )
    assert loaded == PAGE and changed == len(every_hundredth)
    assert stored == {record.key: record.fingerprint for record in second_records}
