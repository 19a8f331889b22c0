from __future__ import annotations

import httpx

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator

from .conftest import mint


def test_refresh_grant_returns_a_token_and_the_emulator_as_api_domain(emulator: RunningEmulator) -> None:
    body = mint(emulator.url).json()
    assert body["access_token"].startswith("1000.")
    assert body["api_domain"] == emulator.url
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600


def test_parameters_may_come_in_the_query_string(emulator: RunningEmulator) -> None:
    params = {
        "grant_type": "refresh_token",
        "client_id": "demo",
        "client_secret": "demo",
        "refresh_token": "demo",
    }
    response = httpx.post(f"{emulator.url}/oauth/v2/token", params=params)
    assert response.status_code == 200
    assert "access_token" in response.json()


def test_wrong_client_and_wrong_refresh_token_are_http_200_errors(emulator: RunningEmulator) -> None:
    wrong_client = mint(emulator.url, client_secret="nope")
    assert (wrong_client.status_code, wrong_client.json()) == (200, {"error": "invalid_client"})
    wrong_token = mint(emulator.url, refresh_token="nope")
    assert (wrong_token.status_code, wrong_token.json()) == (200, {"error": "invalid_code"})


def test_one_refresh_token_mints_at_most_ten_tokens_per_window() -> None:
    with start_emulator(EmulatorSettings(tokens_per_window=10)) as emu:
        minted = [mint(emu.url).json() for _ in range(11)]
        assert all("access_token" in body for body in minted[:10])
        assert minted[10]["error"] == "Access Denied"
        emu.state.clock.advance(601)
        assert "access_token" in mint(emu.url).json()


def test_unknown_paths_and_methods_get_zoho_errors(emulator: RunningEmulator) -> None:
    missing = httpx.get(f"{emulator.url}/crm/v8/no/such/thing")
    assert missing.status_code == 404
    assert missing.json()["code"] == "INVALID_URL_PATTERN"
    wrong_verb = httpx.get(f"{emulator.url}/oauth/v2/token")
    assert (wrong_verb.status_code, wrong_verb.json()["code"]) == (400, "INVALID_REQUEST_METHOD")
