"""Bulk write against the emulator over real HTTP: each step on its own, outcomes per row."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from syncd.emulator import RunningEmulator
from syncd.zoho import ZohoClient

COLUMNS = ["Email", "Last_Name", "First_Name"]


def stored(emulator: RunningEmulator) -> dict[str, dict[str, Any]]:
    with emulator.admin() as admin:
        records = [
            json.loads(line) for line in admin.get("records/Contacts").text.splitlines() if line.strip()
        ]
    return {str(record.get("Email")): record for record in records}


def test_an_upsert_job_adds_updates_and_skips_rows_by_position(
    emulator: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    existing_email = next(email for email in stored(emulator) if email and email != "None")
    rows = [
        {"Email": "new.one@example.com", "Last_Name": "Newman", "First_Name": "Ann"},
        {"Email": existing_email, "Last_Name": "Renamed", "First_Name": "Bo"},
        {"Email": "no.name@example.com", "Last_Name": "", "First_Name": "Cy"},
    ]
    writer = connect().bulk_write
    prep = writer.prepare("Contacts", rows, columns=COLUMNS, key=lambda row: row["Email"], find_by="Email")
    (batch,) = prep.batches
    file_id = writer.upload(batch)
    job_id = writer.create_job(batch, file_id, operation="upsert", find_by="Email")
    job = writer.wait(job_id)
    outcomes = writer.fetch_result(job, batch)

    assert [(o.key, o.status) for o in outcomes] == [
        ("new.one@example.com", "ADDED"),
        (existing_email, "UPDATED"),
        ("no.name@example.com", "SKIPPED"),
    ]
    assert outcomes[2].errors[0].code == "MANDATORY_NOT_FOUND"
    assert "Last_Name" in outcomes[2].errors[0].columns
    after = stored(emulator)
    assert str(after["new.one@example.com"]["id"]) == outcomes[0].record_id
    assert after[existing_email]["Last_Name"] == "Renamed"
    assert "no.name@example.com" not in after
