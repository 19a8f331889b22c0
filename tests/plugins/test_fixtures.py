from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator
from syncd.store import StateStore
from syncd.testing import FakeClock

pytest_plugins = ["pytester"]


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


def test_syncd_store_is_a_migrated_sqlite_file_in_tmp_path(syncd_store: StateStore, tmp_path: Path) -> None:
    assert syncd_store.engine.url.database == str(tmp_path / "syncd-state.sqlite")
    with syncd_store.transaction() as tx:
        run = tx.runs.start("contacts")
    with syncd_store.snapshot() as tx:
        assert tx.runs.get(run.id).pipeline == "contacts"


def test_syncd_store_stamps_the_syncd_clock_time(syncd_store: StateStore, syncd_clock: FakeClock) -> None:
    syncd_clock.advance(dt.timedelta(days=3))
    with syncd_store.transaction() as tx:
        run = tx.runs.start("contacts")
    assert run.started_at == syncd_clock() == dt.datetime(2024, 1, 4, tzinfo=dt.UTC)


def test_syncd_store_is_closed_after_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from syncd.store import StateStore

        closed = []
        opened = []

        def test_uses_the_store(monkeypatch, syncd_store):
            close = StateStore.close
            monkeypatch.setattr(StateStore, "close", lambda self: (closed.append(self), close(self)))
            opened.append(syncd_store)

        def test_the_store_was_closed():
            assert closed == opened and len(opened) == 1
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
