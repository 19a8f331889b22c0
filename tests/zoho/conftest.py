"""A scriptable fake Zoho behind httpx.MockTransport, for the client's unit tests.

Routes map ``"METHOD /path"`` to a handler or a queue of canned answers; every request is recorded.
Integration tests against the emulator over real HTTP live in ``integration/``.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from syncd.zoho import Credentials, Endpoints, PollPolicy, RetryPolicy, ZohoClient
from syncd.zoho.limits import DownloadLimiter

BASE = "https://zoho.test"
Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


def json_answer(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers}
    )


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def zip_answer(files: dict[str, str]) -> httpx.Response:
    return httpx.Response(200, content=zip_bytes(files), headers={"Content-Type": "application/zip"})


class FakeZoho:
    def __init__(self) -> None:
        self.routes: dict[str, deque[Answer] | Answer] = {}
        self.requests: list[httpx.Request] = []
        self.tokens_issued = 0
        self.valid_tokens: set[str] = set()
        self.on("POST /oauth/v2/token", self._token)

    def on(self, route: str, *answers: Answer) -> None:
        self.routes[route] = deque(answers)

    def _token(self, request: httpx.Request) -> httpx.Response:
        self.tokens_issued += 1
        token = f"1000.token{self.tokens_issued}"
        self.valid_tokens.add(token)
        return json_answer(
            200, {"access_token": token, "api_domain": BASE, "token_type": "Bearer", "expires_in": 3600}
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = f"{request.method} {request.url.path}"
        if key not in self.routes:
            return json_answer(
                404, {"code": "INVALID_URL_PATTERN", "details": {}, "message": key, "status": "error"}
            )
        if not key.endswith("/oauth/v2/token") and not self._authorised(request):
            return json_answer(
                401,
                {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"},
            )
        route = self.routes[key]
        if isinstance(route, deque):
            answer = route.popleft() if len(route) > 1 else route[0]
        else:
            answer = route
        return answer(request) if callable(answer) else answer

    def _authorised(self, request: httpx.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.removeprefix("Zoho-oauthtoken ") in self.valid_tokens

    def calls(self, route: str) -> list[httpx.Request]:
        method, path = route.split(" ", 1)
        return [r for r in self.requests if r.method == method and r.url.path == path]


@pytest.fixture
def fake() -> FakeZoho:
    return FakeZoho()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(
    fake: FakeZoho, clock: Clock, sleeps: list[float], tmp_path: Path
) -> Iterator[Callable[..., ZohoClient]]:
    clients: list[ZohoClient] = []

    def make(**overrides: Any) -> ZohoClient:
        options: dict[str, Any] = {
            "transport": httpx.MockTransport(fake),
            "retry": RetryPolicy(attempts=3, initial_wait=0.01, sleep=sleeps.append),
            "poll": PollPolicy(initial=0.01, maximum=0.01, max_polls=20, sleep=sleeps.append),
            "limiter": DownloadLimiter(sleep=sleeps.append),
            "work_dir": tmp_path / "work",
            "clock": clock,
        }
        options.update(overrides)
        client = ZohoClient(
            Endpoints.explicit(BASE), Credentials("cid", "csecret-XYZ", "rtoken-XYZ"), **options
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
