from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from syncd.daemon.callbacks import JobHint, JobHints, MalformedCallback, parse_callback, serve_callbacks
from syncd.daemon.httpserver import BackgroundHTTPServer
from syncd.daemon.logs import redact
from syncd.errors import ConfigError

TOKEN = "s3cr3t-callback-token-0123456789"

V7_COMPLETED = {
    "data": [
        {
            "id": "111111000000052009",
            "operation": "read",
            "state": "COMPLETED",
            "result": {"page": 1, "count": 4, "download_url": "/crm/bulk/v7/read/111111000000052009/result"},
            "query": {"module": {"id": "111111000000000042", "api_name": "Leads"}, "page": 1},
            "created_by": {"id": "111111000000046207", "name": "Patricia Boyle"},
            "created_time": "2021-02-23T13:36:53+05:30",
            "file_type": "csv",
        }
    ]
}
KAIZEN_FLAT = {"job_id": "5725767000000859031", "operation": "write", "state": "FAILED", "result": {}}


@pytest.fixture
def hints() -> list[JobHint]:
    return []


@pytest.fixture
def receiver(hints: list[JobHint]) -> Iterator[BackgroundHTTPServer]:
    server = serve_callbacks(TOKEN, hints.append, port=0)
    yield server
    server.stop()


def post(receiver: BackgroundHTTPServer, token: str, body: bytes | dict[str, object]) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        f"{receiver.url}/zoho/callback/{token}", content=content, headers={"Content-Type": "application/json"}
    )


def test_the_v7_wrapped_shape_names_its_job() -> None:
    assert parse_callback(json.dumps(V7_COMPLETED).encode()) == [
        JobHint("111111000000052009", "read", "COMPLETED")
    ]


def test_the_flat_kaizen_shape_names_its_job() -> None:
    assert parse_callback(json.dumps(KAIZEN_FLAT).encode()) == [
        JobHint("5725767000000859031", "write", "FAILED")
    ]


def test_a_bulk_write_jobs_flat_details_name_their_job() -> None:
    details = {"id": "5725767000000859064", "operation": "upsert", "status": "COMPLETED", "resource": []}
    assert parse_callback(json.dumps(details).encode()) == [
        JobHint("5725767000000859064", "upsert", "COMPLETED")
    ]


def test_a_numeric_job_id_is_read_as_text() -> None:
    assert parse_callback(b'{"job_id": 5725767000000859031}') == [JobHint("5725767000000859031")]


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"job done", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"data": []}', "'data' is not a non-empty list"),
        (b'{"data": ["x"]}', r"data\[0\] is not a JSON object"),
        (b'{"data": [{"state": "COMPLETED"}]}', r"data\[0\] has no valid 'id'"),
        (b'{"state": "COMPLETED"}', "the body has no valid 'job_id' or 'id'"),
        (b'{"job_id": "../../etc/passwd"}', "no valid 'job_id'"),
        (b'{"job_id": true}', "no valid 'job_id'"),
    ],
)
def test_malformed_bodies_are_refused_with_the_reason(body: bytes, complaint: str) -> None:
    with pytest.raises(MalformedCallback, match=complaint):
        parse_callback(body)


def test_a_callback_with_the_right_token_reaches_the_listener(
    receiver: BackgroundHTTPServer, hints: list[JobHint]
) -> None:
    assert post(receiver, TOKEN, V7_COMPLETED).status_code == 200
    assert post(receiver, TOKEN, KAIZEN_FLAT).status_code == 200
    assert [h.job_id for h in hints] == ["111111000000052009", "5725767000000859031"]


def test_a_wrong_token_is_refused_and_logged(
    receiver: BackgroundHTTPServer, hints: list[JobHint], caplog: pytest.LogCaptureFixture
) -> None:
    for token in ("wrong", TOKEN[:-1], TOKEN + "x", ""):
        assert post(receiver, token, V7_COMPLETED).status_code == 403
    assert hints == []
    assert caplog.text.count("refused a Zoho callback from 127.0.0.1: wrong token") == 4


def test_a_malformed_body_is_refused_and_logged(
    receiver: BackgroundHTTPServer, hints: list[JobHint], caplog: pytest.LogCaptureFixture
) -> None:
    response = post(receiver, TOKEN, b"<xml/>")
    assert response.status_code == 400
    assert "not JSON" in response.text
    assert hints == []
    assert "refused a Zoho callback from 127.0.0.1: the body is not JSON" in caplog.text


def test_other_paths_methods_and_huge_bodies_are_refused(receiver: BackgroundHTTPServer) -> None:
    assert httpx.get(f"{receiver.url}/zoho/callback/{TOKEN}").status_code == 405
    assert httpx.post(f"{receiver.url}/metrics").status_code == 404
    assert post(receiver, TOKEN, b" " * (65 * 1024)).status_code == 413


def test_the_token_is_redacted_from_logs_once_the_receiver_exists(receiver: BackgroundHTTPServer) -> None:
    assert redact(f"POST /zoho/callback/{TOKEN}") == "POST /zoho/callback/***"


def test_a_short_token_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="at least 16 characters"):
        serve_callbacks("short", lambda hint: None, port=0)


def test_a_waiter_wakes_early_on_a_hint_for_its_job() -> None:
    board = JobHints()
    woken: list[bool] = []
    waiter = threading.Thread(target=lambda: woken.append(board.wait("42", timeout=30)))
    waiter.start()
    board.notify(JobHint("41"))
    board.notify(JobHint("42"))
    waiter.join(10)
    assert woken == [True]


def test_a_waiter_without_a_hint_times_out_and_a_hint_is_consumed_once() -> None:
    board = JobHints()
    assert board.wait("42", timeout=0.01) is False
    board.notify(JobHint("42"))
    assert board.wait("42", timeout=0) is True
    assert board.wait("42", timeout=0) is False
    board.forget("42")
