"""The pytest plugin registered under the ``pytest11`` entry point: syncd's public fixtures.

* ``syncd_clock``: a :class:`~syncd.testing.FakeClock` to inject as ``clock=``.
* ``syncd_plugins``: a fresh :class:`~syncd.plugins.manager.PluginManager` over the installed
  entry points (honouring ``SYNCD_LOAD_PLUGINS``); override it to register a plugin by hand.
"""

from __future__ import annotations

import pytest

from syncd.plugins.manager import PluginManager
from syncd.testing.clock import FakeClock


@pytest.fixture
def syncd_clock() -> FakeClock:
    """A clock that stands still until the test moves it (2024-01-01 00:00 UTC)."""
    return FakeClock()


@pytest.fixture
def syncd_plugins() -> PluginManager:
    """syncd's plugins as installed, loaded afresh for this test."""
    return PluginManager()
