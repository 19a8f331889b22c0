"""Benchmark: 100,000 changed rows from the SQL connector (SQLite) prepared into upload-ready zips.

The timed path is the engine's own: the connector reads the table, every row is mapped to CRM fields
and validated (``read_source``), the diff against an empty record state calls all of them creates,
the planner cuts bulk-write batches, and the bulk-write client writes each batch into its zip. The
baseline is a bare ``csv.writer`` writing the same rows (as SQLite hands them over) to a file, in the
same run. Target from issue 6: the engine at least half the speed of the baseline (ratio <= 2.0).

It also prints a floor: the bare driver's fetch of the same rows plus ``csv.writer`` into a zip
member deflated at level 1, with nothing of the engine in between. That alone measures 2.1-2.3x (the
best of three of each) on our machines: the target is at or below what fetching and zipping the
rows costs.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import time
import zipfile
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from syncd.app import open_runtime
from syncd.config import load_config
from syncd.emulator import EmulatorSettings, start_emulator
from syncd.engine.diff import diff
from syncd.engine.mapping import FieldMapping
from syncd.engine.model import Side, SideRecord, SideState, frozen_values
from syncd.engine.plan import BatchKind, plan_push
from syncd.engine.push import read_source

ROWS = 100_000


def _fill(url: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    people = sa.Table(
        "people",
        metadata,
        sa.Column("email", sa.String(100), primary_key=True),
        sa.Column("surname", sa.String(100), nullable=False),
        sa.Column("given_name", sa.String(100)),
        sa.Column("phone", sa.String(30)),
        sa.Column("city", sa.String(50)),
    )
    metadata.create_all(engine)
    rows = [
        {
            "email": f"person{n}@example.com",
            "surname": f"Surname{n}",
            "given_name": f"Given{n % 97}",
            "phone": f"+44207946{n % 10_000:04d}",
            "city": ("London", "Leeds", "York")[n % 3],
        }
        for n in range(ROWS)
    ]
    with engine.begin() as connection:
        connection.execute(people.insert(), rows)
        stored = [tuple(row) for row in connection.execute(sa.select(people))]
    engine.dispose()
    return stored


def _config(root: Path, url: str, emulator_url: str) -> Path:
    path = root / "syncd.toml"
    path.write_text(
        f"""
[state]
url = "sqlite:///{root / "state.sqlite"}"
[zoho]
accounts_url = "{emulator_url}"
api_url = "{emulator_url}"
upload_url = "{emulator_url}"
client_id = "demo"
client_secret = "demo"
refresh_token = "demo"
[connectors.shop]
type = "sql"
url = "{url}"
streams.people = {{ table = "people", key = ["email"] }}
[pipelines.contacts]
connector = "shop"
stream = "people"
module = "Contacts"
find_by = "Email"
[pipelines.contacts.fields]
Email = "email"
Last_Name = "surname"
First_Name = "given_name"
Phone = "phone"
Mailing_City = "city"
""",
        encoding="utf-8",
    )
    return path


def _bare_csv_writer(rows: list[tuple[Any, ...]], path: Path) -> float:
    started = time.perf_counter()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("Email", "Last_Name", "First_Name", "Phone", "Mailing_City"))
        writer.writerows(rows)
    return time.perf_counter() - started


def _floor(database: Path, path: Path) -> float:
    """The work no path can skip: fetch the rows with the bare DB-API driver and write them as CSV
    into a zip member deflated at level 1 (as the bulk-write client does). No mapping, validation,
    diff or planning: what the engine's ratio could reach at the very best."""
    started = time.perf_counter()
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT email, surname, given_name, phone, city FROM people").fetchall()
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("floor.csv", "w") as raw,
        io.TextIOWrapper(raw, encoding="utf-8", newline="") as text,
    ):
        writer = csv.writer(text)
        writer.writerow(("Email", "Last_Name", "First_Name", "Phone", "Mailing_City"))
        writer.writerows(rows)
    return time.perf_counter() - started


def _prepare_through_the_engine(config: Path) -> tuple[float, list[Path], int]:
    with open_runtime(load_config(config)) as runtime, runtime.connector("shop") as connector:
        pipeline = runtime.config.pipelines["contacts"]
        fields = runtime.zoho.fields.fields("Contacts")  # metadata fetched before the clock starts
        started = time.perf_counter()
        mapping = FieldMapping("contacts", pipeline, connector.stream("people"), fields)
        source = read_source(connector, mapping, runtime.store, None)
        records = {key: SideRecord(frozen_values(values)) for key, values in source.values.items()}
        result = diff({}, SideState({}, complete=True), SideState(records), pipeline.diff_policy())
        plan = plan_push(
            result.to(Side.CRM),
            find_by="Email",
            costs=runtime.config.credits.costs.table(),
            credits_left=10**9,
        )
        zips: list[Path] = []
        for batch in plan.batches:
            assert batch.kind is BatchKind.BULK_WRITE
            wire = ({"\0key": c.key, **{n: c.values.get(n) for n in batch.columns}} for c in batch.changes)
            prepared = runtime.zoho.bulk_write.prepare(
                "Contacts", wire, columns=batch.columns, key=lambda w: str(w["\0key"]), find_by="Email"
            )
            assert not prepared.rejected
            zips += [part.path for part in prepared.batches]
        return time.perf_counter() - started, zips, len(source.rejects)


@pytest.mark.benchmark
def test_preparing_changed_rows_for_a_bulk_write(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    rows = _fill(url)
    with start_emulator(EmulatorSettings(job_seconds=0.0)) as emu:
        engine_seconds, zips, rejects = _prepare_through_the_engine(_config(tmp_path, url, emu.url))
    # The fastest of three each: fractions of a second, they should not include a neighbour's burst.
    bare_seconds = min(_bare_csv_writer(rows, tmp_path / "bare.csv") for _ in range(3))
    floor_seconds = min(_floor(tmp_path / "shop.sqlite", tmp_path / "floor.zip") for _ in range(3))

    assert rejects == 0
    written = 0
    for path in zips:
        with zipfile.ZipFile(path) as archive:
            (name,) = archive.namelist()
            with archive.open(name) as member:
                written += sum(1 for _ in member) - 1  # less the header
    assert written == ROWS
    print(
        f"\n{ROWS:,} changed rows from SQLite into {len(zips)} upload-ready zips: "
        f"engine {engine_seconds:.2f}s, "
        f"bare csv.writer {bare_seconds:.2f}s; ratio {engine_seconds / bare_seconds:.1f}x "
        f"(target <= 2.0x, i.e. at least half the speed). Floor (bare sqlite3 fetch + csv.writer into "
        f"a level-1 zip, nothing else) {floor_seconds:.2f}s = {floor_seconds / bare_seconds:.1f}x"
    )
