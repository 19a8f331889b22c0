"""Conflict policies end to end: a field changed on both sides, and fields changed on one side each."""

from __future__ import annotations

import pytest

from tests.engine_run.conftest import RunOnce, World


def edit_both_sides(world: World, sync_once: RunOnce) -> None:
    """Ada's first name becomes Augusta in the CRM and Countess in the CSV."""
    world.write_csv("ada@example.com,Lovelace,Ada,")
    sync_once()
    (ada,) = world.crm_records()
    world.admin("PATCH", f"records/Contacts/{ada['id']}", json={"First_Name": "Augusta"})
    world.write_csv("ada@example.com,Lovelace,Countess,")


@pytest.mark.parametrize(
    ("policy", "winner"),
    [("crm_wins", "Augusta"), ("source_wins", "Countess"), ("newest_wins", "Augusta")],
)
def test_a_field_changed_on_both_sides_follows_the_policy(
    world: World, sync_once: RunOnce, policy: str, winner: str
) -> None:
    # newest_wins: the CSV stream has no timestamp column, so the CRM's Modified_Time is newer
    world.write_config(conflict_policy=policy)
    edit_both_sides(world, sync_once)

    report = sync_once()

    assert report.error is None and report.push.conflicts == 1
    (ada,) = world.crm_records()
    assert ada["First_Name"] == winner
    assert world.csv_rows() == [f"ada@example.com,Lovelace,{winner},"]
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        assert tx.conflicts.find("contacts") == []  # settled by the policy, nothing held
    again = sync_once()
    assert (again.push.updated, again.pull.updated, again.push.conflicts) == (0, 0, 0)


def test_fields_changed_on_different_sides_both_survive(world: World, sync_once: RunOnce) -> None:
    world.write_config(conflict_policy="manual")
    world.write_csv("ada@example.com,Lovelace,Ada,")
    sync_once()
    (ada,) = world.crm_records()
    world.admin("PATCH", f"records/Contacts/{ada['id']}", json={"Phone": "+44100"})
    world.write_csv("ada@example.com,King,Ada,")

    report = sync_once()

    assert report.error is None and report.push.conflicts == 0
    assert (report.push.updated, report.pull.updated) == (1, 1)
    (ada,) = world.crm_records()
    assert (ada["Last_Name"], ada["Phone"]) == ("King", "+44100")
    assert world.csv_rows() == ["ada@example.com,King,Ada,+44100"]
