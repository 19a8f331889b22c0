"""Runs over a module cut into pages of three records, a minute apart on Zoho's clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator
from syncd.engine.runner import run_pipeline
from tests.engine_run.conftest import RunOnce, World


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator(EmulatorSettings(job_seconds=0.05, page_size=3)) as emu:
        yield emu


@pytest.fixture
def sync_once(world: World) -> RunOnce:
    """Zoho allows ten bulk-read downloads a minute, which a few runs over small pages would use up."""

    def run(**options: Any) -> Any:
        world.emulator.state.clock.advance(61)
        with world.runtime() as runtime:
            return run_pipeline(runtime, "contacts", **options)

    return run
