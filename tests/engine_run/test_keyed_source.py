"""A source keyed by its own id, with an ``updated_at`` column: the CRM's ``find_by`` value can change.

The CSV stream is keyed by ``id``; ``Email`` (the pipeline's ``find_by``) is an ordinary column, so a
customer can change it. Such a row is already in the ID map: the run must update the CRM record it
is paired with, not upsert by the new email and create a second one. The ``updated_at`` column is
the stream's cursor field, which ``newest_wins`` weighs against the CRM's ``Modified_Time``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from syncd.emulator import RunningEmulator
from tests.engine_run.conftest import RunOnce, World

HEADER = "id,email,surname,given_name,updated_at\n"
LONG_AGO = "2020-01-01T00:00:00+00:00"


class KeyedWorld(World):
    stream = '{ key = ["id"], fields = { id = "integer" }, updated_at = "updated_at" }'
    fields = {"Email": "email", "Last_Name": "surname", "First_Name": "given_name"}
    header = HEADER

    def source(self) -> dict[int, list[str]]:
        return {int(row.split(",")[0]): row.split(",")[1:4] for row in self.csv_rows()}

    def id_map(self) -> dict[str, str]:
        with self.runtime() as runtime, runtime.store.snapshot() as tx:
            return tx.id_map.crm_ids("contacts", [str(key) for key in self.source()])


@pytest.fixture
def world(tmp_path: Path, emulator: RunningEmulator) -> KeyedWorld:
    return KeyedWorld(tmp_path, emulator)


def _people(count: int, stamp: str = LONG_AGO, renamed: int = 0) -> list[str]:
    """Rows 1..count; the first ``renamed`` of them with a new email address."""
    return [
        f"{i},{'new-' if i <= renamed else ''}p{i}@example.com,Person{i},P,{stamp}"
        for i in range(1, count + 1)
    ]


def _by_email(world: World) -> dict[str, dict[str, Any]]:
    records = world.crm_records()
    emails = [str(r["Email"]) for r in records]
    assert len(emails) == len(set(emails)), f"duplicate CRM records: {sorted(emails)}"
    return {str(r["Email"]): r for r in records}


def _assert_plans_nothing(sync_once: RunOnce) -> None:
    again = sync_once()
    assert again.error is None, again.error
    assert (again.push.created, again.push.updated, again.push.credits) == (0, 0, 0)
    assert (again.pull.created, again.pull.updated) == (0, 0)


# -- a changed find_by value -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["rest", "bulk"])
def test_a_changed_email_updates_the_paired_crm_record(
    world: KeyedWorld, sync_once: RunOnce, path: str
) -> None:
    world.write_config(path=path)
    world.write_csv(*_people(3))
    assert sync_once().push.created == 3
    before = _by_email(world)
    ids = world.id_map()
    world.write_csv(*_people(3, stamp="2021-01-01T00:00:00+00:00", renamed=1))

    report = sync_once()

    assert report.error is None, report.error
    assert (report.push.created, report.push.updated) == (0, 1)
    after = _by_email(world)
    assert sorted(after) == ["new-p1@example.com", "p2@example.com", "p3@example.com"]
    assert after["new-p1@example.com"]["id"] == before["p1@example.com"]["id"]
    assert world.id_map() == ids
    _assert_plans_nothing(sync_once)


def test_a_changed_email_and_new_rows_in_one_run(world: KeyedWorld, sync_once: RunOnce) -> None:
    world.write_csv(*_people(2))
    sync_once()
    ids = world.id_map()
    world.write_csv(*_people(4, stamp="2021-01-01T00:00:00+00:00", renamed=2))

    report = sync_once()

    assert report.error is None, report.error
    assert (report.push.created, report.push.updated) == (2, 2)
    after = _by_email(world)
    assert sorted(after) == ["new-p1@example.com", "new-p2@example.com", "p3@example.com", "p4@example.com"]
    assert {key: world.id_map()[key] for key in ids} == ids
    _assert_plans_nothing(sync_once)


# -- newest_wins with the source's timestamp -------------------------------------------------------


def _edit_both(world: KeyedWorld, sync_once: RunOnce, source_stamp: str) -> None:
    """Person1's first name becomes Augusta in the CRM (now) and Countess in the source (at the stamp)."""
    world.write_config(conflict_policy="newest_wins")
    world.write_csv("1,p1@example.com,Person1,Ada,2020-01-01T00:00:00+00:00")
    sync_once()
    (record,) = world.crm_records()
    world.admin("PATCH", f"records/Contacts/{record['id']}", json={"First_Name": "Augusta"})
    world.write_csv(f"1,p1@example.com,Person1,Countess,{source_stamp}")


@pytest.mark.parametrize(
    ("source_stamp", "winner"),
    [("2099-01-01T00:00:00+00:00", "Countess"), ("2021-01-01T00:00:00+00:00", "Augusta")],
    ids=["source-newer", "crm-newer"],
)
def test_newest_wins_weighs_the_source_timestamp(
    world: KeyedWorld, sync_once: RunOnce, source_stamp: str, winner: str
) -> None:
    _edit_both(world, sync_once, source_stamp)
    crm_time = datetime.fromisoformat(world.crm_records()[0]["Modified_Time"])
    assert datetime.fromisoformat("2021-01-01T00:00:00+00:00") < crm_time.astimezone(UTC)
    assert crm_time < datetime.fromisoformat("2099-01-01T00:00:00+00:00")

    report = sync_once()

    assert report.error is None, report.error
    assert report.push.conflicts == 1
    (record,) = world.crm_records()
    assert record["First_Name"] == winner
    assert world.source()[1][2] == winner
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        assert tx.conflicts.find("contacts") == []  # settled by the policy
    _assert_plans_nothing(sync_once)
