"""A run against the emulator over HTTP with the CSV connector: push, pull, matching, echoes."""

from __future__ import annotations

from tests.engine_run.conftest import RunOnce, World


def test_first_push_creates_crm_records_and_a_second_run_plans_nothing(
    world: World, sync_once: RunOnce
) -> None:
    world.write_csv("ada@example.com,Lovelace,Ada,+44123", "grace@example.com,Hopper,Grace,")

    first = sync_once()

    assert first.error is None
    assert first.push.created == 2
    assert first.push.credits == 1  # one REST upsert of 2 records
    assert sorted(r["Email"] for r in world.crm_records()) == ["ada@example.com", "grace@example.com"]
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        assert tx.id_map.count("contacts") == 2

    second = sync_once()

    assert second.error is None
    assert (second.push.created, second.push.updated, second.push.credits) == (0, 0, 0)
    assert (second.pull.created, second.pull.updated) == (0, 0)
    assert len(world.crm_records()) == 2


def test_first_sync_matches_by_find_by_without_duplicates(world: World, sync_once: RunOnce) -> None:
    world.admin(
        "POST",
        "records/Contacts",
        json={
            "records": [
                {"Email": "ADA@example.com", "Last_Name": "Lovelace", "First_Name": "Ada"},
                {"Email": "alan@example.com", "Last_Name": "Turing", "First_Name": "Alan"},
            ]
        },
    )
    world.write_csv("ada@example.com,Lovelace,Ada,")

    report = sync_once()

    assert report.error is None
    assert len(world.crm_records()) == 2  # Ada matched, not created again
    assert report.push.created == 0
    assert report.pull.created == 1  # Alan came over to the source
    assert any(row.startswith("alan@example.com,Turing,Alan") for row in world.csv_rows())
    assert sync_once().push.credits == 0


def test_updates_on_each_side_propagate(world: World, sync_once: RunOnce) -> None:
    world.write_csv("ada@example.com,Lovelace,Ada,", "grace@example.com,Hopper,Grace,")
    sync_once()
    ada = next(r for r in world.crm_records() if r["Email"] == "ada@example.com")
    world.admin("PATCH", f"records/Contacts/{ada['id']}", json={"Phone": "+4400"})
    world.write_csv("ada@example.com,Lovelace,Ada,", "grace@example.com,Hopper,Amazing Grace,")

    report = sync_once()

    assert report.error is None
    assert report.pull.updated == 1 and report.push.updated == 1
    assert "ada@example.com,Lovelace,Ada,+4400" in world.csv_rows()
    grace = next(r for r in world.crm_records() if r["Email"] == "grace@example.com")
    assert grace["First_Name"] == "Amazing Grace"
    again = sync_once()
    assert (again.push.updated, again.pull.updated, again.push.credits) == (0, 0, 0)


def test_bad_rows_become_rejects_without_spending_credits(world: World, sync_once: RunOnce) -> None:
    world.write_csv("not-an-email,Nobody,No,", "ada@example.com,Lovelace,Ada,")

    report = sync_once()

    assert report.push.rejected == 1 and report.push.created == 1
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        (reject,) = tx.rejects.find("contacts")
    assert reject.key == "not-an-email" and "INVALID_DATA" in reject.error_codes


def test_a_pinned_bulk_path_goes_through_one_journaled_job(world: World, sync_once: RunOnce) -> None:
    world.write_config(path="bulk")
    world.write_csv(*(f"p{i}@example.com,Person{i},P," for i in range(30)))

    report = sync_once()

    assert report.error is None
    assert (report.push.created, report.push.jobs, report.push.credits) == (30, 1, 500)
    assert len(world.crm_records()) == 30
    assert sync_once().push.credits == 0


def test_plan_writes_nothing(world: World, sync_once: RunOnce) -> None:
    world.write_csv("ada@example.com,Lovelace,Ada,")
    before = world.stats()["products"]["crm"]["credits"]["spent_total"]

    report = sync_once(dry_run=True)

    assert report.push.created == 1 and report.paths == ["rest_upsert of 1 rows for 1 credits"]
    assert world.crm_records() == []
    spent = world.stats()["products"]["crm"]["credits"]["spent_total"] - before
    assert spent < 50 + 10  # a bulk read and metadata calls, no write


def test_work_that_does_not_fit_the_budget_is_deferred_and_resumed(world: World, sync_once: RunOnce) -> None:
    world.write_config(credits="daily_limit = 100\nreserve = 50")  # the bulk read takes the 50 left
    world.write_csv("ada@example.com,Lovelace,Ada,")

    starved = sync_once()

    assert starved.push.created == 0 and starved.deferred and world.crm_records() == []
    world.write_config(credits="daily_limit = 50000\nreserve = 5000")
    assert sync_once().push.created == 1
    assert [r["Email"] for r in world.crm_records()] == ["ada@example.com"]


def test_a_field_changed_on_both_sides_is_held_under_manual(world: World, sync_once: RunOnce) -> None:
    world.write_config(conflict_policy="manual")
    world.write_csv("ada@example.com,Lovelace,Ada,")
    sync_once()
    (ada,) = world.crm_records()
    world.admin("PATCH", f"records/Contacts/{ada['id']}", json={"First_Name": "Augusta"})
    world.write_csv("ada@example.com,Lovelace,Countess,")

    report = sync_once()

    assert report.push.conflicts == 1 and report.push.updated == 0 and report.pull.updated == 0
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        (held,) = tx.conflicts.find("contacts")
    assert (held.crm["First_Name"], held.source["First_Name"]) == ("Augusta", "Countess")
