"""A full snapshot checkpoints each page; a run cut short goes on at the next page, losing nothing.

The emulator cuts Contacts into pages of three (``conftest.py``; seven records: three pages). A run
is "killed" right after a page is checkpointed by an exception from the walk, as a crash there would
leave it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from syncd.engine import runner, walk
from syncd.store.checkpoints import Checkpoint, Direction
from tests.engine_run.conftest import RunOnce, World

PEOPLE = [{"Email": f"p{n}@example.com", "Last_Name": f"Person{n}", "First_Name": "P"} for n in range(7)]


class Killed(Exception):
    pass


@pytest.fixture
def kill_after_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Put a page number in the list: the next run dies right after checkpointing that page."""
    at: list[int] = []
    done = walk.Walk.done

    def dying(self: walk.Walk, page: Any) -> None:
        done(self, page)
        if at and page.number == at[0]:
            at.clear()
            raise Killed(f"killed after page {page.number}")

    monkeypatch.setattr(walk.Walk, "done", dying)
    yield at


def _pull_point(world: World) -> Checkpoint:
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        return tx.checkpoints.get("contacts", Direction.PULL)


def _cut_after(page: int, world: World, sync_once: RunOnce, kill_after_page: list[int]) -> None:
    """The seven people in the CRM, an empty source, and a first pull killed after ``page``."""
    world.admin("POST", "records/Contacts", json={"records": PEOPLE})
    world.write_csv()
    kill_after_page.append(page)
    with pytest.raises(Killed):
        sync_once()


def _emails(world: World) -> list[str]:
    return sorted(row.split(",")[0] for row in world.csv_rows())


def test_a_snapshot_cut_after_page_two_goes_on_at_page_three(
    world: World, sync_once: RunOnce, kill_after_page: list[int]
) -> None:
    before = datetime.now(UTC)

    _cut_after(2, world, sync_once, kill_after_page)

    point = _pull_point(world)
    assert point.snapshot_page == 2 and point.page_token
    assert point.page_token_expires_at is not None
    assert point.page_token_expires_at - before >= timedelta(hours=23, minutes=59)
    assert len(world.csv_rows()) == 6  # pages 1 and 2 were written before the checkpoint

    resumed = sync_once()

    assert resumed.error is None and not resumed.full_snapshot
    assert resumed.pull.credits == 50 and resumed.pull.read == 1 and resumed.pull.created == 1
    assert any("went on with the snapshot an earlier run left at page 2" in note for note in resumed.notes)
    assert _emails(world) == sorted(p["Email"] for p in PEOPLE)
    point = _pull_point(world)
    assert (point.snapshot_page, point.page_token, point.page_token_expires_at) == (None, None, None)
    assert point.last_full_snapshot_at is None  # the next run takes a full snapshot

    full = sync_once()

    assert full.error is None and full.full_snapshot and full.pull.credits == 150
    assert (full.pull.created, full.pull.updated, full.push.created, full.push.updated) == (0, 0, 0, 0)
    assert _emails(world) == sorted(p["Email"] for p in PEOPLE) and len(world.crm_records()) == 7
    assert _pull_point(world).last_full_snapshot_at is not None


def test_changes_on_both_sides_survive_a_cut_snapshot(
    world: World, sync_once: RunOnce, kill_after_page: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "wants_full_snapshot", lambda *_: True)
    world.write_csv(*(f"{p['Email']},{p['Last_Name']},P," for p in PEOPLE))
    assert sync_once().push.created == 7
    assert sync_once().error is None
    crm = {r["Email"]: r["id"] for r in world.crm_records()}
    world.admin("PATCH", f"records/Contacts/{crm['p4@example.com']}", json={"Last_Name": "FromCrm"})  # page 2
    rows = [f"{p['Email']},{p['Last_Name']},P," for p in PEOPLE]
    rows[0] = "p0@example.com,FromShop,P,"  # its CRM record is on page 1
    world.write_csv(*rows)
    kill_after_page.append(2)

    with pytest.raises(Killed):
        sync_once()

    assert "p4@example.com,FromCrm,P," in world.csv_rows()  # page 2's change reached the source
    assert next(r for r in world.crm_records() if r["Email"] == "p0@example.com")["Last_Name"] == "Person0"

    resumed = sync_once()

    assert resumed.error is None and resumed.push.updated == 1
    records = world.crm_records()
    assert len(records) == 7
    assert next(r for r in records if r["Email"] == "p0@example.com")["Last_Name"] == "FromShop"
    assert next(r for r in records if r["Email"] == "p4@example.com")["Last_Name"] == "FromCrm"
    again = sync_once()
    assert (again.push.created, again.push.updated, again.pull.created, again.pull.updated) == (0, 0, 0, 0)
    assert again.push.credits == 0 and len(world.csv_rows()) == 7


def test_an_expired_page_token_reads_the_module_again_from_page_one(
    world: World, sync_once: RunOnce, kill_after_page: list[int]
) -> None:
    _cut_after(1, world, sync_once, kill_after_page)
    with world.runtime() as runtime, runtime.store.transaction() as tx:
        tx.checkpoints.update(
            "contacts", Direction.PULL, page_token_expires_at=datetime.now(UTC) - timedelta(minutes=1)
        )

    again = sync_once()

    assert again.error is None and again.full_snapshot and again.pull.credits == 150
    assert any("has expired" in note and "from page 1" in note for note in again.notes)
    assert _emails(world) == sorted(p["Email"] for p in PEOPLE)
    assert _pull_point(world).snapshot_page is None


def test_a_token_zoho_refuses_reads_the_module_again_from_page_one(
    world: World, sync_once: RunOnce, kill_after_page: list[int]
) -> None:
    _cut_after(1, world, sync_once, kill_after_page)
    world.emulator.state.clock.advance(25 * 3600)  # Zoho's clock says the token lapsed; ours does not

    again = sync_once()

    assert again.error is None and again.full_snapshot
    assert any("Zoho would not go on" in note for note in again.notes)
    assert _emails(world) == sorted(p["Email"] for p in PEOPLE)


def test_a_stop_request_stops_after_the_page_it_checkpoints(world: World, sync_once: RunOnce) -> None:
    world.admin("POST", "records/Contacts", json={"records": PEOPLE})
    world.write_csv()
    stop = threading.Event()
    chunk = walk.Walk.chunk

    def stopping(self: walk.Walk, rows: Any) -> None:
        chunk(self, rows)
        stop.set()  # asked to stop while page 1 is being read

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(walk.Walk, "chunk", stopping)
        stopped = sync_once(stop=stop)

    assert stopped.error is None and "stopped after page 1" in " ".join(stopped.notes)
    assert len(world.csv_rows()) == 3 and _pull_point(world).snapshot_page == 1
    resumed = sync_once()
    assert resumed.pull.credits == 2 * 50 and _emails(world) == sorted(p["Email"] for p in PEOPLE)


def test_a_dry_run_checkpoints_no_page(world: World, sync_once: RunOnce) -> None:
    world.admin("POST", "records/Contacts", json={"records": PEOPLE})
    world.write_csv()

    assert sync_once(dry_run=True).error is None

    assert _pull_point(world).snapshot_page is None and world.csv_rows() == []
