"""Faults on demand, deterministic for a given seed.

Counters named ``*_next`` apply to the next N occurrences and count down; rates draw from a random
generator seeded with ``seed`` so a test sees the same faults every run.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class FaultSettings:
    seed: int = 0
    latency_ms: int = 0  # added to every API call
    error_rate: float = 0.0  # share of API calls answered 500 INTERNAL_ERROR
    error_next: int = 0  # the next N API calls answer 500 INTERNAL_ERROR
    throttle_next: int = 0  # the next N API calls answer 429 TOO_MANY_REQUESTS
    fail_next_jobs: int = 0  # the next N bulk jobs end in FAILURE (read) / FAILED (write)
    cut_next_downloads: int = 0  # the next N downloads stop halfway through the body
    drop_next: int = 0  # the next N API calls drop the connection without a complete answer
    expire_tokens: bool = False  # a one-shot action: every access token issued so far expires now


class Faults:
    def __init__(self) -> None:
        self.settings = FaultSettings()
        self._random = random.Random(0)
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}

    def configure(self, changes: dict[str, Any]) -> FaultSettings:
        """Apply the given keys (others keep their values); unknown keys raise ValueError."""
        known = {f.name: f.type for f in fields(FaultSettings)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}; known: {', '.join(known)}")
        with self._lock:
            merged = {**asdict(self.settings), **changes}
            try:
                candidate = FaultSettings(**merged)
                _validate(candidate)  # refused settings leave the current ones in force
                self.settings = candidate
            except (TypeError, ValueError) as exc:
                raise ValueError(f"invalid fault settings: {exc}") from exc
            if "seed" in changes:
                self._random = random.Random(self.settings.seed)
            return self.settings

    def take(self, counter: str) -> bool:
        """Use up one occurrence of a ``*_next`` counter; True when the fault applies now."""
        with self._lock:
            left = getattr(self.settings, counter)
            if left <= 0:
                return False
            setattr(self.settings, counter, left - 1)
            self.injected[counter] = self.injected.get(counter, 0) + 1
            return True

    def roll_error(self) -> bool:
        with self._lock:
            if self.settings.error_rate <= 0 or self._random.random() >= self.settings.error_rate:
                return False
            self.injected["error_rate"] = self.injected.get("error_rate", 0) + 1
            return True

    def reset(self) -> None:
        with self._lock:
            self.settings = FaultSettings()
            self._random = random.Random(0)
            self.injected.clear()


def _validate(settings: FaultSettings) -> None:
    if not 0.0 <= settings.error_rate <= 1.0:
        raise ValueError("error_rate must be between 0 and 1")
    for name in (
        "latency_ms",
        "error_next",
        "throttle_next",
        "fail_next_jobs",
        "cut_next_downloads",
        "drop_next",
    ):
        value = getattr(settings, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a whole number >= 0")
    if not isinstance(settings.expire_tokens, bool):
        raise ValueError("expire_tokens must be true or false")
