from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from syncd.errors import ConfigError, JobFailedError
from syncd.zoho import ChildRows, FieldMeta, ZohoClient
from syncd.zoho.batches import BatchWriter, column_groups
from syncd.zoho.outcomes import RowError, parse_errors

from .conftest import BASE, FakeZoho, json_answer, zip_answer

FIELDS = {
    "fields": [
        {"api_name": "Last_Name", "data_type": "text", "system_mandatory": True},
        {"api_name": "Email", "data_type": "email", "unique": {"casesensitive": "false"}},
        {"api_name": "Date_of_Birth", "data_type": "date"},
        {
            "api_name": "Tags_MS",
            "data_type": "multiselectpicklist",
            "pick_list_values": [{"actual_value": "Gold"}],
        },
        {"api_name": "Account_Name", "data_type": "lookup", "lookup": {"module": {"api_name": "Accounts"}}},
    ]
}
COLUMNS = ["Email", "Last_Name", "Date_of_Birth", "Tags_MS", "Account_Name"]
ROWS = [
    {
        "key": "k1",
        "Email": "a@example.com",
        "Last_Name": "Boyle",
        "Date_of_Birth": date(1990, 5, 1),
        "Tags_MS": ["Gold", "VIP"],
        "Account_Name": "900",
    },
    {
        "key": "k2",
        "Email": "b@example.com",
        "Last_Name": "O'Leary, Mike",
        "Date_of_Birth": None,
        "Tags_MS": [],
        "Account_Name": None,
    },
    {
        "key": "k3",
        "Email": "c@example.com",
        "Last_Name": "Smith",
        "Date_of_Birth": "not a date",
        "Tags_MS": [],
        "Account_Name": None,
    },
]


def read_zip(path: Path) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(path) as archive:
        return {
            name: list(csv.reader(io.TextIOWrapper(archive.open(name), encoding="utf-8")))
            for name in archive.namelist()
        }


@pytest.fixture
def writer_fake(fake: FakeZoho) -> FakeZoho:
    fake.on("GET /crm/v8/settings/fields", json_answer(200, FIELDS))
    fake.on("GET /crm/v8/org", json_answer(200, {"org": [{"id": "5", "zgid": "6196138"}]}))
    fake.on(
        "POST /crm/v8/upload",
        json_answer(
            200, {"status": "success", "code": "FILE_UPLOAD_SUCCESS", "details": {"file_id": 111000001492610}}
        ),
    )
    fake.on(
        "POST /crm/bulk/v8/write",
        json_answer(201, {"status": "success", "code": "SUCCESS", "details": {"id": "541958"}}),
    )
    return fake


def key(row: Any) -> str:
    return str(row["key"])


