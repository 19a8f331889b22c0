"""The pytest plugin registered under the ``pytest11`` entry point: syncd's public fixtures.

* ``syncd_clock``: a :class:`~syncd.testing.FakeClock` to inject as ``clock=``.
* ``syncd_store``: a migrated :class:`~syncd.store.StateStore` on a fresh SQLite file in ``tmp_path``,
  on ``syncd_clock``'s time, closed after the test.
* ``syncd_emulator``: a running Zoho emulator (``.url`` serves every Zoho host); override
  ``syncd_emulator_settings`` to seed it or change its limits.
* ``syncd_plugins``: a fresh :class:`~syncd.plugins.manager.PluginManager` over the installed
  entry points (honouring ``SYNCD_LOAD_PLUGINS``); override it to register a plugin by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator
from syncd.plugins.manager import PluginManager
from syncd.store import StateStore
from syncd.testing.clock import FakeClock


@pytest.fixture
def syncd_clock() -> FakeClock:
    """A clock that stands still until the test moves it (2024-01-01 00:00 UTC)."""
    return FakeClock()


@pytest.fixture
def syncd_plugins() -> PluginManager:
    """syncd's plugins as installed, loaded afresh for this test."""
    return PluginManager()


@pytest.fixture
def syncd_store(tmp_path: Path, syncd_clock: FakeClock) -> Iterator[StateStore]:
    """A state store on ``tmp_path/syncd-state.sqlite``, migrated, stamping ``syncd_clock``'s time."""
    with StateStore.open(f"sqlite:///{tmp_path / 'syncd-state.sqlite'}", clock=syncd_clock) as store:
        yield store


@pytest.fixture
def syncd_emulator_settings() -> EmulatorSettings:
    """How ``syncd_emulator`` starts: quick bulk jobs, no seeded data. Override to seed modules."""
    return EmulatorSettings(job_seconds=0.05)


@pytest.fixture
def syncd_emulator(syncd_emulator_settings: EmulatorSettings) -> Iterator[RunningEmulator]:
    """A Zoho emulator on a loopback port for this test; client id, secret and refresh token ``demo``."""
    with start_emulator(syncd_emulator_settings) as emulator:
        yield emulator
