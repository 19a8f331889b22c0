"""Bulk read's checks and limits over HTTP: request errors, custom views, ICS, credits, the download
throttle, result expiry, callbacks and injected faults."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest

from syncd.emulator import RunningEmulator
from syncd.emulator.bulk_read import bulk_reads
from syncd.emulator.bulk_read.query import QueryParser
from syncd.emulator.seed import seed_module

from .bulk_read_client import BulkRead, client_for, error

CONTACTS = {"module": {"api_name": "Contacts"}}


@pytest.fixture
def reads(api: httpx.Client) -> BulkRead:
    return BulkRead(api)


def leaf(api_name: str, comparator: str, value: Any) -> dict[str, Any]:
    return {"field": {"api_name": api_name}, "comparator": comparator, "value": value}


def leaves(n: int) -> dict[str, Any]:
    return {"group_operator": "and", "group": [leaf("Last_Name", "not_equal", f"x{i}") for i in range(n)]}


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"module": {"api_name": "Potions"}}, 400, "MODULE_NOT_AVAILABLE"),
        ({"module": {"api_name": "Contact_Sub"}}, 400, "MODULE_NOT_SUPPORTED"),
        ({"fields": ["Last_Name"]}, 400, "MANDATORY_NOT_FOUND"),
        ({**CONTACTS, "fields": ["Nickname"]}, 400, "FIELD_NOT_AVAILABLE"),
        ({**CONTACTS, "fields": ["Account_Name.Nope"]}, 400, "FIELD_NOT_AVAILABLE"),
        ({**CONTACTS, "fields": ["Description"]}, 400, "FIELD_NOT_SUPPORTED"),
        ({**CONTACTS, "fields": ["Interested_Products"]}, 400, "FIELD_NOT_SUPPORTED"),
        ({**CONTACTS, "fields": ["Contact_Sub"]}, 400, "FIELD_NOT_SUPPORTED"),
        ({**CONTACTS, "fields": "Last_Name"}, 400, "INVALID_DATA"),
        ({**CONTACTS, "page": 501}, 400, "PAGE_RANGE_EXCEEDED"),
        ({**CONTACTS, "page": 0}, 400, "INVALID_DATA"),
        ({**CONTACTS, "page": "2"}, 400, "INVALID_DATA"),
        ({**CONTACTS, "criteria": leaves(26)}, 400, "CRITERIA_LIMIT_EXCEEDED"),
        ({**CONTACTS, "criteria": leaf("Description", "equal", "x")}, 400, "FIELD_IN_CRITERIA_NOT_SUPPORTED"),
        ({**CONTACTS, "cvid": "123"}, 400, "CVID_NOT_SUPPORTED"),
        ({**CONTACTS, "cvid": "all"}, 400, "INVALID_DATA"),
        ({**CONTACTS, "file_type": "pdf"}, 400, "INVALID_DATA"),
        ({**CONTACTS, "file_type": "ics"}, 400, "MODULE_NOT_SUPPORTED"),
        (
            {"module": {"api_name": "Events"}, "file_type": "ics", "fields": ["Event_Title"]},
            400,
            "FIELD_NOT_SUPPORTED",
        ),
    ],
)
def test_bad_queries_get_zohos_errors(reads: BulkRead, query: dict[str, Any], status: int, code: str) -> None:
    error(reads.create(query), status, code)


def test_limits_say_what_they_are(reads: BulkRead) -> None:
    assert error(reads.create({**CONTACTS, "page": 501}), 400, "PAGE_RANGE_EXCEEDED")["details"] == {
        "max_limit": 500
    }
    too_many = error(reads.create({**CONTACTS, "criteria": leaves(26)}), 400, "CRITERIA_LIMIT_EXCEEDED")
    assert too_many["details"] == {"max_limit": 25}
    assert reads.create({**CONTACTS, "criteria": leaves(25)}).status_code == 201
    unknown = error(
        reads.create({**CONTACTS, "fields": ["Last_Name", "Nickname"]}), 400, "FIELD_NOT_AVAILABLE"
    )
    assert unknown["details"] == {"api_name": "Nickname"}


@pytest.mark.parametrize(
    ("callback", "code"),
    [
        ({"url": "https://example.net/hook", "method": "get"}, "INVALID_CALLBACK_METHOD"),
        ({"url": "https://example.net/hook"}, "INVALID_CALLBACK_METHOD"),
        ({"url": "ftp://example.net/hook", "method": "post"}, "INVALID_CALLBACK_URL"),
        ({"url": "not a url", "method": "post"}, "INVALID_CALLBACK_URL"),
        ({"method": "post"}, "INVALID_CALLBACK_URL"),
        ("https://example.net/hook", "INVALID_CALLBACK_URL"),
    ],
)
def test_callbacks_need_an_http_url_and_post(reads: BulkRead, callback: Any, code: str) -> None:
    error(reads.create(CONTACTS, callback=callback), 400, code)


def test_request_body_problems(emulator: RunningEmulator, api: httpx.Client, reads: BulkRead) -> None:
    url = "/crm/bulk/v7/read"
    error(api.post(url, content=b'{"query": {}}'), 415, "MEDIA_TYPE_NOT_SUPPORTED")
    error(
        api.post(url, content=b"{", headers={"content-type": "application/json"}),
        400,
        "REQUEST_BODY_NOT_SUPPORTED",
    )
    error(api.post(url, json=[CONTACTS]), 400, "REQUEST_BODY_NOT_SUPPORTED")
    error(reads.create(), 400, "MANDATORY_NOT_FOUND")
    error(api.post("/crm/bulk/v9/read", json={"query": CONTACTS}), 404, "INVALID_URL_PATTERN")


def test_unknown_jobs_are_not_found(reads: BulkRead, api: httpx.Client) -> None:
    envelope = error(api.get("/crm/bulk/v7/read/4876876000009999999"), 404, "RESOURCE_NOT_FOUND")
    assert envelope["details"] == {"resource": "4876876000009999999"}
    error(api.get("/crm/bulk/v7/read/abc/result"), 404, "RESOURCE_NOT_FOUND")


def test_credits_50_to_create_1_for_status_and_download(emulator: RunningEmulator, reads: BulkRead) -> None:
    ledger = emulator.state.credits["crm"]
    before = ledger.spent_total
    job_id = reads.job_id(CONTACTS)
    assert ledger.spent_total - before == 50
    job = reads.wait(job_id)
    polled = ledger.spent_total
    reads.status(job["id"])
    assert reads.download(job["id"]).status_code == 200
    assert ledger.spent_total - polled == 2
    refused = ledger.spent_total
    error(reads.create({"module": {"api_name": "Potions"}}), 400, "MODULE_NOT_AVAILABLE")
    assert ledger.spent_total == refused


# -- custom views -----------------------------------------------------------------------------------
def view_id(emulator: RunningEmulator, module: str, name: str) -> str:
    definition = emulator.state.records.module("crm", module)
    assert definition is not None
    views = bulk_reads(emulator.state).views.views("crm", definition)
    return str(next(v.id for v in views if v.name == name))


def test_custom_views_filter_and_are_echoed(emulator: RunningEmulator, reads: BulkRead) -> None:
    seed_module(emulator.state, "crm", "Contacts", 40, 5)
    everyone = reads.run(
        {
            **CONTACTS,
            "fields": ["Email", "Email_Opt_Out"],
            "cvid": view_id(emulator, "Contacts", "All Contacts"),
        }
    )
    assert everyone["result"]["count"] == 40
    assert everyone["query"]["cvid"] == view_id(emulator, "Contacts", "All Contacts")
    mailing = reads.run(
        {
            **CONTACTS,
            "fields": ["Email", "Email_Opt_Out"],
            "cvid": view_id(emulator, "Contacts", "Mailing List"),
        }
    )
    rows = reads.rows(mailing["id"])
    expected = [r for r in reads.rows(everyone["id"]) if r["Email"] and r["Email_Opt_Out"] == "false"]
    assert rows == expected
    assert 0 < len(rows) < 40


def test_my_view_is_the_creators_records(emulator: RunningEmulator) -> None:
    state = emulator.state
    first, second = state.records.users[0], state.records.users[1]
    state.records.insert("crm", "Contacts", {"Last_Name": "Mine"}, first.id)
    theirs = state.records.insert("crm", "Contacts", {"Last_Name": "Theirs"}, second.id)
    with client_for(emulator, user_index=1) as api:
        reads = BulkRead(api)
        job = reads.run(
            {**CONTACTS, "fields": ["Last_Name"], "cvid": view_id(emulator, "Contacts", "My Contacts")}
        )
        assert reads.rows(job["id"]) == [{"Id": str(theirs), "Last_Name": "Theirs"}]


def test_a_views_criteria_count_toward_the_25(emulator: RunningEmulator, reads: BulkRead) -> None:
    mailing = view_id(emulator, "Contacts", "Mailing List")  # two criteria
    assert reads.create({**CONTACTS, "cvid": mailing, "criteria": leaves(23)}).status_code == 201
    error(reads.create({**CONTACTS, "cvid": mailing, "criteria": leaves(24)}), 400, "CRITERIA_LIMIT_EXCEEDED")


def test_views_bulk_read_cannot_export(emulator: RunningEmulator, reads: BulkRead) -> None:
    shared = view_id(emulator, "Contacts", "Shared By Me")
    assert (
        "Shared By Me"
        in error(reads.create({**CONTACTS, "cvid": shared}), 400, "CVID_NOT_SUPPORTED")["message"]
    )
    events = {"module": {"api_name": "Events"}, "cvid": view_id(emulator, "Events", "All Events")}
    error(reads.create(events), 400, "CVID_NOT_SUPPORTED")
    leads_view = view_id(emulator, "Leads", "All Leads")
    error(reads.create({**CONTACTS, "cvid": leads_view}), 400, "CVID_NOT_SUPPORTED")


# -- ICS --------------------------------------------------------------------------------------------
def _seconds(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


@pytest.mark.parametrize("inside_query", [False, True])
def test_events_export_as_ics(emulator: RunningEmulator, reads: BulkRead, inside_query: bool) -> None:
    owner = emulator.state.records.users[0].id
    meeting = emulator.state.records.insert(
        "crm",
        "Events",
        {
            "Event_Title": "Kick-off; Zylker, Inc.",
            "Start_DateTime": _seconds("2025-02-03T10:00:00+05:30"),
            "End_DateTime": _seconds("2025-02-03T11:00:00+05:30"),
            "Venue": "Room 1",
            "Description": "Agenda:\nintroductions " + "and more " * 10,
        },
        owner,
    )
    emulator.state.records.insert(
        "crm",
        "Events",
        {
            "Event_Title": "Offsite",
            "All_day": True,
            "Start_DateTime": _seconds("2025-03-01T00:00:00+00:00"),
            "End_DateTime": _seconds("2025-03-02T00:00:00+00:00"),
        },
        owner,
    )
    query = {"module": {"api_name": "Events"}}
    job = reads.run({**query, "file_type": "ics"}) if inside_query else reads.run(query, file_type="ics")
    assert job["file_type"] == "ics"
    assert job["result"]["count"] == 2
    with zipfile.ZipFile(io.BytesIO(reads.download(job["id"]).content)) as archive:
        assert archive.namelist() == [f"{job['id']}.ics"]
        ics = archive.read(f"{job['id']}.ics").decode()
    assert ics.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert ics.endswith("END:VCALENDAR\r\n")
    assert ics.count("BEGIN:VEVENT") == 2
    assert f"UID:{meeting}\r\n" in ics
    assert "DTSTART:20250203T043000Z\r\nDTEND:20250203T053000Z\r\n" in ics
    assert "SUMMARY:Kick-off\\; Zylker\\, Inc.\r\n" in ics
    assert "DTSTART;VALUE=DATE:20250301\r\nDTEND;VALUE=DATE:20250303\r\n" in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    unfolded = ics.replace("\r\n ", "")
    assert "DESCRIPTION:Agenda:\\nintroductions " + "and more " * 10 in unfolded


def test_ics_pages_hold_at_most_20000_events(emulator: RunningEmulator) -> None:
    state = emulator.state
    reads = bulk_reads(state)
    user = state.records.users[0].id
    parser = QueryParser(
        state.records, reads.views, reads.tokens, product="crm", version="v8", user_id=user, page_size=200_000
    )
    ics = parser.parse({"query": {"module": {"api_name": "Events"}}, "file_type": "ics"}, state.clock.time())
    csv = parser.parse({"query": {"module": {"api_name": "Events"}, "page": 2}}, state.clock.time())
    assert (ics.per_page, csv.per_page, csv.offset) == (20_000, 200_000, 200_000)


# -- downloads --------------------------------------------------------------------------------------
def test_downloading_before_completion_is_a_json_error(slow_emulator_reads: BulkRead) -> None:
    job_id = slow_emulator_reads.job_id(CONTACTS)
    envelope = error(slow_emulator_reads.download(job_id), 400, "INVALID_REQUEST")
    assert envelope["details"] == {"state": "ADDED"}


@pytest.fixture
def slow_emulator_reads() -> Iterator[BulkRead]:
    from syncd.emulator import EmulatorSettings, start_emulator

    with start_emulator(EmulatorSettings(job_seconds=100.0)) as emu, client_for(emu) as api:
        yield BulkRead(api)


def test_ten_downloads_a_minute_then_429(emulator: RunningEmulator, reads: BulkRead) -> None:
    job = reads.run(CONTACTS)
    for _ in range(10):
        assert reads.download(job["id"]).status_code == 200
    error(reads.download(job["id"]), 429, "TOO_MANY_REQUESTS")
    error(reads.download(job["id"]), 429, "TOO_MANY_REQUESTS")
    assert emulator.state.extras["downloads"] == {"bulk_read": 10, "throttled": 2}
    emulator.state.clock.advance(61)
    with client_for(emulator) as api:
        assert BulkRead(api).download(job["id"]).status_code == 200


def test_results_expire_a_day_after_completion(emulator: RunningEmulator, reads: BulkRead) -> None:
    job = reads.run(CONTACTS)
    zip_path = bulk_reads(emulator.state).root / f"{job['id']}.zip"
    assert zip_path.exists()
    emulator.state.clock.advance(23 * 3600)
    with client_for(emulator) as api:
        assert BulkRead(api).download(job["id"]).status_code == 200
    emulator.state.clock.advance(3600)
    with client_for(emulator) as api:
        error(BulkRead(api).download(job["id"]), 404, "RESOURCE_NOT_FOUND")
        assert BulkRead(api).status(job["id"])["state"] == "COMPLETED"
    assert not zip_path.exists()


def test_a_cut_download_promises_the_whole_zip_and_stops_halfway(
    emulator: RunningEmulator, reads: BulkRead
) -> None:
    seed_module(emulator.state, "crm", "Contacts", 30, 1)
    job = reads.run(CONTACTS)
    emulator.state.faults.configure({"cut_next_downloads": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        reads.download(job["id"])
    assert len(reads.rows(job["id"])) == 30


def test_failed_jobs_show_failure_and_have_no_result_file(emulator: RunningEmulator, reads: BulkRead) -> None:
    emulator.state.faults.configure({"fail_next_jobs": 1})
    failed = reads.run(CONTACTS)
    assert failed["state"] == "FAILURE"
    assert failed["result"] == {
        "error_message": {
            "status": "error",
            "code": "INTERNAL_SERVER_ERROR",
            "message": "Internal server error occurred.",
            "details": {},
        }
    }
    error(reads.download(failed["id"]), 404, "RESOURCE_NOT_FOUND")
    assert reads.run(CONTACTS)["state"] == "COMPLETED"


# -- callbacks --------------------------------------------------------------------------------------
class Hook:
    """A loopback HTTP server that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self.arrived = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()
                hook.arrived.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bulk-callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next_body(self) -> Any:
        assert self.arrived.wait(10), "no callback arrived"
        self.arrived.clear()
        return self.bodies[-1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook()
    yield receiver
    receiver.close()


def test_callbacks_post_the_job_when_it_completes_or_fails(
    emulator: RunningEmulator, reads: BulkRead, hook: Hook
) -> None:
    callback = {"url": hook.url, "method": "post"}
    done = reads.job_id(CONTACTS, callback=callback)
    body = hook.next_body()
    assert body == {"data": [reads.status(done)]}
    assert body["data"][0]["state"] == "COMPLETED"
    emulator.state.faults.configure({"fail_next_jobs": 1})
    failed = reads.job_id(CONTACTS, callback=callback)
    body = hook.next_body()
    assert body["data"][0]["id"] == failed
    assert body["data"][0]["state"] == "FAILURE"
    assert body["data"][0]["result"]["error_message"]["code"] == "INTERNAL_SERVER_ERROR"


def test_stats_count_job_status_polls_and_callbacks(
    emulator: RunningEmulator, reads: BulkRead, api: httpx.Client, admin: httpx.Client, hook: Hook
) -> None:
    from .writing import create, job_body, upload_csv

    read_job = reads.job_id(CONTACTS, callback={"url": hook.url, "method": "post"})
    hook.next_body()
    for _ in range(3):
        reads.status(read_job)
    assert api.get("/crm/bulk/v8/read/999999").status_code == 404  # no job: not a poll
    written = create(api, job_body(upload_csv(api, emulator, "Last_Name\nBoyle\n")))
    api.get(f"/crm/bulk/v8/write/{written.json()['details']['id']}")

    stats = admin.get("stats").json()
    assert stats["status_polls"] == {"read": 3, "write": 1}
    assert stats["callbacks"] == {"sent": 1, "failed": 0}
    admin.post("reset")
    after = admin.get("stats").json()
    assert (after["status_polls"], after["callbacks"]) == ({}, {"sent": 0, "failed": 0})
