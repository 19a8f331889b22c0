"""Bulk read over HTTP: job shapes and states, the result CSV, paging and page tokens, versions, Bigin."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import httpx
import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator
from syncd.emulator.seed import seed_module

from .bulk_read_client import BulkRead, client_for, error

CONTACTS = {"module": {"api_name": "Contacts"}}


@pytest.fixture
def reads(api: httpx.Client) -> BulkRead:
    return BulkRead(api)


def contact_ids(emulator: RunningEmulator) -> list[str]:
    return [str(record_id) for record_id, _ in emulator.state.records.iter_rows("crm", "Contacts")]


def test_create_answers_201_with_the_documented_shape(emulator: RunningEmulator, reads: BulkRead) -> None:
    response = reads.create(CONTACTS)
    assert response.status_code == 201
    body = response.json()
    assert body["info"] == {}
    (entry,) = body["data"]
    assert (entry["status"], entry["code"], entry["message"]) == (
        "success",
        "ADDED_SUCCESSFULLY",
        "Added successfully.",
    )
    details = entry["details"]
    assert set(details) == {"id", "operation", "state", "created_by", "created_time"}
    assert details["id"].isdigit() and len(details["id"]) == 19
    assert (details["operation"], details["state"]) == ("read", "ADDED")
    user = emulator.state.records.users[0]
    assert details["created_by"] == {"id": str(user.id), "name": user.full_name}
    assert datetime.fromisoformat(details["created_time"]).utcoffset() is not None


@pytest.fixture
def slow_emulator() -> Iterator[RunningEmulator]:
    with start_emulator(EmulatorSettings(job_seconds=100.0, page_size=50)) as emu:
        yield emu


def test_a_job_moves_through_its_states_as_the_clock_passes(slow_emulator: RunningEmulator) -> None:
    clock = slow_emulator.state.clock
    with client_for(slow_emulator) as api:
        reads = BulkRead(api)
        job_id = reads.job_id(CONTACTS)
        seen = [reads.status(job_id)]
        for seconds in (30, 20, 60):
            clock.advance(seconds)
            seen.append(reads.status(job_id) if seconds != 60 else reads.wait(job_id))
    assert [job["state"] for job in seen] == ["ADDED", "QUEUED", "IN PROGRESS", "COMPLETED"]
    assert all("result" not in job for job in seen[:3])
    assert seen[3]["result"]["count"] == 0


def test_a_completed_job_shows_its_result_and_echoes_its_query(
    emulator: RunningEmulator, reads: BulkRead
) -> None:
    seed_module(emulator.state, "crm", "Contacts", 7, 1)
    query = {**CONTACTS, "fields": ["Last_Name", "Email"], "page": 1}
    job = reads.run(query)
    assert job["state"] == "COMPLETED"
    assert job["operation"] == "read"
    assert job["file_type"] == "csv"
    module_id = emulator.state.module_ids[("crm", "Contacts")]
    assert job["query"] == {
        "module": {"id": str(module_id), "api_name": "Contacts"},
        "fields": ["Last_Name", "Email"],
        "page": 1,
    }
    assert job["result"] == {
        "page": 1,
        "per_page": 50,
        "count": 7,
        "download_url": f"/crm/bulk/v7/read/{job['id']}/result",
        "more_records": False,
    }


@pytest.fixture
def zoned_emulator() -> Iterator[RunningEmulator]:
    with start_emulator(EmulatorSettings(job_seconds=0.0, page_size=50, timezone="Asia/Kolkata")) as emu:
        yield emu


def test_the_download_is_a_zip_holding_the_csv(zoned_emulator: RunningEmulator) -> None:
    state = zoned_emulator.state
    owner = state.records.users[0]
    account = state.records.insert("crm", "Accounts", {"Account_Name": "Zylker, Inc."}, owner.id)
    contact = state.records.insert(
        "crm",
        "Contacts",
        {
            "Last_Name": "O'Leary",
            "Title": 'Head of "Sales", EMEA\nand APAC',
            "Account_Name": account,
            "Interests": ("Cloud", "AI"),
            "Email_Opt_Out": True,
            "Date_of_Birth": date(1990, 5, 1),
            "Credit_Limit": Decimal("1500.50"),
            "Last_Contacted": int(datetime.fromisoformat("2021-07-25T02:13:17-07:00").timestamp()),
        },
        owner.id,
    )
    fields = ["Last_Name", "Title", "Owner", "Owner.email", "Account_Name", "Account_Name.Account_Name"]
    fields += ["Interests", "Email_Opt_Out", "Date_of_Birth", "Credit_Limit", "Last_Contacted", "Email"]
    with client_for(zoned_emulator) as api:
        reads = BulkRead(api)
        job = reads.run({**CONTACTS, "fields": fields})
        response = reads.download(job["id"])
        assert response.headers["content-type"] == "application/zip"
        assert response.headers["content-disposition"] == f'attachment; filename="{job["id"]}.zip"'
        assert int(response.headers["content-length"]) == len(response.content)
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            assert archive.namelist() == [f"{job['id']}.csv"]
        text = reads.text(job["id"])
        (row,) = reads.rows(job["id"])
    assert text.splitlines()[0] == ",".join(["Id", *fields])
    assert '"Head of ""Sales"", EMEA\nand APAC"' in text
    assert row == {
        "Id": str(contact),
        "Last_Name": "O'Leary",
        "Title": 'Head of "Sales", EMEA\nand APAC',
        "Owner": str(owner.id),
        "Owner.email": owner.email,
        "Account_Name": str(account),
        "Account_Name.Account_Name": "Zylker, Inc.",
        "Interests": "Cloud;AI",
        "Email_Opt_Out": "true",
        "Date_of_Birth": "1990-05-01",
        "Credit_Limit": "1500.50",
        "Last_Contacted": "2021-07-25T14:43:17+05:30",
        "Email": "",
    }


def test_without_fields_every_exportable_field_is_exported(
    emulator: RunningEmulator, reads: BulkRead
) -> None:
    seed_module(emulator.state, "crm", "Contacts", 2, 1)
    module = emulator.state.records.module("crm", "Contacts")
    assert module is not None
    expected = ["Id", *(f.api_name for f in module.fields if f.exportable and f.api_name != "id")]
    job = reads.run(CONTACTS)
    header = reads.text(job["id"]).splitlines()[0].split(",")
    assert header == expected
    for unexportable in ("Description", "Notes_Summary", "Interested_Products", "Contact_Sub"):
        assert unexportable not in header
    many = reads.run({**CONTACTS, "fields": ["Last_Name"] * 201})
    assert reads.text(many["id"]).splitlines()[0].split(",") == expected


def test_requested_id_and_repeated_fields_do_not_duplicate_columns(
    reads: BulkRead, emulator: RunningEmulator
) -> None:
    seed_module(emulator.state, "crm", "Contacts", 1, 1)
    job = reads.run({**CONTACTS, "fields": ["id", "Last_Name", "Last_Name", "Owner.id"]})
    assert reads.text(job["id"]).splitlines()[0] == "Id,Last_Name,Owner.id"


def test_criteria_filter_the_export(emulator: RunningEmulator, reads: BulkRead) -> None:
    seed_module(emulator.state, "crm", "Contacts", 40, 3)
    boss = emulator.state.records.users[0]
    criteria = {
        "group_operator": "or",
        "group": [
            {"field": {"api_name": "Lead_Source"}, "comparator": "equal", "value": "Advertisement"},
            {"api_name": "Owner.email", "comparator": "equal", "value": boss.email},
        ],
    }
    job = reads.run({**CONTACTS, "fields": ["Lead_Source", "Owner"], "criteria": criteria})
    rows = reads.rows(job["id"])
    assert rows, "the seed should hold some matches"
    assert all(r["Lead_Source"] == "Advertisement" or r["Owner"] == str(boss.id) for r in rows)
    everything = reads.rows(reads.run({**CONTACTS, "fields": ["Lead_Source", "Owner"]})["id"])
    expected = [r for r in everything if r["Lead_Source"] == "Advertisement" or r["Owner"] == str(boss.id)]
    assert rows == expected
    assert job["query"]["criteria"]["group"][1] == {
        "field": {"id": None, "api_name": "Owner.email"},
        "comparator": "equal",
        "value": boss.email,
    }


def test_pages_slice_the_match_set_in_insertion_order(emulator: RunningEmulator, reads: BulkRead) -> None:
    seed_module(emulator.state, "crm", "Contacts", 120, 2)
    seen: list[str] = []
    results = []
    for page in (1, 2, 3, 4):
        job = reads.run({**CONTACTS, "fields": ["Last_Name"], "page": page})
        results.append(job["result"])
        seen += [row["Id"] for row in reads.rows(job["id"])]
    assert [(r["page"], r["count"], r["more_records"]) for r in results] == [
        (1, 50, True),
        (2, 50, True),
        (3, 20, False),
        (4, 0, False),
    ]
    assert seen == contact_ids(emulator)


def test_page_tokens_lead_through_every_page(emulator: RunningEmulator, reads: BulkRead) -> None:
    seed_module(emulator.state, "crm", "Contacts", 120, 2)
    job = reads.run({**CONTACTS, "fields": ["Last_Name"]})
    seen = [row["Id"] for row in reads.rows(job["id"])]
    pages = [job["result"]["page"]]
    while job["result"]["more_records"]:
        token = job["result"]["next_page_token"]
        assert len(token) == 96
        job = reads.run({"page_token": token})
        assert job["query"]["page_token"] == token
        assert job["query"]["fields"] == ["Last_Name"]
        pages.append(job["result"]["page"])
        seen += [row["Id"] for row in reads.rows(job["id"])]
    assert "next_page_token" not in job["result"]
    assert pages == [1, 2, 3]
    assert seen == contact_ids(emulator)


def test_a_token_may_come_with_the_same_query_but_not_another(
    emulator: RunningEmulator, reads: BulkRead
) -> None:
    seed_module(emulator.state, "crm", "Contacts", 60, 2)
    token = reads.run({**CONTACTS, "fields": ["Last_Name"]})["result"]["next_page_token"]
    same = reads.run({**CONTACTS, "fields": ["Last_Name"], "page_token": token})
    assert same["result"]["count"] == 10
    other = reads.create({"module": {"api_name": "Leads"}, "page_token": token})
    assert "module" in error(other, 400, "INVALID_DATA")["message"]
    fields = reads.create({**CONTACTS, "fields": ["Email"], "page_token": token})
    assert "fields" in error(fields, 400, "INVALID_DATA")["message"]
    error(reads.create({"page_token": token, "page": 2}), 400, "PAGE_NOT_SUPPORTED")
    error(reads.create({"page_token": "not-a-token"}), 400, "INVALID_DATA")


def test_page_tokens_belong_to_their_user_and_last_a_day(emulator: RunningEmulator, reads: BulkRead) -> None:
    seed_module(emulator.state, "crm", "Contacts", 60, 2)
    token = reads.run({**CONTACTS, "fields": ["Last_Name"]})["result"]["next_page_token"]
    with client_for(emulator, user_index=1) as other_user:
        foreign = BulkRead(other_user).create({"page_token": token})
        assert "another user" in error(foreign, 400, "INVALID_DATA")["message"]
    emulator.state.clock.advance(24 * 3600 + 1)
    with client_for(emulator) as api:
        expired = BulkRead(api).create({"page_token": token})
        assert "expired" in error(expired, 400, "INVALID_DATA")["message"]


def test_versions_before_v7_page_without_tokens(emulator: RunningEmulator, api: httpx.Client) -> None:
    seed_module(emulator.state, "crm", "Contacts", 60, 2)
    job = BulkRead(api, "v6").run(CONTACTS)
    assert job["result"]["more_records"] is True
    assert "next_page_token" not in job["result"]
    assert job["result"]["download_url"] == f"/crm/bulk/v6/read/{job['id']}/result"


def test_v2_takes_the_module_as_a_string_and_echoes_the_old_forms(
    emulator: RunningEmulator, api: httpx.Client
) -> None:
    seed_module(emulator.state, "crm", "Contacts", 3, 2)
    v2 = BulkRead(api, "v2")
    criteria = {"field": {"api_name": "Last_Name"}, "comparator": "not_equal", "value": "${EMPTY}"}
    job = v2.run({"module": "Contacts", "criteria": criteria})
    assert job["query"]["module"] == "Contacts"
    assert job["query"]["criteria"] == {
        "api_name": "Last_Name",
        "comparator": "not_equal",
        "value": "${EMPTY}",
    }
    assert len(v2.rows(job["id"])) == 3
    error(v2.create(CONTACTS), 400, "INVALID_DATA")
    error(BulkRead(api, "v2.1").create({"module": "Contacts"}), 400, "INVALID_DATA")


def test_bigin_has_its_own_bulk_read(emulator: RunningEmulator, api: httpx.Client) -> None:
    seed_module(emulator.state, "bigin", "Contacts", 4, 2)
    bigin = BulkRead(api, "v2", product="bigin")
    job = bigin.run({**CONTACTS, "fields": ["Last_Name", "Account_Name"]})
    assert job["result"]["download_url"] == f"/bigin/bulk/v2/read/{job['id']}/result"
    assert len(bigin.rows(job["id"])) == 4
    assert api.get(f"/crm/bulk/v2/read/{job['id']}").status_code == 404


def test_the_match_set_is_fixed_when_the_job_completes(slow_emulator: RunningEmulator) -> None:
    state = slow_emulator.state
    owner = state.records.users[0].id
    early = state.records.insert("crm", "Contacts", {"Last_Name": "Early"}, owner)
    with client_for(slow_emulator) as api:
        reads = BulkRead(api)
        job_id = reads.job_id({**CONTACTS, "fields": ["Last_Name"]})
        late = state.records.insert("crm", "Contacts", {"Last_Name": "Late"}, owner)
        state.records.delete("crm", "Contacts", early, owner)
        state.clock.advance(100)
        reads.wait(job_id)
        state.records.insert("crm", "Contacts", {"Last_Name": "After"}, owner)
        assert reads.rows(job_id) == [{"Id": str(late), "Last_Name": "Late"}]