def test_rows_are_written_as_zoho_csv_and_bad_rows_rejected_with_their_key(
    writer_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    prep = make_client().bulk_write.prepare("Contacts", ROWS, columns=COLUMNS, key=key, find_by="Email")
    assert [r.key for r in prep.rejected] == ["k3"]
    assert prep.rejected[0].error.field == "Date_of_Birth"
    (batch,) = prep.batches
    assert batch.row_keys == ("k1", "k2")
    assert read_zip(batch.path) == {
        "Contacts.csv": [
            ["Email", "Last_Name", "Date_of_Birth", "Tags_MS", "Account_Name.id"],
            ["a@example.com", "Boyle", "1990-05-01", "Gold;VIP", "900"],
            ["b@example.com", "O'Leary, Mike", "", "", ""],
        ]
    }


def test_the_same_rows_make_the_same_content_hash(tmp_path: Path) -> None:
    meta = {"Email": FieldMeta("Email", "email")}
    one = BatchWriter(tmp_path / "a").prepare("Contacts", ROWS, columns=["Email"], key=key, metadata=meta)
    two = BatchWriter(tmp_path / "b").prepare("Contacts", ROWS, columns=["Email"], key=key, metadata=meta)
    assert one.batches[0].content_hash == two.batches[0].content_hash


def test_batches_split_at_the_row_limit(tmp_path: Path) -> None:
    rows = [{"key": str(i), "Email": f"{i}@example.com"} for i in range(7)]
    prep = BatchWriter(tmp_path, max_rows=3).prepare(
        "Contacts", rows, columns=["Email"], key=key, metadata={}
    )
    assert [b.row_keys for b in prep.batches] == [("0", "1", "2"), ("3", "4", "5"), ("6",)]


def test_batches_split_before_the_zipped_size_limit(tmp_path: Path) -> None:
    import os

    rows = [{"key": str(i), "Email": os.urandom(600).hex()} for i in range(3000)]  # ~1.9 MB zipped
    prep = BatchWriter(tmp_path, max_bytes=1_600_000).prepare(
        "Contacts", rows, columns=["Email"], key=key, metadata={}
    )
    assert len(prep.batches) == 2
    assert all(batch.size_bytes <= 1_600_000 for batch in prep.batches)
    assert sum(len(b.row_keys) for b in prep.batches) == 3000


def test_more_than_200_columns_split_into_groups_that_each_carry_find_by() -> None:
    columns = ["Email", *(f"F{i}" for i in range(300))]
    groups = column_groups(columns, "Email")
    assert [len(g) for g in groups] == [200, 102]
    assert all(group[0] == "Email" for group in groups)
    with pytest.raises(ConfigError, match="needs a find_by column"):
        column_groups(columns, None)


def test_upload_sends_feature_and_org_then_the_job_maps_every_column(
    writer_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    writer = make_client().bulk_write
    (batch,) = writer.prepare("Contacts", ROWS[:2], columns=COLUMNS, key=key).batches
    file_id = writer.upload(batch)
    assert file_id == "111000001492610"  # a number on the wire, a string here
    upload = writer_fake.calls("POST /crm/v8/upload")[0]
    assert upload.headers["feature"] == "bulk-write"
    assert upload.headers["X-CRM-ORG"] == "6196138"
    assert b'name="file"' in upload.content
    assert writer.create_job(batch, file_id, operation="upsert", find_by="Email") == "541958"
    body = json.loads(writer_fake.calls("POST /crm/bulk/v8/write")[0].content)
    (resource,) = body["resource"]
    assert body["operation"] == "upsert"
    assert resource["find_by"] == "Email"
    assert resource["module"] == {"api_name": "Contacts"}
    assert resource["file_id"] == "111000001492610"
    assert resource["field_mappings"][4] == {"api_name": "Account_Name", "index": 4, "find_by": "id"}
    assert len(writer_fake.calls("GET /crm/v8/org")) == 1


def test_update_and_upsert_need_find_by(
    writer_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    writer = make_client().bulk_write
    (batch,) = writer.prepare("Contacts", ROWS[:1], columns=COLUMNS, key=key).batches
    with pytest.raises(ConfigError, match="needs find_by"):
        writer.create_job(batch, "1", operation="update")


RESULT = (
    "Email,Last_Name,Date_of_Birth,STATUS,RECORD_ID,ERRORS\n"
    "a@example.com,Boyle,1990-05-01,ADDED,4150868000001136302,\n"
    "b@example.com,,,SKIPPED,,MANDATORY_NOT_FOUND-Company,Last_Name:DUPLICATE_DATA-Email\n"
)


@pytest.mark.parametrize("running", ["IN PROGRESS", "INPROGRESS"])
def test_the_result_is_joined_to_the_input_rows_by_position(
    writer_fake: FakeZoho, make_client: Callable[..., ZohoClient], running: str
) -> None:
    download = f"{BASE}/v2/crm/6196138/bulk-write/541958/541958.zip"
    done = {
        "status": "COMPLETED",
        "id": "541958",
        "result": {"download_url": download},
        "resource": [
            {"status": "COMPLETED", "file": {"added_count": 1, "skipped_count": 1, "total_count": 2}}
        ],
    }
    writer_fake.on(
        "GET /crm/bulk/v8/write/541958",
        json_answer(200, {"status": running, "id": "541958"}),
        json_answer(200, done),
    )
    writer_fake.on(
        "GET /v2/crm/6196138/bulk-write/541958/541958.zip",
        zip_answer(
            {
                "Contacts-bulkwrite.csv": RESULT.replace(",MANDATORY", ',"MANDATORY').replace(
                    "Email\n", 'Email"\n'
                )
            }
        ),
    )
    writer = make_client().bulk_write
    (batch,) = writer.prepare("Contacts", ROWS[:2], columns=COLUMNS, key=key).batches
    job = writer.wait("541958")
    assert (job.added, job.skipped) == (1, 1)
    first, second = writer.fetch_result(job, batch)
    assert (first.key, first.status, first.record_id, first.ok) == (
        "k1",
        "ADDED",
        "4150868000001136302",
        True,
    )
    assert (second.key, second.status, second.ok, second.retryable) == ("k2", "SKIPPED", False, False)
    assert second.errors == (
        RowError("MANDATORY_NOT_FOUND", ("Company", "Last_Name")),
        RowError("DUPLICATE_DATA", ("Email",)),
    )


def test_a_short_result_marks_the_missing_rows_unprocessed(
    writer_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    done = {"status": "COMPLETED", "id": "9", "result": {"download_url": "/bulk-write/9.zip"}}
    writer_fake.on("GET /crm/bulk/v8/write/9", json_answer(200, done))
    writer_fake.on("GET /bulk-write/9.zip", zip_answer({"r.csv": "STATUS,RECORD_ID,ERRORS\nUPDATED,77,\n"}))
    writer = make_client().bulk_write
    (batch,) = writer.prepare("Contacts", ROWS[:2], columns=COLUMNS, key=key).batches
    outcomes = writer.fetch_result("9", batch)
    assert [(o.status, o.retryable) for o in outcomes] == [("UPDATED", False), ("UNPROCESSED", True)]


@pytest.mark.parametrize("failed", ["FAILED", "FAILURE"])
def test_a_failed_write_job_raises(
    writer_fake: FakeZoho, make_client: Callable[..., ZohoClient], failed: str
) -> None:
    body = {
        "status": failed,
        "id": "9",
        "resource": [{"status": "FAILED", "code": "INVALID_FILE_ID", "message": "improper file id"}],
    }
    writer_fake.on("GET /crm/bulk/v8/write/9", json_answer(200, body))
    with pytest.raises(JobFailedError, match="improper file id"):
        make_client().bulk_write.wait("9")


def test_parent_child_batches_hold_one_csv_per_module_and_link_children(
    writer_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    writer = make_client().bulk_write
    parents = [{"key": "q1", "Subject": "Quote 1", "Ref": "R1"}]
    items = ChildRows(
        "Quoted_Items",
        [{"Parent_Id": "R1", "Product_Name": "900", "Quantity": 2}],
        ["Parent_Id", "Product_Name", "Quantity"],
        "Parent_Id",
        "Ref",
    )
    batch = writer.prepare_parent_child(
        "Quotes", parents, columns=["Ref", "Subject"], key=key, children=[items]
    )
    assert set(read_zip(batch.path)) == {"Quotes.csv", "Quoted_Items.csv"}
    body = writer.job_request(batch, "77", operation="insert", find_by=None, ignore_empty=False)
    parent, child = body["resource"]
    assert parent["file_names"] == ["Quotes.csv"] and child["file_names"] == ["Quoted_Items.csv"]
    assert child["field_mappings"][0] == {"api_name": "Parent_Id", "index": 0, "parent_column_index": 0}


def test_error_strings_parse_into_codes_and_columns() -> None:
    assert parse_errors("") == ()
    assert parse_errors("LIMIT_EXCEEDED") == (RowError("LIMIT_EXCEEDED"),)
    assert parse_errors("INVALID_DATA-Email").__len__() == 1
    assert parse_errors("CANNOT_PROCESS")[0].retryable


@pytest.mark.parametrize("key", ["callback", "callBack"])
def test_the_echoed_callback_is_read_in_either_spelling(key: str) -> None:
    from syncd.zoho import WriteJob

    body = {"status": "ADDED", "id": 7, key: {"url": "https://hooks.example/cb", "method": "post"}}
    assert WriteJob.parse({"data": [body]}).callback_url == "https://hooks.example/cb"
    assert WriteJob.parse(body).id == "7"
