from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from syncd.errors import AuthError, RateLimitedError, TransientError, ZohoAPIError
from syncd.zoho import BulkQuery, Charge, CreditInfo, ZohoClient

from .conftest import FakeZoho, json_answer

ORG = {"org": [{"id": "1", "zgid": "777"}]}
THROTTLED = {
    "code": "TOO_MANY_REQUESTS",
    "details": {},
    "message": "concurrency limit exceeded",
    "status": "error",
}
BOOM = {"code": "INTERNAL_ERROR", "details": {}, "message": "Internal Server Error", "status": "error"}


def test_429_and_5xx_are_retried_with_growing_waits(
    fake: FakeZoho, make_client: Callable[..., ZohoClient], sleeps: list[float]
) -> None:
    fake.on("GET /crm/v8/org", json_answer(429, THROTTLED), json_answer(500, BOOM), json_answer(200, ORG))
    assert make_client().rest.zgid() == "777"
    assert len(sleeps) == 2


def test_retries_are_bounded(fake: FakeZoho, make_client: Callable[..., ZohoClient]) -> None:
    fake.on("GET /crm/v8/org", json_answer(500, BOOM))
    with pytest.raises(TransientError, match="INTERNAL_ERROR"):
        make_client().rest.org()
    assert len(fake.calls("GET /crm/v8/org")) == 3


def test_dropped_connections_and_timeouts_are_retried(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed connection", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    fake.on("GET /crm/v8/org", drop, slow, json_answer(200, ORG))
    assert make_client().rest.zgid() == "777"


def test_a_job_creation_that_may_have_arrived_is_not_sent_twice(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    fake.on("POST /crm/bulk/v8/read", slow)
    fake.on("GET /crm/v8/settings/fields", json_answer(200, {"fields": []}))
    with pytest.raises(TransientError, match="not re-sent"):
        make_client().bulk_read.create_job(BulkQuery("Contacts"))
    assert len(fake.calls("POST /crm/bulk/v8/read")) == 1


def test_credit_information_is_handed_to_the_caller(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    seen: list[CreditInfo] = []
    fake.on(
        "GET /crm/v8/org",
        json_answer(429, THROTTLED, **{"X-API-CREDITS-REMAINING": "0"}),
        json_answer(200, ORG, **{"X-API-CREDITS-REMAINING": "1234"}),
    )
    make_client(on_credits=seen.append).rest.org()
    assert seen == [CreditInfo(0, throttled=True, cause="concurrency limit exceeded"), CreditInfo(1234)]


def test_a_429_that_outlasts_the_retries_is_a_rate_limit_error(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    old_shape = {
        "code": 429,
        "error": "TOO_MANY_REQUESTS",
        "error_info": "Many requests fired",
        "details": [],
    }
    fake.on("GET /crm/v8/org", json_answer(429, old_shape))
    with pytest.raises(RateLimitedError, match="Many requests fired"):
        make_client().rest.org()


@pytest.mark.parametrize(
    "body",
    [
        {"code": "INVALID_DATA", "details": {"api_name": "x"}, "message": "invalid data", "status": "error"},
        {
            "data": [
                {
                    "code": "INVALID_DATA",
                    "details": {"api_name": "x"},
                    "message": "invalid data",
                    "status": "error",
                }
            ]
        },
    ],
)
def test_wrapped_and_flat_errors_map_to_the_same_fatal_error(
    fake: FakeZoho, make_client: Callable[..., ZohoClient], body: dict[str, object]
) -> None:
    fake.on("GET /crm/v8/org", json_answer(400, body))
    with pytest.raises(ZohoAPIError) as caught:
        make_client().rest.org()
    assert caught.value.code == "INVALID_DATA"
    assert caught.value.details == {"api_name": "x"}


def test_scope_mismatch_says_which_scopes_are_needed(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    body = {"code": "OAUTH_SCOPE_MISMATCH", "details": {}, "message": "Unauthorized", "status": "error"}
    fake.on("GET /crm/v8/org", json_answer(401, body))
    with pytest.raises(AuthError, match=r"ZohoCRM\.bulk\.ALL"):
        make_client().rest.org()
    assert fake.tokens_issued == 1  # a scope problem is not fixed by a new token


def test_successful_calls_are_counted_by_charge_before_the_caller_hears_of_the_credits(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    fake.on(
        "GET /crm/v8/org", json_answer(500, BOOM), json_answer(200, ORG, **{"X-API-CREDITS-REMAINING": "9"})
    )
    fields = {"fields": [{"api_name": "Last_Name", "data_type": "text"}]}
    fake.on("GET /crm/v8/settings/fields", json_answer(200, fields))
    fake.on("POST /crm/bulk/v8/read", json_answer(201, {"data": [{"details": {"id": "111"}}]}))
    fake.on(
        "POST /crm/v8/Contacts/upsert", json_answer(200, {"data": [{"status": "success", "details": {}}]})
    )
    counted_when_heard: list[Counter[Charge]] = []
    client = make_client(on_credits=lambda info: counted_when_heard.append(client.session.charged.peek()))

    client.rest.org()  # a 500 (free, as Zoho charges only answered calls), then a success
    client.bulk_read.create_job(BulkQuery("Contacts", fields=("Last_Name",)))  # and the field metadata
    client.rest.upsert("Contacts", [{"Last_Name": "Boyle"}])  # reserved and booked by the engine

    assert counted_when_heard == [Counter({Charge.CALL: 1})]
    assert client.session.charged.take() == Counter({Charge.CALL: 2, Charge.BULK_READ_JOB: 1})
    assert client.session.charged.peek() == Counter()
