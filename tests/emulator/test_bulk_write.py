"""Bulk write jobs over HTTP: creation, the job's life, its details, the result download, faults."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator

from .conftest import mint
from .writing import create, job_body, result_rows, run, upload, upload_csv, wait, zip_of

CONTACTS = "Last_Name,First_Name,Email\nBoyle,Patricia,p.boyle@example.com\nKeller,Tom,t.keller@example.com\n"


def test_an_insert_job_is_scheduled_and_completes_with_counts(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    created = create(api, job_body(upload_csv(api, emulator, CONTACTS)))
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("status", "code", "message")} == {
        "status": "success",
        "code": "SUCCESS",
        "message": "success",
    }
    user = emulator.state.records.users[0]
    assert body["details"]["created_by"] == {"id": str(user.id), "name": user.full_name}
    details = wait(api, body["details"]["id"])
    assert details["status"] == "COMPLETED"
    assert details["id"] == body["details"]["id"]
    assert details["operation"] == "insert"
    assert details["character_encoding"] == "UTF-8"
    resource = details["resource"][0]
    assert (resource["status"], resource["type"], resource["code"]) == ("COMPLETED", "data", "SUCCESS")
    module_id = emulator.state.module_ids[("crm", "Contacts")]
    assert resource["module"] == {"api_name": "Contacts", "id": str(module_id)}
    assert resource["file"] == {
        "status": "COMPLETED",
        "name": "data.csv",
        "added_count": 2,
        "skipped_count": 0,
        "updated_count": 0,
        "total_count": 2,
    }
    assert emulator.state.records.count("crm", "Contacts") == 2


def test_auto_mapped_columns_are_echoed_with_every_key(api: httpx.Client, emulator: RunningEmulator) -> None:
    details = run(api, job_body(upload_csv(api, emulator, CONTACTS)))
    assert details["resource"][0]["field_mappings"][0] == {
        "api_name": "Last_Name",
        "index": 0,
        "format": None,
        "find_by": None,
        "module": None,
        "parent_column_index": None,
        "default_value": None,
    }


def test_the_download_url_is_absolute_and_serves_the_result_zip(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    details = run(api, job_body(upload_csv(api, emulator, CONTACTS)))
    job_id = details["id"]
    zgid = emulator.state.zgids["crm"]
    assert (
        details["result"]["download_url"] == f"{emulator.url}/v8/crm/{zgid}/bulk-write/{job_id}/{job_id}.zip"
    )
    rows = result_rows(api, details)
    assert [r["Last_Name"] for r in rows] == ["Boyle", "Keller"]
    assert [r["STATUS"] for r in rows] == ["ADDED", "ADDED"]
    assert all(emulator.state.records.exists("crm", "Contacts", int(r["RECORD_ID"])) for r in rows)


def test_the_result_download_needs_a_token_and_the_right_org(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    details = run(api, job_body(upload_csv(api, emulator, CONTACTS)))
    url = details["result"]["download_url"]
    assert httpx.get(url).status_code == 401
    wrong_org = api.get(url.replace(f"/{emulator.state.zgids['crm']}/", "/123/"))
    assert (wrong_org.status_code, wrong_org.json()["code"]) == (404, "INVALID_URL_PATTERN")
    wrong_file = api.get(url.replace(".zip", "-x.zip"))
    assert (wrong_file.status_code, wrong_file.json()["code"]) == (404, "RESOURCE_NOT_FOUND")


def test_a_job_moves_from_added_through_in_progress_to_completed() -> None:
    with start_emulator(EmulatorSettings(job_seconds=100)) as emu:
        token = mint(emu.url).json()["access_token"]
        with httpx.Client(base_url=emu.url, headers={"Authorization": f"Zoho-oauthtoken {token}"}) as api:
            job_id = create(api, job_body(upload_csv(api, emu, CONTACTS))).json()["details"]["id"]
            added = api.get(f"/crm/bulk/v8/write/{job_id}").json()
            assert added["status"] == "ADDED"
            assert added["resource"][0]["file"] == {"status": "ADDED"}
            assert "result" not in added
            emu.state.clock.advance(50)
            running = api.get(f"/crm/bulk/v8/write/{job_id}").json()
            assert running["status"] == "IN PROGRESS"
            assert running["resource"][0]["file"]["added_count"] == 0
            assert emu.state.records.count("crm", "Contacts") == 0
            emu.state.clock.advance(50)
            assert wait(api, job_id)["status"] == "COMPLETED"


def test_a_scheduled_job_costs_500_credits_and_a_refused_one_nothing(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    file_id = upload_csv(api, emulator, CONTACTS)
    ledger = emulator.state.credits["crm"]
    before = ledger.spent_total
    assert create(api, job_body(file_id, operation="merge")).status_code == 400
    assert ledger.spent_total == before
    assert create(api, job_body(file_id)).status_code == 201
    assert ledger.spent_total == before + 500


def _mapping(*items: dict[str, Any]) -> dict[str, Any]:
    return {"field_mappings": list(items)}


LAST = {"api_name": "Last_Name", "index": 0}
CREATE_ERRORS: list[tuple[str, dict[str, Any], dict[str, Any], str, str | None]] = [
    # (case, top-level changes, resource changes, code, message)
    (
        "no operation",
        {"operation": None},
        {},
        "MANDATORY_NOT_FOUND",
        "required key operation is not found in request body.",
    ),
    ("bad operation", {"operation": "merge"}, {}, "INVALID_DATA", None),
    (
        "no resource",
        {"resource": None},
        {},
        "MANDATORY_NOT_FOUND",
        "required key resource is not found in request body.",
    ),
    (
        "update without find_by",
        {"operation": "update"},
        {},
        "MANDATORY_NOT_FOUND",
        "Required key find_by is not available",
    ),
    ("find_by not unique", {"operation": "upsert"}, {"find_by": "Last_Name"}, "INVALID_DATA", None),
    ("find_by unknown", {"operation": "upsert"}, {"find_by": "Nope"}, "INVALID_FIELD", None),
    (
        "unknown module",
        {},
        {"module": {"api_name": "asdf"}},
        "MODULE_NOT_AVAILABLE",
        "Requested module 'asdf' is not available.",
    ),
    ("unknown file id", {}, {"file_id": "4876876000000000001"}, "INVALID_FILE_ID", "improper file id"),
    ("no file id", {}, {"file_id": None}, "MANDATORY_NOT_FOUND", None),
    ("bad type", {}, {"type": "meta"}, "INVALID_DATA", None),
    (
        "bad api name",
        {},
        _mapping(LAST, {"api_name": "ast_Name", "index": 1}),
        "INVALID_FIELD",
        "invalid mapping. invalid api_name ast_Name.",
    ),
    ("read-only field", {}, _mapping(LAST, {"api_name": "Created_Time", "index": 1}), "INVALID_FIELD", None),
    ("negative index", {}, _mapping({"api_name": "Last_Name", "index": -1}), "COLUMN_INDEX_NOT_FOUND", None),
    (
        "index past the end",
        {},
        _mapping({"api_name": "Last_Name", "index": 3}),
        "COLUMN_INDEX_NOT_FOUND",
        None,
    ),
    (
        "no index",
        {},
        _mapping({"api_name": "Last_Name"}),
        "MANDATORY_NOT_FOUND",
        "required key index for field Last_Name is not found in request body.",
    ),
    ("too many mappings", {}, _mapping(*([LAST] * 201)), "HEADER_LIMIT_EXCEEDED", None),
    (
        "mandatory not mapped",
        {},
        _mapping({"api_name": "Email", "index": 2}),
        "MANDATORY_FIELDS_NOT_MAPPED",
        "All mandatory fields are not mapped for the layout",
    ),
    ("mapped twice", {}, _mapping(LAST, {"api_name": "Last_Name", "index": 1}), "INVALID_DATA", None),
    (
        "bad date format",
        {},
        _mapping(LAST, {"api_name": "Date_of_Birth", "index": 1, "format": "qq/yyyy"}),
        "INVALID_FORMAT",
        None,
    ),
    (
        "format on text",
        {},
        _mapping(LAST, {"api_name": "First_Name", "index": 1, "format": "yyyy"}),
        "INVALID_FORMAT",
        None,
    ),
    (
        "lookup without find_by",
        {},
        _mapping(LAST, {"api_name": "Account_Name", "index": 1}),
        "MANDATORY_NOT_FOUND",
        None,
    ),
    (
        "lookup by a plain field",
        {},
        _mapping(LAST, {"api_name": "Account_Name", "index": 1, "find_by": "Phone"}),
        "INVALID_FIELD",
        None,
    ),
    (
        "bad default value",
        {},
        _mapping(LAST, {"api_name": "Email", "default_value": {"value": "nope"}}),
        "INVALID_DATA",
        None,
    ),
    (
        "callback method",
        {"callback": {"url": "http://127.0.0.1:9/cb", "method": "get"}},
        {},
        "INVALID_CALLBACK_METHOD",
        None,
    ),
    ("callback url", {"callback": {"url": "ftp://x", "method": "post"}}, {}, "INVALID_DATA", None),
    ("ignore_empty type", {"ignore_empty": "yes"}, {}, "INVALID_DATA", None),
    ("unknown charset", {"character_encoding": "klingon-8"}, {}, "INVALID_DATA", None),
    (
        "parent_column_index alone",
        {},
        _mapping(LAST, {"api_name": "First_Name", "index": 1, "parent_column_index": 0}),
        "INVALID_DATA",
        None,
    ),
]


@pytest.mark.parametrize(
    ("top", "resource", "code", "message"), [c[1:] for c in CREATE_ERRORS], ids=[c[0] for c in CREATE_ERRORS]
)
def test_create_errors_carry_zohos_code_and_http_400(
    api: httpx.Client,
    emulator: RunningEmulator,
    top: dict[str, Any],
    resource: dict[str, Any],
    code: str,
    message: str | None,
) -> None:
    body = job_body(upload_csv(api, emulator, CONTACTS))
    body["resource"][0].update(resource)
    body.update(top)
    body = {k: v for k, v in body.items() if v is not None}
    body["resource"] = [
        {k: v for k, v in r.items() if v is not None} for r in body.get("resource", [])
    ] or None
    body = {k: v for k, v in body.items() if v is not None}
    response = create(api, body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert (error["status"], error["code"]) == ("error", code)
    if message is not None:
        assert error["message"] == message
    if code == "INVALID_CALLBACK_METHOD":
        assert error["details"] == {"supported_callback_methods": ["post"]}


def test_a_body_that_is_not_json_is_refused(api: httpx.Client) -> None:
    response = api.post("/crm/bulk/v8/write", content=b"{nope", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["code"]) == (400, "REQUEST_BODY_NOT_SUPPORTED")


def test_more_than_25000_rows_exceed_the_limit(api: httpx.Client, emulator: RunningEmulator) -> None:
    text = "Last_Name\n" + "x\n" * 25_001
    response = create(api, job_body(upload_csv(api, emulator, text)))
    assert (response.status_code, response.json()["code"]) == (400, "LIMIT_EXCEEDED")


def test_more_than_200_header_columns_exceed_the_header_limit(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    text = ",".join(["Last_Name"] * 201) + "\n"
    response = create(api, job_body(upload_csv(api, emulator, text)))
    assert (response.status_code, response.json()["code"]) == (400, "HEADER_LIMIT_EXCEEDED")


def test_an_unknown_header_column_is_an_invalid_field(api: httpx.Client, emulator: RunningEmulator) -> None:
    response = create(api, job_body(upload_csv(api, emulator, "Last_Name,Favourite_Colour\nBoyle,red\n")))
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_FIELD")
    assert response.json()["details"] == {"api_name": "Favourite_Colour"}


def test_a_zip_with_several_csvs_needs_file_names(api: httpx.Client, emulator: RunningEmulator) -> None:
    file_id = upload(api, emulator, zip_of({"a.csv": CONTACTS, "b.csv": CONTACTS}))
    response = create(api, job_body(file_id))
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_DATA")
    assert "file_names" in response.json()["message"]
    chosen = run(api, job_body(file_id, file_names=["b.csv"]))
    assert chosen["resource"][0]["file"]["name"] == "b.csv"


def test_an_unknown_job_is_not_found(api: httpx.Client) -> None:
    for job_id in ("4876876000000000001", "abc"):
        response = api.get(f"/crm/bulk/v8/write/{job_id}")
        assert (response.status_code, response.json()["code"]) == (404, "RESOURCE_NOT_FOUND")


def test_v2_takes_and_shows_the_module_as_a_bare_string(api: httpx.Client, emulator: RunningEmulator) -> None:
    body = job_body(upload_csv(api, emulator, CONTACTS))
    body["resource"][0]["module"] = "Contacts"
    details = run(api, body, path="/crm/bulk/v2/write")
    assert details["resource"][0]["module"] == "Contacts"
    assert "/v2/crm/" in details["result"]["download_url"]


def test_a_failing_job_ends_failed_and_touches_no_record(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.state.faults.configure({"fail_next_jobs": 1})
    details = run(api, job_body(upload_csv(api, emulator, CONTACTS)))
    assert details["status"] == "FAILED"
    assert details["resource"][0]["status"] == "FAILED"
    assert "result" not in details
    assert emulator.state.records.count("crm", "Contacts") == 0
    assert run(api, job_body(upload_csv(api, emulator, CONTACTS)))["status"] == "COMPLETED"


def test_a_cut_download_promises_the_whole_zip_and_sends_half(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    details = run(api, job_body(upload_csv(api, emulator, CONTACTS)))
    emulator.state.faults.configure({"cut_next_downloads": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(details["result"]["download_url"])
    assert len(result_rows(api, details)) == 2
    assert emulator.state.extras["downloads"]["bulk_write"] == {"served": 1, "cut": 1}


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/callback", received
    server.shutdown()
    server.server_close()


def test_the_callback_spelt_callBack_receives_the_job_details(
    api: httpx.Client, emulator: RunningEmulator, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    body = job_body(upload_csv(api, emulator, CONTACTS))
    body["callBack"] = {"url": url, "method": "post"}
    details = run(api, body)
    assert details["callback"] == {"url": url, "method": "post"}
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.02)
    assert received[0]["id"] == details["id"]
    assert received[0]["status"] == "COMPLETED"
    assert received[0]["result"]["download_url"] == details["result"]["download_url"]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_bigin_bulk_write_runs_on_its_own_paths(
    api: httpx.Client, emulator: RunningEmulator, version: str
) -> None:
    file_id = upload_csv(api, emulator, CONTACTS, product="bigin")
    body = job_body(file_id, operation="upsert", find_by="Email", ignore_empty=True)
    details = run(api, body, path=f"/bigin/bulk/{version}/write")
    assert details["resource"][0]["file"]["added_count"] == 2
    assert (
        f"/{version}/bigin/{emulator.state.zgids['bigin']}/bulk-write/" in details["result"]["download_url"]
    )
    assert emulator.state.records.count("bigin", "Contacts") == 2
    assert emulator.state.records.count("crm", "Contacts") == 0
    crm_file = create(api, job_body(upload_csv(api, emulator, CONTACTS)), path=f"/bigin/bulk/{version}/write")
    assert crm_file.json()["code"] == "INVALID_FILE_ID"
