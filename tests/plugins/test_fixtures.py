from __future__ import annotations

import datetime as dt

import httpx
import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator
from syncd.testing import FakeClock


def test_syncd_clock_moves_only_when_told(syncd_clock: FakeClock) -> None:
    start = syncd_clock()
    assert start == dt.datetime(2024, 1, 1, tzinfo=dt.UTC) and syncd_clock() == start
    assert syncd_clock.advance(90) == start + dt.timedelta(seconds=90)
    with pytest.raises(ValueError, match="does not go backwards"):
        syncd_clock.advance(-1)


@pytest.fixture
def syncd_emulator_settings() -> EmulatorSettings:
    return EmulatorSettings(job_seconds=0.05, client_id="author", client_secret="s", refresh_token="r")


def test_syncd_emulator_answers_oauth_on_loopback(syncd_emulator: RunningEmulator) -> None:
    assert syncd_emulator.url.startswith("http://127.0.0.1:")
    answer = httpx.post(
        f"{syncd_emulator.url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": "author",
            "client_secret": "s",
            "refresh_token": "r",
        },
    )
    assert answer.status_code == 200 and answer.json()["access_token"]
