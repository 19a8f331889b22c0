from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator(EmulatorSettings(job_seconds=0.0, page_size=50)) as emu:
        yield emu


def mint(url: str, **overrides: str) -> httpx.Response:
    params = {
        "grant_type": "refresh_token",
        "client_id": "demo",
        "client_secret": "demo",
        "refresh_token": "demo",
    }
    params.update(overrides)
    return httpx.post(f"{url}/oauth/v2/token", data=params)


@pytest.fixture
def token(emulator: RunningEmulator) -> str:
    return str(mint(emulator.url).json()["access_token"])


@pytest.fixture
def api(emulator: RunningEmulator, token: str) -> Iterator[httpx.Client]:
    """An HTTP client on the emulator carrying a valid access token."""
    with httpx.Client(base_url=emulator.url, headers={"Authorization": f"Zoho-oauthtoken {token}"}) as client:
        yield client


@pytest.fixture
def admin(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    """An HTTP client on the emulator's admin API (``/__emulator__/``)."""
    with emulator.admin() as client:
        yield client
