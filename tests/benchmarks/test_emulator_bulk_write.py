"""How fast the emulator processes a full bulk write job: 25,000 rows upserted by Email."""

from __future__ import annotations

import csv
import io
import time
import zipfile

import httpx
import pytest

from syncd.emulator import EmulatorSettings, start_emulator

ROWS = 25_000


def _zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Contacts.csv", text)
    return buffer.getvalue()


def _csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["Email", "Last_Name", "First_Name", "Phone", "Loyalty_Points", "Date_of_Birth", "Lead_Source"]
    )
    for i in range(ROWS):
        writer.writerow(
            [f"c{i}@example.com", f"Last{i}", "Ana", f"+4930{i:07d}", i % 1000, "1990-05-17", "Partner"]
        )
    return out.getvalue()


@pytest.mark.benchmark
def test_a_25000_row_upsert_job() -> None:
    with start_emulator(EmulatorSettings(job_seconds=0.0)) as emu:
        store = emu.state.records
        owner = store.users[0].id
        for i in range(0, ROWS, 2):  # every other row already exists: half updates, half inserts
            store.insert("crm", "Contacts", {"Last_Name": f"Old{i}", "Email": f"c{i}@example.com"}, owner)
        token = httpx.post(
            f"{emu.url}/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": "demo",
                "client_secret": "demo",
                "refresh_token": "demo",
            },
        ).json()["access_token"]
        with httpx.Client(
            base_url=emu.url, headers={"Authorization": f"Zoho-oauthtoken {token}"}, timeout=120
        ) as api:
            headers = {"feature": "bulk-write", "X-CRM-ORG": str(emu.state.zgids["crm"])}
            uploaded = api.post("/crm/v8/upload", headers=headers, files={"file": ("c.zip", _zip(_csv()))})
            file_id = uploaded.json()["details"]["file_id"]
            body = {
                "operation": "upsert",
                "resource": [
                    {
                        "type": "data",
                        "module": {"api_name": "Contacts"},
                        "file_id": file_id,
                        "find_by": "Email",
                    }
                ],
            }
            started = time.perf_counter()
            job_id = api.post("/crm/bulk/v8/write", json=body).json()["details"]["id"]
            created = time.perf_counter()
            details = api.get(f"/crm/bulk/v8/write/{job_id}").json()
            while details["status"] != "COMPLETED":
                time.sleep(0.01)
                details = api.get(f"/crm/bulk/v8/write/{job_id}").json()
            finished = time.perf_counter()
            result = api.get(details["result"]["download_url"])
    file = details["resource"][0]["file"]
    assert (file["added_count"], file["updated_count"], file["skipped_count"]) == (ROWS // 2, ROWS // 2, 0)
    assert result.status_code == 200
    assert store.count("crm", "Contacts") == ROWS
    create_s, process_s = created - started, finished - created
    print(
        f"\nbulk write upsert of {ROWS} rows: create (parse + checks) {create_s:.2f} s, "
        f"processing {process_s:.2f} s, {ROWS / (create_s + process_s):,.0f} rows/s overall, "
        f"processing {ROWS / process_s:,.0f} rows/s; processing/create ratio {process_s / create_s:.1f}"
    )
