"""The pluggy markers of project ``syncd``. Plugins use ``syncd.hookimpl``."""

from __future__ import annotations

import pluggy

PROJECT = "syncd"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
