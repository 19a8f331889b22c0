from __future__ import annotations

import asyncio
from typing import Any

import httpx

from syncd.zoho import CallbackHub
from syncd.zoho.callbacks import callback_app, callback_url


def post(hub: CallbackHub, path: str, body: Any) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=callback_app(hub, "s3cret"))
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as http:
            return await http.post(path, json=body)

    return asyncio.run(send())


def test_a_callback_with_the_token_wakes_the_waiter_of_its_job() -> None:
    hub = CallbackHub()
    assert (
        callback_url("https://sync.example.net/", "s3cret")
        == "https://sync.example.net/zoho/bulk-callback?token=s3cret"
    )
    wrapped = {"data": [{"id": "4150868000004717006", "state": "COMPLETED"}]}
    answer = post(hub, "/zoho/bulk-callback?token=s3cret", wrapped)
    assert answer.json()["job_id"] == "4150868000004717006"
    assert hub.wait("4150868000004717006", 0)
    assert not hub.wait("4150868000004717006", 0)  # a hint is consumed once


def test_a_callback_without_the_token_is_refused_and_wakes_nobody() -> None:
    hub = CallbackHub()
    assert post(hub, "/zoho/bulk-callback?token=guess", {"job_id": "1"}).status_code == 403
    assert post(hub, "/zoho/bulk-callback", {"job_id": "1"}).status_code == 403
    assert not hub.wait("1", 0)
