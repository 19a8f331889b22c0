"""The CRM side is read chunk by chunk: unchanged rows are recognised by their raw hash, and a run
cut into many small chunks and source batches ends exactly where one big chunk does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from syncd.engine import pull, runner, walk
from syncd.engine.keys import CrmRow
from syncd.engine.pull import RawRow
from syncd.store.checkpoints import Direction
from syncd.zoho.bulk_read import BulkReader
from tests.engine_run.conftest import RunOnce, World


@pytest.fixture
def canonicalised(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The CRM ids of the rows a run had to read in full (canonicalise and diff)."""
    seen: list[str] = []
    original = RawRow.canonical

    def counting(self: RawRow, mapping: Any) -> CrmRow:
        seen.append(self.crm_id)
        return original(self, mapping)

    monkeypatch.setattr(RawRow, "canonical", counting)
    return seen


@pytest.fixture
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(pull, "CHUNK", 2)
    monkeypatch.setattr(walk, "SOURCE_BATCH", 3)
    yield


@pytest.fixture(autouse=True)
def full_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run reads the whole module, as a run after ``full_snapshot_every`` does."""
    monkeypatch.setattr(runner, "wants_full_snapshot", lambda *_: True)


def test_an_unchanged_crm_record_is_not_read_again(
    world: World, sync_once: RunOnce, canonicalised: list[str]
) -> None:
    world.write_csv("ada@example.com,Lovelace,Ada,+44123", "grace@example.com,Hopper,Grace,")
    assert sync_once().error is None  # pushes both: the CRM's raw form is not known yet
    assert sync_once().error is None  # reads both back, finds them equal, remembers their raw form
    canonicalised.clear()

    quiet = sync_once()

    assert quiet.error is None and quiet.pull.read == 2 and quiet.pull.unchanged == 2
    assert canonicalised == []
    ada = next(r for r in world.crm_records() if r["Email"] == "ada@example.com")
    world.admin("PATCH", f"records/Contacts/{ada['id']}", json={"Phone": "+4400"})

    changed = sync_once()

    assert changed.error is None and changed.pull.updated == 1
    assert canonicalised == [ada["id"]]
    assert "ada@example.com,Lovelace,Ada,+4400" in world.csv_rows()


def test_a_crm_record_the_base_disagrees_with_is_always_read(
    world: World, sync_once: RunOnce, canonicalised: list[str]
) -> None:
    world.write_config(conflict_policy="manual")
    world.write_csv("ada@example.com,Lovelace,Ada,+44123")
    sync_once(), sync_once()
    ada = world.crm_records()[0]
    world.admin("PATCH", f"records/Contacts/{ada['id']}", json={"Phone": "+4400"})
    world.write_csv("ada@example.com,Lovelace,Ada,+4499")
    held = sync_once()
    assert held.pull.conflicts == 1
    canonicalised.clear()

    again = sync_once()

    # The CRM holds a value the base does not: its raw form must not pass for the base.
    assert again.error is None
    assert canonicalised == [ada["id"]]
    # Neither side's held value wins just because the source did not send its row again.
    assert (again.push.updated, again.pull.updated, again.pull.conflicts) == (0, 0, 1)
    assert "ada@example.com,Lovelace,Ada,+4499" in world.csv_rows()
    assert world.crm_records()[0]["Phone"] == "+4400"
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        (conflict,) = tx.conflicts.find("contacts")
        assert (conflict.crm, conflict.source) == ({"Phone": "+4400"}, {"Phone": "+4499"})


@pytest.mark.usefixtures("tiny_chunks")
def test_many_small_chunks_end_where_one_big_one_does(world: World, sync_once: RunOnce) -> None:
    crm = [{"Email": f"crm{n}@example.com", "Last_Name": f"Crm{n}", "First_Name": "C"} for n in range(7)]
    crm += [{"Email": "both@example.com", "Last_Name": "Both", "First_Name": "CRM"}]
    world.admin("POST", "records/Contacts", json={"records": crm})
    world.write_csv(*(f"shop{n}@example.com,Shop{n},S," for n in range(5)), "both@example.com,Both,CRM,+1")

    first = sync_once()

    assert first.error is None
    emails = sorted(r["Email"] for r in world.crm_records())
    assert emails.count("both@example.com") == 1  # matched by find_by, not created again
    assert len(emails) == 8 + 5
    assert len(world.csv_rows()) == 7 + 5 + 1
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        assert tx.id_map.count("contacts") == 13
        assert tx.records.count("contacts") == 13

    second, third = sync_once(), sync_once()

    for report in (second, third):
        assert (report.push.created, report.push.updated, report.pull.created, report.pull.updated) == (
            0,
            0,
            0,
            0,
        )
        assert report.push.credits == 0


def test_a_held_field_stays_held_when_an_incremental_read_does_not_bring_the_crm_record(
    world: World, sync_once: RunOnce, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.write_config(conflict_policy="manual")
    world.write_csv("ada@example.com,Lovelace,Ada,+44123")
    sync_once(), sync_once()
    ada = world.crm_records()[0]
    world.admin("PATCH", f"records/Contacts/{ada['id']}", json={"Phone": "+4400"})
    world.write_csv("ada@example.com,Lovelace,Ada,+4499")
    assert sync_once().pull.conflicts == 1
    monkeypatch.setattr(runner, "wants_full_snapshot", lambda *_: False)
    with world.runtime() as runtime, runtime.store.transaction() as tx:  # the record predates the cursor
        later = datetime.now(UTC) + timedelta(hours=1)
        tx.checkpoints.update("contacts", Direction.PULL, cursor=later.isoformat())
    world.write_csv("ada@example.com,Lovelace,Augusta Ada,+4499")  # the source edits another field

    report = sync_once()

    assert report.error is None and report.pull.read == 0
    assert (report.push.updated, report.pull.updated, report.pull.conflicts) == (1, 0, 1)
    crm = world.crm_records()[0]
    assert (crm["First_Name"], crm["Phone"]) == ("Augusta Ada", "+4400")  # the held Phone is not overwritten
    assert "ada@example.com,Lovelace,Augusta Ada,+4499" in world.csv_rows()


@pytest.mark.usefixtures("tiny_chunks")
def test_the_mass_delete_brake_counts_deletes_of_every_chunk(world: World, sync_once: RunOnce) -> None:
    world.write_config(delete_policy="soft", max_delete_share="0.2")
    rows = [f"p{i}@example.com,Person{i},P," for i in range(10)]
    world.write_csv(*rows)
    sync_once()
    world.write_csv(*rows[:7])  # 3 of 10 gone, each alone in its chunk: together more than 20%

    braked = sync_once()

    assert braked.error is not None and "refusing to delete 3 of 10 records on the crm side" in braked.error
    assert braked.push.deleted == 0 and len(world.crm_records()) == 10

    allowed = sync_once(allow_mass_delete=True)

    assert allowed.error is None and allowed.push.deleted == 3
    assert sorted(r["Email"] for r in world.crm_records()) == [f"p{i}@example.com" for i in range(7)]


def test_the_first_crm_page_is_asked_for_before_the_source_is_read(
    world: World, sync_once: RunOnce, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Zoho builds the page while the source is read: the job exists before the connector is asked."""
    events: list[str] = []
    created, read_source = BulkReader.create_job, runner.read_source

    def creating(self: BulkReader, query: Any) -> str:
        events.append("create bulk read job")
        return created(self, query)

    def reading(*args: Any, **kwargs: Any) -> Any:
        events.append("read source")
        return read_source(*args, **kwargs)

    monkeypatch.setattr(BulkReader, "create_job", creating)
    monkeypatch.setattr(runner, "read_source", reading)
    world.write_csv("ada@example.com,Lovelace,Ada,+44123")

    report = sync_once()

    assert report.error is None and report.push.created == 1
    assert events == ["create bulk read job", "read source"]
    assert report.pull.credits == 50  # one job for the one page, not a second


@pytest.mark.usefixtures("tiny_chunks")
def test_the_source_gets_its_changes_in_batches_of_at_most_source_batch(
    world: World, sync_once: RunOnce, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a run holds for the source is bounded by the batch, whatever the module's size."""
    sizes: list[int] = []
    original = walk.write_source

    def counting(run: Any, changes: Any, wanted: Any) -> Any:
        sizes.append(len(changes))
        return original(run, changes, wanted)

    monkeypatch.setattr(walk, "write_source", counting)
    crm = [{"Email": f"crm{n}@example.com", "Last_Name": f"Crm{n}", "First_Name": "C"} for n in range(8)]
    world.admin("POST", "records/Contacts", json={"records": crm})
    world.write_csv()

    assert sync_once().pull.created == 8

    assert sum(sizes) == 8 and max(sizes) <= walk.SOURCE_BATCH == 3  # chunks of 2: 2, then 2 + 2 is 4 > 3
