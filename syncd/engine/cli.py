"""The engine's commands; ``syncd.cli`` loads them lazily by name."""

from syncd.engine.cli_run import plan, sync

__all__ = ["plan", "sync"]
