"""The emulator's clock: real time plus an offset that the admin API can advance."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class EmulatorClock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        """Seconds since the epoch on the emulator's clock."""
        with self._lock:
            return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
