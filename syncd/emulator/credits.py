"""API credits over a rolling 24 hours, and the concurrency limit, per org as Zoho meters them."""

from __future__ import annotations

import threading
from collections import deque

from syncd.emulator.clock import EmulatorClock
from syncd.emulator.settings import EDITIONS, EmulatorSettings
from syncd.emulator.wire import ZohoError, too_many_requests

WINDOW = 24 * 3600
HEAVY_LIMIT = 10  # sub-concurrency of resource-heavy calls, all editions


class CreditLedger:
    """Each call's credits are released 24 hours after the call."""

    def __init__(self, settings: EmulatorSettings, clock: EmulatorClock) -> None:
        self.settings = settings
        self._clock = clock
        self._entries: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()
        self.spent_total = 0

    def _expire(self, now: float) -> None:
        while self._entries and self._entries[0][0] <= now - WINDOW:
            self._entries.popleft()

    def used(self) -> int:
        with self._lock:
            self._expire(self._clock.time())
            return sum(credits for _, credits in self._entries)

    def remaining(self) -> int | None:
        allowed = self.settings.daily_credits
        return None if allowed is None else max(0, allowed - self.used())

    def spend(self, credits: int) -> None:
        """Charge ``credits`` now, or answer 429 when the window has not that many left."""
        allowed = self.settings.daily_credits
        with self._lock:
            now = self._clock.time()
            self._expire(now)
            used = sum(c for _, c in self._entries)
            if allowed is not None and used + credits > allowed:
                raise too_many_requests("Number of API requests for the 24 hour period is exceeded")
            self._entries.append((now, credits))
            self.spent_total += credits

    def headers(self) -> dict[str, str]:
        """``X-API-CREDITS-REMAINING`` once half of the allowance (add-ons excluded) is used."""
        allowed = self.settings.daily_credits
        if allowed is None:
            return {}
        _, base, per_user, cap = EDITIONS[self.settings.edition]
        without_addons = base + per_user * self.settings.users
        if cap is not None:
            without_addons = min(without_addons, cap)
        used = self.used()
        if used * 2 < without_addons:
            return {}
        return {"X-API-CREDITS-REMAINING": str(max(0, allowed - used))}

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()


class Concurrency:
    """Active calls per org and app, sized by edition, with a sub-pool for heavy calls."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._active = 0
        self._heavy = 0
        self._lock = threading.Lock()
        self.refused = 0

    def acquire(self, heavy: bool) -> None:
        with self._lock:
            if self._active >= self.limit or (heavy and self._heavy >= HEAVY_LIMIT):
                self.refused += 1
                raise ZohoError(
                    "TOO_MANY_REQUESTS", "The concurrency limit of the user for the app is exceeded", 429
                )
            self._active += 1
            self._heavy += heavy

    def release(self, heavy: bool) -> None:
        with self._lock:
            self._active -= 1
            self._heavy -= heavy

    def enter_heavy(self) -> None:
        """Take a heavy sub-pool slot for a call already active (one found heavy by its body)."""
        with self._lock:
            if self._heavy >= HEAVY_LIMIT:
                self.refused += 1
                raise ZohoError(
                    "TOO_MANY_REQUESTS", "The concurrency limit of the user for the app is exceeded", 429
                )
            self._heavy += 1

    def leave_heavy(self) -> None:
        with self._lock:
            self._heavy -= 1
