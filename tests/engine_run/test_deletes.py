"""Deletes end to end: source tombstones delete CRM records, confirmed CRM deletes reach the source,
and the mass-delete brake."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from syncd.engine import runner
from tests.engine_run.conftest import RunOnce, World
from tests.engine_run.test_kill_and_cli import _sync

ROWS = ("ada@example.com,Lovelace,Ada,", "grace@example.com,Hopper,Grace,", "alan@example.com,Turing,Alan,")


def crm_emails(world: World) -> list[str]:
    return sorted(r["Email"] for r in world.crm_records())


def crm_id(world: World, email: str) -> str:
    return str(next(r["id"] for r in world.crm_records() if r["Email"] == email))


def test_a_source_tombstone_deletes_the_crm_record_when_deletes_are_on(
    world: World, sync_once: RunOnce
) -> None:
    world.write_config(delete_policy="soft", max_delete_share="0.5")
    world.write_csv(*ROWS)
    sync_once()
    grace = crm_id(world, "grace@example.com")
    world.write_csv(ROWS[0], ROWS[2])

    report = sync_once()

    assert report.error is None
    assert report.push.deleted == 1 and report.push.credits == 1  # one REST delete call
    assert crm_emails(world) == ["ada@example.com", "alan@example.com"]
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        assert tx.id_map.crm_ids("contacts", ["grace@example.com"]) == {}
        assert tx.records.get("contacts", ["grace@example.com"]) == {}
        deleted = list(runtime.zoho.rest.deleted("Contacts"))
    assert [d.id for d in deleted] == [grace]
    again = sync_once()
    assert (again.push.deleted, again.pull.created, again.push.credits) == (0, 0, 0)
    assert crm_emails(world) == ["ada@example.com", "alan@example.com"]


def test_with_deletes_off_a_source_tombstone_deletes_nothing(world: World, sync_once: RunOnce) -> None:
    world.write_csv(*ROWS)
    sync_once()
    world.write_csv(ROWS[0], ROWS[2])

    report = sync_once()

    assert report.error is None and report.push.deleted == 0 and report.pull.deleted == 0
    assert crm_emails(world) == ["ada@example.com", "alan@example.com", "grace@example.com"]


def test_a_crm_delete_reaches_the_csv_only_after_a_full_snapshot_confirms_it(
    world: World, sync_once: RunOnce, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.write_config(delete_policy="hard", max_delete_share="0.5")
    world.write_csv(*ROWS)
    sync_once()  # the first run is a full snapshot
    with world.runtime() as runtime:
        (outcome,) = runtime.zoho.rest.delete("Contacts", [crm_id(world, "alan@example.com")])
    assert outcome.ok

    incremental = sync_once()

    assert incremental.full_snapshot is False
    assert incremental.pull.deleted == 0 and len(world.csv_rows()) == 3

    world.write_config(delete_policy="hard", max_delete_share="0.5", full_snapshot_every="1s")
    world.emulator.state.clock.advance(5)
    monkeypatch.setattr(runner, "wants_full_snapshot", lambda *_: True)  # the second has passed
    full = sync_once()

    assert full.error is None and full.full_snapshot is True
    assert full.pull.deleted == 1
    assert sorted(world.csv_rows()) == sorted([ROWS[0], ROWS[1]])
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        assert tx.records.get("contacts", ["alan@example.com"]) == {}
    assert sync_once().push.created == 0  # not recreated in the CRM


def test_a_crm_delete_soft_deletes_a_sql_row(
    world: World, sync_once: RunOnce, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE customers (email TEXT PRIMARY KEY, surname TEXT, given_name TEXT, "
                "phone TEXT, removed BOOLEAN NOT NULL DEFAULT 0)"
            )
        )
        connection.execute(
            sa.text("INSERT INTO customers (email, surname, given_name) VALUES (:e, :s, :g)"),
            [{"e": f"p{i}@example.com", "s": f"Person{i}", "g": "P"} for i in range(4)],
        )
    csv_connector = f'type = "csv"\ndirectory = "{world.folder}"\nstreams.customers = {{ key = ["email"] }}'
    stream = '{ table = "customers", key = ["email"], deleted = "removed" }'
    sql_connector = f'type = "sql"\nurl = "{url}"\nstreams.customers = {stream}'
    world.write_config(delete_policy="soft", max_delete_share="0.5", full_snapshot_every="1s")
    world.config_path.write_text(
        world.config_path.read_text(encoding="utf-8").replace(csv_connector, sql_connector), encoding="utf-8"
    )
    assert sql_connector in world.config_path.read_text(encoding="utf-8")
    assert sync_once().push.created == 4
    with world.runtime() as runtime:
        runtime.zoho.rest.delete("Contacts", [crm_id(world, "p2@example.com")])
    world.emulator.state.clock.advance(5)
    # A CRM delete is believed on a full snapshot only; whether a second has passed is not the point.
    monkeypatch.setattr(runner, "wants_full_snapshot", lambda *_: True)

    report = sync_once()

    assert report.error is None and report.pull.deleted == 1
    with engine.connect() as connection:
        rows = {str(e): r for e, r in connection.execute(sa.text("SELECT email, removed FROM customers"))}
    assert rows == {"p0@example.com": 0, "p1@example.com": 0, "p2@example.com": 1, "p3@example.com": 0}
    assert len(world.crm_records()) == 3
    engine.dispose()


def test_the_mass_delete_brake_stops_the_run_until_allowed(world: World, sync_once: RunOnce) -> None:
    world.write_config(delete_policy="soft", max_delete_share="0.2")
    rows = [f"p{i}@example.com,Person{i},P," for i in range(10)]
    world.write_csv(*rows)
    sync_once()
    world.write_csv(*rows[:7])  # 3 of 10 gone: more than 20%

    braked = sync_once()

    assert braked.error is not None and "refusing to delete 3 of 10 records on the crm side" in braked.error
    assert "--allow-mass-delete" in braked.error
    assert braked.push.deleted == 0 and len(world.crm_records()) == 10
    cli = _sync(world, "sync")
    assert cli.returncode == 3, cli.stdout + cli.stderr
    assert "--allow-mass-delete" in cli.stdout + cli.stderr and len(world.crm_records()) == 10

    allowed = _sync(world, "sync", "--allow-mass-delete")

    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert crm_emails(world) == sorted(rows_email.split(",")[0] for rows_email in rows[:7])
