from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx
import pytest

from syncd.errors import AuthError
from syncd.zoho import Credentials, Endpoints, MemoryTokenCache, ZohoAuth, ZohoClient

from .conftest import BASE, Clock, FakeZoho, json_answer

ORG = {"org": [{"id": "1", "zgid": "777"}]}


def test_a_token_is_minted_once_and_reused_through_the_cache(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    fake.on("GET /crm/v8/org", json_answer(200, ORG))
    cache = MemoryTokenCache()
    make_client(token_cache=cache).rest.org()
    make_client(token_cache=cache).rest.org()  # a second one-shot run
    assert fake.tokens_issued == 1


def test_the_token_is_refreshed_when_it_is_about_to_expire(
    fake: FakeZoho, make_client: Callable[..., ZohoClient], clock: Clock
) -> None:
    client = make_client()
    client.auth.token()
    clock.advance(3600 - 30)  # inside the safety margin
    assert client.auth.token().access_token == "1000.token2"
    assert fake.tokens_issued == 2


def test_a_rejected_token_is_refreshed_once_and_the_request_resent(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    fake.on("GET /crm/v8/org", json_answer(200, ORG))
    client = make_client()
    client.auth.token()
    fake.valid_tokens.clear()  # Zoho revoked it early
    assert client.rest.zgid() == "777"
    assert fake.tokens_issued == 2
    assert len(fake.calls("GET /crm/v8/org")) == 2


def test_a_second_rejection_is_an_auth_error_not_a_loop(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    invalid = {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}
    fake.on("GET /crm/v8/org", json_answer(401, invalid))
    with pytest.raises(AuthError, match="INVALID_TOKEN"):
        make_client().rest.org()
    assert fake.tokens_issued == 2


def test_the_api_domain_of_the_token_response_is_used(fake: FakeZoho) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            body = {"access_token": "1000.a", "api_domain": "https://www.zohoapis.eu", "expires_in": 3600}
            return json_answer(200, body)
        seen.append(str(request.url))
        return json_answer(200, ORG)

    endpoints = Endpoints.for_data_centre("eu")
    client = ZohoClient(endpoints, Credentials("c", "s", "r"), transport=httpx.MockTransport(handler))
    with client:
        client.rest.org()
    assert seen == ["https://www.zohoapis.eu/crm/v8/org"]


@pytest.mark.parametrize("code", ["invalid_client", "invalid_code"])
def test_oauth_errors_name_the_data_centre_and_accounts_host(code: str) -> None:
    transport = httpx.MockTransport(lambda request: json_answer(200, {"error": code}))
    auth = ZohoAuth(
        Endpoints.for_data_centre("au"), Credentials("cid", "s3cret", "r3fresh"), transport=transport
    )
    with pytest.raises(AuthError) as caught:
        auth.token()
    message = str(caught.value)
    assert code in message
    assert "data centre 'au'" in message
    assert "https://accounts.zoho.com.au" in message


def test_old_expires_in_sec_responses_are_read_in_seconds(clock: Clock) -> None:
    body = {"access_token": "1000.a", "api_domain": BASE, "expires_in": 3600000, "expires_in_sec": 3600}
    transport = httpx.MockTransport(lambda request: json_answer(200, body))
    auth = ZohoAuth(Endpoints.explicit(BASE), Credentials("c", "s", "r"), transport=transport, clock=clock)
    assert (auth.token().expires_at - clock.now).total_seconds() == 3600


def test_threads_sharing_the_auth_mint_one_token(fake: FakeZoho) -> None:
    auth = ZohoAuth(Endpoints.explicit(BASE), Credentials("c", "s", "r"), transport=httpx.MockTransport(fake))
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        auth.token()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake.tokens_issued == 1


def test_secrets_never_appear_in_reprs_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    secret, refresh = "csecret-VERYSECRET", "rtoken-VERYSECRET"
    credentials = Credentials("cid", secret, refresh)
    transport = httpx.MockTransport(lambda request: json_answer(200, {"error": "invalid_client"}))
    auth = ZohoAuth(Endpoints.for_data_centre("us"), credentials, transport=transport)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as caught:
        auth.token()
    texts = [
        repr(credentials),
        repr(auth),
        str(caught.value),
        repr(caught.value),
        caplog.text,
        credentials.cache_key(auth.endpoints),
    ]
    for text in texts:
        assert "VERYSECRET" not in text


def test_a_whole_exchange_logs_no_secret_and_no_access_token(
    fake: FakeZoho, make_client: Callable[..., ZohoClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    invalid = {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}
    fake.on("GET /crm/v8/org", json_answer(401, invalid))
    client = make_client()
    with pytest.raises(AuthError) as caught:
        client.rest.org()
    token_url = fake.calls("POST /oauth/v2/token")[0].url
    assert "XYZ" not in str(token_url)  # the secrets travel in the form body, not the URL
    for text in (caplog.text, str(caught.value), repr(client), repr(client.auth.token())):
        assert "XYZ" not in text
        assert "1000.token" not in text
