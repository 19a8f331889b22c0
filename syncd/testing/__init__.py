"""Test helpers for connector authors: the conformance suite and public pytest fixtures.

Installed with syncd as a pytest plugin, so the fixtures ``syncd_clock``, ``syncd_plugins``,
``syncd_store``, ``syncd_emulator`` and ``syncd_emulator_settings`` are available in any test
session; subclass :class:`ConnectorContract` to run the conformance suite.
"""

from __future__ import annotations

from syncd.testing.clock import FakeClock
from syncd.testing.contract import ConnectorContract, read_all, records_by_key
from syncd.testing.pipeline import PipelineMapping
from syncd.testing.samples import sample_change

__all__ = [
    "ConnectorContract",
    "FakeClock",
    "PipelineMapping",
    "read_all",
    "records_by_key",
    "sample_change",
]
