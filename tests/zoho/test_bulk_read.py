from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from syncd.errors import ConfigError, JobFailedError, TransientError, UnsafeArchiveError
from syncd.zoho import BulkQuery, CallbackHub, FinishedJob, ZohoClient, where
from syncd.zoho.jobs import JobTimer

from .conftest import BASE, FakeZoho, json_answer, zip_answer

FIELDS = {
    "fields": [{"api_name": "Last_Name", "data_type": "text"}, {"api_name": "Email", "data_type": "email"}]
}
CREATED = {
    "data": [
        {
            "status": "success",
            "code": "ADDED_SUCCESSFULLY",
            "details": {"id": "111", "operation": "read", "state": "ADDED"},
        }
    ]
}


def job(state: str, *, job_id: str = "111", **result: object) -> dict[str, object]:
    body: dict[str, object] = {"id": job_id, "operation": "read", "state": state, "file_type": "csv"}
    if result:
        body["result"] = result
    return {"data": [body]}


def completed(
    job_id: str = "111", *, more: bool = False, token: str | None = None, page: int = 1
) -> dict[str, object]:
    result: dict[str, object] = {
        "page": page,
        "count": 2,
        "more_records": more,
        "download_url": f"/crm/bulk/v8/read/{job_id}/result",
    }
    if token:
        result["next_page_token"] = token
    return job("COMPLETED", job_id=job_id, **result)


CSV = 'Id,Last_Name,Email\n1,Boyle,p@example.com\n2,"O\'Leary, Mike",\n'


@pytest.fixture
def reader_fake(fake: FakeZoho) -> FakeZoho:
    fake.on("GET /crm/v8/settings/fields", json_answer(200, FIELDS))
    fake.on("POST /crm/bulk/v8/read", json_answer(201, CREATED))
    return fake


def test_a_job_is_created_waited_for_and_its_rows_streamed(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient], tmp_path: Path
) -> None:
    reader_fake.on(
        "GET /crm/bulk/v8/read/111",
        json_answer(200, job("ADDED")),
        json_answer(200, job("IN PROGRESS")),
        json_answer(200, completed()),
    )
    reader_fake.on("GET /crm/bulk/v8/read/111/result", zip_answer({"111.csv": CSV}))
    reader = make_client().bulk_read
    query = BulkQuery(
        "Contacts", fields=("Last_Name", "Email"), criteria=where("Last_Name", "starts_with", "B")
    )
    job_id = reader.create_job(query)
    finished = reader.wait(job_id)
    with reader.download(finished) as result:
        assert result.columns == ["Id", "Last_Name", "Email"]
        assert result.id_column == 0
        assert list(result) == [["1", "Boyle", "p@example.com"], ["2", "O'Leary, Mike", ""]]
        spooled = result.path
        assert spooled.exists()
    assert not spooled.exists()
    sent = json.loads(reader_fake.calls("POST /crm/bulk/v8/read")[0].content)
    assert sent["query"]["criteria"]["field"] == {"api_name": "Last_Name"}


@pytest.mark.parametrize("running", ["IN PROGRESS", "INPROGRESS", "QUEUED"])
@pytest.mark.parametrize("id_key", ["id", "Id", "job_id"])
def test_status_spellings_flat_bodies_and_numeric_ids_are_understood(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient], running: str, id_key: str
) -> None:
    flat_running = {id_key: 111, "operation": "read", "state": running}
    flat_done = {
        id_key: 111,
        "state": "COMPLETED",
        "result": {"page": 1, "more_records": "false", "download_url": f"{BASE}/crm/bulk/v8/read/111/result"},
    }
    reader_fake.on("GET /crm/bulk/v8/read/111", json_answer(200, flat_running), json_answer(200, flat_done))
    finished = make_client().bulk_read.wait("111")
    assert (finished.id, finished.state, finished.more_records) == ("111", "COMPLETED", False)
    assert finished.download_url == f"{BASE}/crm/bulk/v8/read/111/result"


@pytest.mark.parametrize("failure", ["FAILURE", "FAILED"])
def test_a_failed_job_raises_with_zohos_reason(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient], failure: str
) -> None:
    error = {
        "status": "error",
        "code": "INTERNAL_SERVER_ERROR",
        "message": "Internal server error occurred.",
        "details": {},
    }
    reader_fake.on("GET /crm/bulk/v8/read/111", json_answer(200, job(failure, error_message=error)))
    with pytest.raises(JobFailedError, match="Internal server error occurred") as caught:
        make_client().bulk_read.wait("111")
    assert caught.value.code == "INTERNAL_SERVER_ERROR"


