"""A full snapshot's unchanged pages are counted, not parsed, and never hide a change.

The emulator cuts Contacts into pages of three (``conftest.py``). A page is remembered once all its
records end a run at rest; a later run skips it while its compressed CSV is the same and nothing
could have changed one of its records.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncd.engine import pull, runner
from syncd.store.checkpoints import Direction
from syncd.zoho.rest import DeletedRecord, RestApi
from tests.engine_run.conftest import RunOnce, World

PEOPLE = [f"p{n}@example.com,Person{n},P," for n in range(7)]  # pages of 3, 3 and 1


@pytest.fixture(autouse=True)
def full_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "wants_full_snapshot", lambda *_: True)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The CRM ids of each page a run parsed."""
    pages: list[list[str]] = []
    original = pull._chunks

    def spying(*args: Any, **kwargs: Any) -> Iterator[list[pull.RawRow]]:
        pages.append([])
        for chunk in original(*args, **kwargs):
            pages[-1].extend(row.crm_id for row in chunk)
            yield chunk

    monkeypatch.setattr(pull, "_chunks", spying)
    return pages


def _settled(world: World, sync_once: RunOnce) -> None:
    """Both sides hold the seven people, and every page is remembered."""
    world.write_csv(*PEOPLE)
    assert sync_once().push.created == 7
    assert sync_once().error is None
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        assert sorted(tx.pages.get("contacts")) == [1, 2, 3]


def _crm_id(world: World, email: str) -> str:
    return str(next(r["id"] for r in world.crm_records() if r["Email"] == email))


def test_unchanged_pages_are_not_parsed_and_a_changed_one_is(
    world: World, sync_once: RunOnce, parsed: list[list[str]]
) -> None:
    _settled(world, sync_once)
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        cursor = tx.checkpoints.get("contacts", Direction.PULL).cursor
    parsed.clear()

    quiet = sync_once()

    assert quiet.error is None and parsed == []
    assert (quiet.pull.read, quiet.pull.unchanged, quiet.pull.credits) == (7, 7, 3 * 50)
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        assert tx.checkpoints.get("contacts", Direction.PULL).cursor == cursor  # newest kept from memory

    changed_id = _crm_id(world, "p4@example.com")  # on page 2
    world.admin("PATCH", f"records/Contacts/{changed_id}", json={"Last_Name": "Renamed"})
    parsed.clear()

    changed = sync_once()

    assert changed.error is None and changed.pull.updated == 1 and changed.pull.unchanged == 6
    assert len(parsed) == 1 and changed_id in parsed[0] and len(parsed[0]) == 3
    assert "p4@example.com,Renamed,P," in world.csv_rows()
    echo = sync_once()  # the source's file changed: its rows are read back, so every page is read
    assert echo.push.read == 1 and echo.pull.unchanged == 7 and len(parsed) == 1 + 3
    parsed.clear()

    assert sync_once().pull.unchanged == 7 and parsed == []  # page 2 remembered again


def test_a_source_change_reads_every_page(world: World, sync_once: RunOnce, parsed: list[list[str]]) -> None:
    _settled(world, sync_once)
    world.write_csv(*PEOPLE[:5], "p5@example.com,Changed,P,", PEOPLE[6])
    parsed.clear()

    report = sync_once()

    assert report.error is None and report.push.updated == 1
    assert len(parsed) == 3  # the change could meet its CRM record on any page
    assert next(r for r in world.crm_records() if r["Email"] == "p5@example.com")["Last_Name"] == "Changed"


def test_a_held_conflict_reads_every_page(world: World, sync_once: RunOnce, parsed: list[list[str]]) -> None:
    world.write_config(conflict_policy="manual")
    _settled(world, sync_once)
    world.admin("PATCH", f"records/Contacts/{_crm_id(world, 'p0@example.com')}", json={"Phone": "+1"})
    world.write_csv("p0@example.com,Person0,P,+2", *PEOPLE[1:])
    assert sync_once().pull.conflicts == 1
    parsed.clear()

    report = sync_once()

    assert len(parsed) == 3 and report.pull.conflicts == 1


def test_a_deleted_id_still_on_a_page_is_not_taken_for_a_delete(
    world: World, sync_once: RunOnce, parsed: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Zoho's deleted-records list names a record the snapshot still holds (restored from the recycle
    bin): only reading its page shows it is there, so no page may be skipped."""
    world.write_config(delete_policy="soft", max_delete_share="0.5")
    _settled(world, sync_once)
    restored = _crm_id(world, "p1@example.com")
    listed = DeletedRecord(restored, "2026-11-20T10:00:00+00:00", "recycle", None)
    monkeypatch.setattr(RestApi, "deleted", lambda self, module, **_: iter([listed]))
    parsed.clear()

    report = sync_once()

    assert report.error is None and report.pull.deleted == 0 and len(parsed) == 3
    assert "p1@example.com,Person1,P," in world.csv_rows()


def test_a_dry_run_remembers_nothing(world: World, sync_once: RunOnce, tmp_path: Path) -> None:
    world.write_csv(*PEOPLE)
    sync_once()
    sync_once(dry_run=True)
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        assert tx.pages.get("contacts") == {}
