"""Faults set through the admin API, seen by API calls over HTTP."""

from __future__ import annotations

import time

import httpx
import pytest

from syncd.emulator import EmulatorSettings, start_emulator

from .conftest import mint


def test_unknown_and_invalid_settings_are_refused(admin: httpx.Client) -> None:
    unknown = admin.put("faults", json={"error_rate": 0.1, "gremlins": 3, "chaos": True})
    assert unknown.status_code == 400
    assert "chaos, gremlins" in unknown.json()["error"]
    invalid = admin.put("faults", json={"error_rate": 2})
    assert (invalid.status_code, "error_rate" in invalid.json()["error"]) == (400, True)
    assert admin.get("stats").json()["faults"]["settings"]["error_rate"] == 0.0


def test_throttle_next_answers_429_that_many_times(admin: httpx.Client, api: httpx.Client) -> None:
    assert admin.put("faults", json={"throttle_next": 2}).json()["throttle_next"] == 2
    statuses = [api.get("/crm/v8/org").status_code for _ in range(3)]
    assert statuses == [429, 429, 200]
    assert admin.get("stats").json()["faults"]["injected"] == {"throttle_next": 2}


def _statuses(rate: float, seed: int, calls: int) -> list[int]:
    with start_emulator(EmulatorSettings()) as emu, emu.admin() as admin:
        token = mint(emu.url).json()["access_token"]
        admin.put("faults", json={"error_rate": rate, "seed": seed})
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        return [httpx.get(f"{emu.url}/crm/v8/org", headers=headers).status_code for _ in range(calls)]


def test_an_error_rate_gives_the_same_500s_for_the_same_seed() -> None:
    first, second = _statuses(0.4, 7, 30), _statuses(0.4, 7, 30)
    assert first == second
    assert set(first) == {200, 500}
    assert _statuses(0.4, 8, 30) != first


def test_a_500_carries_zohos_envelope(admin: httpx.Client, api: httpx.Client) -> None:
    admin.put("faults", json={"error_rate": 1.0})
    response = api.get("/crm/v8/Contacts")
    assert (response.status_code, response.json()["code"]) == (500, "INTERNAL_ERROR")


def test_error_next_answers_the_next_calls_with_500_then_recovers(
    admin: httpx.Client, api: httpx.Client
) -> None:
    admin.put("faults", json={"error_next": 2})
    statuses = [api.get("/crm/v8/org").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert admin.get("stats").json()["faults"]["injected"] == {"error_next": 2}


def test_drop_next_cuts_the_answer_short(admin: httpx.Client, api: httpx.Client) -> None:
    admin.put("faults", json={"drop_next": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/crm/v8/org")
    assert api.get("/crm/v8/org").status_code == 200


def test_expire_tokens_makes_every_issued_token_invalid(admin: httpx.Client, api: httpx.Client) -> None:
    admin.put("faults", json={"expire_tokens": True})
    expired = api.get("/crm/v8/org")
    assert (expired.status_code, expired.json()["code"]) == (401, "INVALID_TOKEN")
    fresh = mint(str(api.base_url).rstrip("/")).json()["access_token"]
    renewed = api.get("/crm/v8/org", headers={"Authorization": f"Zoho-oauthtoken {fresh}"})
    assert renewed.status_code == 200


def test_latency_delays_every_api_call(admin: httpx.Client, api: httpx.Client) -> None:
    admin.put("faults", json={"latency_ms": 150})
    started = time.monotonic()
    assert api.get("/crm/v8/org").status_code == 200
    assert time.monotonic() - started >= 0.15  # a lower bound the sleep guarantees


def test_reset_clears_the_faults(admin: httpx.Client, api: httpx.Client) -> None:
    admin.put("faults", json={"throttle_next": 5})
    admin.post("reset")
    assert api.get("/crm/v8/org").status_code == 200