class RecordingHub(CallbackHub):
    def __init__(self) -> None:
        super().__init__()
        self.woken: list[bool] = []

    def wait(self, job_id: str, seconds: float) -> bool:
        woken = super().wait(job_id, seconds)
        self.woken.append(woken)
        return woken


def test_a_callback_wakes_the_waiter_early(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient], sleeps: list[float]
) -> None:
    hub = RecordingHub()
    reader_fake.on(
        "GET /crm/bulk/v8/read/111", json_answer(200, job("IN PROGRESS")), json_answer(200, completed())
    )
    client = make_client(callbacks=hub, callback_url="https://hooks.example/zoho")
    assert hub.notify({"job_id": "111", "state": "COMPLETED"}) == "111"  # Kaizen #12's flat body
    assert hub.notify(completed("222")) == "222"  # v7's wrapped body
    assert client.bulk_read.wait("111").state == "COMPLETED"
    assert hub.woken == [True]  # the status was re-read by GET after the hint
    assert sleeps == []
    client.bulk_read.create_job(BulkQuery("Contacts"))
    sent = json.loads(reader_fake.calls("POST /crm/bulk/v8/read")[0].content)
    assert sent["callback"] == {"url": "https://hooks.example/zoho", "method": "post"}


def test_pages_follow_next_page_tokens_until_no_more_records(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    created = [json_answer(201, {"data": [{"details": {"id": str(n)}}]}) for n in (1, 2, 3)]
    reader_fake.on("POST /crm/bulk/v8/read", *created)
    reader_fake.on("GET /crm/bulk/v8/read/1", json_answer(200, completed("1", more=True, token="t2")))
    reader_fake.on("GET /crm/bulk/v8/read/2", json_answer(200, completed("2", more=True, token="t3", page=2)))
    reader_fake.on("GET /crm/bulk/v8/read/3", json_answer(200, completed("3", page=3)))
    for n in (1, 2, 3):
        reader_fake.on(
            f"GET /crm/bulk/v8/read/{n}/result", zip_answer({f"{n}.csv": f"Id,Last_Name\n{n},N{n}\n"})
        )
    rows = list(make_client().bulk_read.read_all(BulkQuery("Contacts", fields=("Last_Name",))))
    assert rows == [
        {"Id": "1", "Last_Name": "N1"},
        {"Id": "2", "Last_Name": "N2"},
        {"Id": "3", "Last_Name": "N3"},
    ]
    queries = [json.loads(r.content)["query"] for r in reader_fake.calls("POST /crm/bulk/v8/read")]
    assert [q.get("page_token") for q in queries] == [None, "t2", "t3"]


def test_a_first_job_created_beforehand_is_waited_for_not_created_again(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    reader_fake.on("POST /crm/bulk/v8/read", json_answer(201, {"data": [{"details": {"id": "2"}}]}))
    reader_fake.on("GET /crm/bulk/v8/read/1", json_answer(200, completed("1", more=True, token="t2")))
    reader_fake.on("GET /crm/bulk/v8/read/2", json_answer(200, completed("2", page=2)))
    for n in (1, 2):
        reader_fake.on(
            f"GET /crm/bulk/v8/read/{n}/result", zip_answer({f"{n}.csv": f"Id,Last_Name\n{n},N{n}\n"})
        )
    reader = make_client().bulk_read
    query = BulkQuery("Contacts", fields=("Last_Name",)).at_page(1, None)

    pages = [
        (page.number, [row[0] for row in result]) for page, result in reader.read_pages(query, first_job="1")
    ]

    assert pages == [(1, ["1"]), (2, ["2"])]
    queries = [json.loads(r.content)["query"] for r in reader_fake.calls("POST /crm/bulk/v8/read")]
    assert [q.get("page_token") for q in queries] == ["t2"]  # only the second page's job was created


def test_an_expired_result_is_read_again_from_a_new_job(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    gone = {
        "code": "RESOURCE_NOT_FOUND",
        "details": {"resource": "111"},
        "message": "not found",
        "status": "error",
    }
    reader_fake.on("POST /crm/bulk/v8/read", json_answer(201, {"data": [{"details": {"id": "112"}}]}))
    reader_fake.on("GET /crm/bulk/v8/read/111", json_answer(200, completed("111")))
    reader_fake.on("GET /crm/bulk/v8/read/112", json_answer(200, completed("112")))
    reader_fake.on("GET /crm/bulk/v8/read/111/result", json_answer(404, gone))
    reader_fake.on("GET /crm/bulk/v8/read/112/result", zip_answer({"112.csv": CSV}))
    reader = make_client().bulk_read
    query = BulkQuery("Contacts").at_page(1, None)
    with reader.fetch_page(query, reader.status("111")) as result:
        assert result.job.id == "112"
        assert len(list(result)) == 2


@pytest.mark.parametrize(
    "lapsed",
    [
        {"code": "INVALID_PAGE_TOKEN", "details": {}, "message": "page token expired", "status": "error"},
        {
            "code": "INVALID_DATA",
            "details": {"api_name": "page_token"},
            "message": "invalid data",
            "status": "error",
        },
    ],
)
def test_a_lapsed_page_token_falls_back_to_the_page_number(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient], lapsed: dict[str, object]
) -> None:
    reader_fake.on("POST /crm/bulk/v8/read", json_answer(400, lapsed), json_answer(201, CREATED))
    reader_fake.on("GET /crm/bulk/v8/read/111", json_answer(200, completed(page=3)))
    finished = make_client().bulk_read.run_page(BulkQuery("Contacts").at_page(3, "stale"))
    assert finished.page == 3
    second = json.loads(reader_fake.calls("POST /crm/bulk/v8/read")[1].content)["query"]
    assert second["page"] == 3 and "page_token" not in second


def test_downloads_are_retried_on_429_and_cut_transfers_through_the_limiter(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    throttled = json_answer(
        429, {"code": "TOO_MANY_REQUESTS", "details": {}, "message": "download limit", "status": "error"}
    )
    cut = httpx.Response(200, content=b"PK\x03\x04garbage", headers={"Content-Length": "9999"})
    reader_fake.on("GET /crm/bulk/v8/read/111", json_answer(200, completed()))
    reader_fake.on("GET /crm/bulk/v8/read/111/result", throttled, cut, zip_answer({"111.csv": CSV}))
    acquired: list[int] = []
    client = make_client()
    original = client.limiter.acquire
    client.limiter.acquire = lambda: (acquired.append(1), original())[-1]  # type: ignore[method-assign]
    with client.bulk_read.download("111") as result:
        assert len(list(result)) == 2
    assert len(acquired) == 3  # every attempt counts against Zoho's 10 a minute


def test_a_truncated_zip_is_a_transient_error(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    reader_fake.on("GET /crm/bulk/v8/read/111", json_answer(200, completed()))
    reader_fake.on("GET /crm/bulk/v8/read/111/result", httpx.Response(200, content=b"not a zip at all"))
    with pytest.raises(TransientError, match="not a complete zip"):
        make_client().bulk_read.download("111")


@pytest.mark.parametrize("name", ["../evil.csv", "/etc/passwd", "dir/inner.csv", "C:evil.csv"])
def test_archive_entries_with_path_components_are_refused(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient], name: str
) -> None:
    reader_fake.on("GET /crm/bulk/v8/read/111", json_answer(200, completed()))
    reader_fake.on("GET /crm/bulk/v8/read/111/result", zip_answer({name: CSV}))
    with pytest.raises(UnsafeArchiveError, match="plain file names"):
        make_client().bulk_read.download("111")


def test_archives_that_would_explode_are_refused(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    reader_fake.on("GET /crm/bulk/v8/read/111", json_answer(200, completed()))
    reader_fake.on("GET /crm/bulk/v8/read/111/result", zip_answer({"111.csv": "a" * 20_000_000}))
    with pytest.raises(UnsafeArchiveError, match="would expand"):
        make_client().bulk_read.download("111")


def test_ics_exports_stream_the_calendar_text(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Demo\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    done = completed()
    done["data"][0]["file_type"] = "ics"  # type: ignore[index]
    reader_fake.on("GET /crm/bulk/v8/read/111", json_answer(200, done))
    reader_fake.on("GET /crm/bulk/v8/read/111/result", zip_answer({"111.ics": ics}))
    reader = make_client().bulk_read
    job_id = reader.create_job(BulkQuery("Events", file_type="ics"))
    with reader.download(reader.wait(job_id)) as result, result.open_text() as text:
        assert "SUMMARY:Demo" in text.read()
    assert json.loads(reader_fake.calls("POST /crm/bulk/v8/read")[0].content)["file_type"] == "ics"
    assert not reader_fake.calls("GET /crm/v8/settings/fields")


def test_queries_are_checked_against_field_metadata_fetched_once(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    reader = make_client().bulk_read
    reader.create_job(BulkQuery("Contacts", fields=("Email",)))
    with pytest.raises(ConfigError, match="unknown field 'Phone'"):
        reader.create_job(BulkQuery("Contacts", fields=("Phone",)))
    assert len(reader_fake.calls("GET /crm/v8/settings/fields")) == 1
    assert len(reader_fake.calls("POST /crm/bulk/v8/read")) == 1


def open_paths() -> set[str]:
    paths = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            paths.add(os.readlink(f"/proc/self/fd/{fd}").removesuffix(" (deleted)"))
        except OSError:
            continue
    return paths


def test_closing_a_result_part_way_through_releases_the_file(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    reader_fake.on("GET /crm/bulk/v8/read/111", json_answer(200, completed()))
    reader_fake.on("GET /crm/bulk/v8/read/111/result", zip_answer({"111.csv": CSV}))
    result = make_client().bulk_read.download("111")
    next(iter(result))
    assert str(result.path) in open_paths()
    result.close()
    assert str(result.path) not in open_paths()
    assert not result.path.exists()


def test_a_lapsed_token_for_a_page_beyond_numbers_renews_the_token_chain(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    lapsed = {
        "code": "INVALID_DATA",
        "details": {"api_name": "page_token"},
        "message": "expired",
        "status": "error",
    }
    too_far = {"code": "PAGE_NOT_SUPPORTED", "details": {}, "message": "use page_token", "status": "error"}
    created = [json_answer(400, lapsed), json_answer(400, too_far)]
    created += [json_answer(201, {"data": [{"details": {"id": str(n)}}]}) for n in (1, 2, 3)]
    reader_fake.on("POST /crm/bulk/v8/read", *created)
    reader_fake.on("GET /crm/bulk/v8/read/1", json_answer(200, completed("1", more=True, token="fresh2")))
    reader_fake.on(
        "GET /crm/bulk/v8/read/2", json_answer(200, completed("2", more=True, token="fresh3", page=2))
    )
    reader_fake.on("GET /crm/bulk/v8/read/3", json_answer(200, completed("3", page=3)))
    finished = make_client().bulk_read.run_page(BulkQuery("Contacts").at_page(3, "stale"))
    assert finished.id == "3"
    queries = [json.loads(r.content)["query"] for r in reader_fake.calls("POST /crm/bulk/v8/read")]
    assert [(q.get("page"), q.get("page_token")) for q in queries] == [
        (None, "stale"), (3, None), (1, None), (None, "fresh2"), (None, "fresh3"),
    ]  # fmt: skip


def test_each_job_waited_for_is_reported_finished_with_its_duration(
    reader_fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    reader_fake.on(
        "GET /crm/bulk/v8/read/111", json_answer(200, job("IN PROGRESS")), json_answer(200, completed())
    )
    reader_fake.on("GET /crm/bulk/v8/read/222", json_answer(200, job("FAILURE", job_id="222")))
    finished: list[FinishedJob] = []
    reader = make_client(on_job=finished.append).bulk_read
    reader.wait(reader.create_job(BulkQuery("Contacts")))
    with pytest.raises(JobFailedError):
        reader.wait("222")
    assert [(j.operation, j.job_id, j.state) for j in finished] == [
        ("read", "111", "COMPLETED"),
        ("read", "222", "FAILED"),
    ]
    assert all(j.seconds >= 0 for j in finished)


def test_the_job_timer_times_a_job_from_its_creation_or_else_from_the_wait() -> None:
    now = [100.0]
    seen: list[FinishedJob] = []
    timer = JobTimer(seen.append, clock=lambda: now[0])
    timer.created("1")
    now[0] = 130.0
    timer.finished("write", "1", "COMPLETED", waited_since=125.0)
    timer.finished("read", "2", "COMPLETED", waited_since=120.0)  # created by another process
    timer.finished("write", "1", "COMPLETED", waited_since=128.0)  # waited for again: from the wait
    assert seen == [
        FinishedJob("write", "1", "COMPLETED", 30.0),
        FinishedJob("read", "2", "COMPLETED", 10.0),
        FinishedJob("write", "1", "COMPLETED", 2.0),
    ]
