"""The REST calls against the emulator over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from syncd.emulator import RunningEmulator
from syncd.zoho import ZohoClient


def test_org_and_field_metadata(connect: Callable[..., ZohoClient]) -> None:
    client = connect()
    assert client.rest.zgid()
    fields = client.rest.fields("Contacts")
    assert fields["Last_Name"].data_type == "text"
    assert fields["Email"].data_type == "email"


def test_upsert_reports_each_record(connect: Callable[..., ZohoClient]) -> None:
    client = connect()
    records = [{"Email": f"rest{i}@example.com", "Last_Name": f"Rest{i}"} for i in range(150)] + [
        {"Email": "x@example.com"}
    ]
    outcomes = client.rest.upsert("Contacts", records, duplicate_check_fields=["Email"])
    assert [o.ok for o in outcomes] == [True] * 150 + [False]
    assert outcomes[-1].code == "MANDATORY_NOT_FOUND"
    again = client.rest.upsert("Contacts", records[:1], duplicate_check_fields=["Email"])
    assert again[0].action == "update" and again[0].record_id == outcomes[0].record_id


def test_modified_since_and_deleted(emulator: RunningEmulator, connect: Callable[..., ZohoClient]) -> None:
    client = connect()
    since = datetime.now(UTC) - timedelta(days=3650)
    changed = list(client.rest.modified_since("Contacts", since, ["Last_Name", "Email"]))
    assert len(changed) == 250
    victim = str(changed[0]["id"])
    with emulator.admin() as admin:
        admin.delete(f"records/Contacts/{victim}").raise_for_status()
    assert victim in {record.id for record in client.rest.deleted("Contacts")}


def test_delete_moves_records_to_the_deleted_list(connect: Callable[..., ZohoClient]) -> None:
    client = connect()
    since = datetime.now(UTC) - timedelta(days=3650)
    ids = [str(record["id"]) for record in client.rest.modified_since("Contacts", since, ["Email"])][:120]

    outcomes = client.rest.delete("Contacts", [*ids, "12345"])

    assert [o.ok for o in outcomes] == [True] * 120 + [False]
    assert outcomes[-1].unknown
    left = {str(record["id"]) for record in client.rest.modified_since("Contacts", since, ["Email"])}
    assert left.isdisjoint(ids) and len(left) == 130
    assert set(ids) <= {record.id for record in client.rest.deleted("Contacts")}
