"""Resolved conflicts end to end: held by `manual`, resolved with `syncd conflicts resolve`, applied by
the next run to both sides, closed, and a run after that plans nothing."""

from __future__ import annotations

import pytest

from syncd.cli import main
from syncd.store import Closing, Conflict
from tests.engine_run.conftest import RunOnce, World


def held_conflict(world: World, sync_once: RunOnce) -> Conflict:
    """Ada's first name becomes Augusta in the CRM and Countess in the CSV; `manual` holds it."""
    world.write_config(conflict_policy="manual")
    world.write_csv("ada@example.com,Lovelace,Ada,")
    sync_once()
    (ada,) = world.crm_records()
    world.admin("PATCH", f"records/Contacts/{ada['id']}", json={"First_Name": "Augusta", "Phone": "+44100"})
    world.write_csv("ada@example.com,Lovelace,Countess,")
    held = sync_once()
    assert held.push.conflicts == 1 and held.push.updated == 0
    assert world.csv_rows() == ["ada@example.com,Lovelace,Countess,+44100"]  # the CRM's Phone merged
    return conflicts(world)[0]


def conflicts(world: World) -> list[Conflict]:
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        return tx.conflicts.find("contacts", unresolved=False)


def resolve(world: World, conflict_id: int, *args: str) -> None:
    assert main(["conflicts", "resolve", str(conflict_id), *args, "--config", str(world.config_path)]) == 0


def assert_settled_then_quiet(world: World, sync_once: RunOnce, first_name: str) -> None:
    (ada,) = world.crm_records()
    assert ada["First_Name"] == first_name
    assert world.csv_rows() == [f"ada@example.com,Lovelace,{first_name},+44100"]
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        assert (
            tx.records.get("contacts", ["ada@example.com"])["ada@example.com"].values["First_Name"]
            == first_name
        )
        assert tx.conflicts.pending("contacts") == []
    again = sync_once(dry_run=True)  # `syncd plan`
    assert (again.push.updated, again.pull.updated, again.push.conflicts, again.notes) == (0, 0, 0, [])
    quiet = sync_once()
    assert (quiet.push.updated, quiet.pull.updated, quiet.push.conflicts, quiet.push.credits) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("arguments", "first_name"),
    [
        (("--take", "crm"), "Augusta"),
        (("--take", "source"), "Countess"),
        (("--value", "First_Name=Ada"), "Ada"),  # the value last synced
        (("--value", "First_Name=Augusta Ada"), "Augusta Ada"),  # a value neither side held
    ],
)
def test_the_next_run_applies_a_resolution_to_both_sides_and_closes_it(
    world: World, sync_once: RunOnce, arguments: tuple[str, ...], first_name: str
) -> None:
    conflict = held_conflict(world, sync_once)
    resolve(world, conflict.id, *arguments)
    planned = sync_once(dry_run=True)
    assert "would apply 1 conflict resolutions" in planned.notes
    assert [c.closed_as for c in conflicts(world)] == [None]  # a plan closes nothing

    report = sync_once()

    assert report.error is None and report.push.conflicts == 0
    assert "applied 1 conflict resolutions" in report.notes
    (closed,) = conflicts(world)
    assert (closed.id, closed.closed_as) == (conflict.id, Closing.APPLIED)
    assert_settled_then_quiet(world, sync_once, first_name)


def test_a_resolution_whose_field_changed_again_is_closed_stale_and_the_conflict_held_afresh(
    world: World, sync_once: RunOnce
) -> None:
    conflict = held_conflict(world, sync_once)
    resolve(world, conflict.id, "--take", "crm")
    world.write_csv("ada@example.com,Lovelace,Lady Ada,+44100")  # the source changed its mind since

    report = sync_once()

    assert report.error is None and report.push.conflicts == 1
    assert any(
        "resolution of ada@example.com is stale (the source changed First_Name again)" in n
        for n in report.notes
    )
    stale, fresh = conflicts(world)
    assert (stale.id, stale.closed_as, stale.closed_note) == (
        conflict.id, Closing.STALE, "the source changed First_Name again",
    )  # fmt: skip
    assert (fresh.resolution, fresh.crm["First_Name"], fresh.source["First_Name"]) == (
        None,
        "Augusta",
        "Lady Ada",
    )
    assert world.crm_records()[0]["First_Name"] == "Augusta"  # nothing written on a stale answer
    assert world.csv_rows() == ["ada@example.com,Lovelace,Lady Ada,+44100"]

    resolve(world, fresh.id, "--take", "source")
    assert sync_once().error is None
    (ada,) = world.crm_records()
    assert ada["First_Name"] == "Lady Ada"
    quiet = sync_once()
    assert (quiet.push.updated, quiet.pull.updated, quiet.push.conflicts) == (0, 0, 0)


def test_a_resolution_waits_while_its_crm_write_cannot_run(world: World, sync_once: RunOnce) -> None:
    conflict = held_conflict(world, sync_once)
    resolve(world, conflict.id, "--take", "source")
    world.write_config(
        conflict_policy="manual", credits="daily_limit = 100\nreserve = 50"
    )  # no room to write

    starved = sync_once()

    assert starved.deferred and [c.closed_as for c in conflicts(world)] == [None]
    assert any("wait for writes that did not succeed" in note for note in starved.notes)
    assert world.crm_records()[0]["First_Name"] == "Augusta"
    world.write_config(conflict_policy="manual", credits="daily_limit = 50000\nreserve = 5000")
    assert sync_once().error is None
    assert [c.closed_as for c in conflicts(world)] == [Closing.APPLIED]
    assert_settled_then_quiet(world, sync_once, "Countess")


@pytest.mark.parametrize(("choice", "kept"), [("--keep", True), ("--delete", False)])
def test_a_record_deleted_in_the_csv_and_edited_in_the_crm_is_kept_or_deleted(
    world: World, sync_once: RunOnce, choice: str, kept: bool
) -> None:
    world.write_config(conflict_policy="manual", delete_policy="soft", max_delete_share="1.0")
    world.write_csv("ada@example.com,Lovelace,Ada,", "grace@example.com,Hopper,Grace,")
    sync_once()
    ada = next(r for r in world.crm_records() if r["Email"] == "ada@example.com")
    world.admin("PATCH", f"records/Contacts/{ada['id']}", json={"Phone": "+44100"})
    world.write_csv("grace@example.com,Hopper,Grace,")  # Ada's row is gone from the CSV
    held = sync_once()
    assert held.push.conflicts == 1 and held.push.deleted == 0
    (conflict,) = conflicts(world)
    assert (conflict.crm, conflict.source) == ({"*record*": "edited"}, {"*record*": "deleted"})

    resolve(world, conflict.id, choice)
    report = sync_once()

    assert report.error is None and [c.closed_as for c in conflicts(world)] == [Closing.APPLIED]
    emails = sorted(r["Email"] for r in world.crm_records())
    if kept:
        assert emails == ["ada@example.com", "grace@example.com"]
        assert sorted(world.csv_rows()) == [
            "ada@example.com,Lovelace,Ada,+44100",
            "grace@example.com,Hopper,Grace,",
        ]
    else:
        assert emails == ["grace@example.com"] and report.push.deleted == 1
        assert world.csv_rows() == ["grace@example.com,Hopper,Grace,"]
    quiet = sync_once()
    assert (quiet.push.created, quiet.push.deleted, quiet.pull.created, quiet.push.conflicts) == (0, 0, 0, 0)
