"""Rows Zoho skips become rejects classed by whether a retry can help; a marked retry re-sends them."""

from __future__ import annotations

from syncd.store.rejects import RejectStatus
from tests.engine_run.conftest import RunOnce, World


def _match_by_id_only(world: World) -> None:
    """Upserts by record id: a new row whose email the CRM already holds is Zoho's DUPLICATE_DATA."""
    world.config_path.write_text(
        world.config_path.read_text(encoding="utf-8").replace('find_by = "Email"', 'find_by = "id"'),
        encoding="utf-8",
    )


def test_a_row_zoho_skips_is_a_reject_and_a_marked_retry_resends_it(world: World, sync_once: RunOnce) -> None:
    _match_by_id_only(world)
    world.admin(
        "POST", "records/Contacts", json={"records": [{"Email": "ada@example.com", "Last_Name": "X"}]}
    )
    (squatter,) = world.crm_records()
    world.write_csv("ada@example.com,Lovelace,Ada,", "grace@example.com,Hopper,Grace,")

    refused = sync_once()

    assert refused.error is None and refused.push.rejected == 1
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        (reject,) = tx.rejects.find("contacts")
    assert (reject.key, reject.error_codes, reject.retryable) == (
        "ada@example.com",
        ("DUPLICATE_DATA",),
        False,
    )
    assert reject.row["Email"] == "ada@example.com"  # the values sent, kept for a retry

    sync_once()  # reads back the values the first run wrote to the source: from here it is unchanged
    world.admin("DELETE", f"records/Contacts/{squatter['id']}")  # an operator removes the duplicate
    with world.runtime() as runtime, runtime.store.transaction() as tx:
        assert tx.rejects.mark_retry([reject.id]) == 1

    retried = sync_once()

    assert retried.error is None and retried.push.created == 1
    assert sorted(r["Email"] for r in world.crm_records()) == ["ada@example.com", "grace@example.com"]
    with world.runtime() as runtime, runtime.store.snapshot() as tx:
        assert (
            tx.rejects.find("contacts") == [] and tx.rejects.find("contacts", status=RejectStatus.RETRY) == []
        )
