"""Zoho's documented limits, enforced on the client so work is split or refused before it costs credits."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta

# Bulk read
READ_PAGE_SIZE = 200_000
READ_MAX_FIELDS = 200
READ_MAX_CRITERIA = 25
READ_MAX_IN_VALUES = 20
READ_MAX_TEXT_VALUE = 255
READ_MAX_PAGE = 500
ICS_MAX_RECORDS = 20_000
ICS_MODULES = frozenset({"Events", "Meetings"})
DOWNLOADS_PER_MINUTE = 10

# Bulk write
WRITE_MAX_ROWS = 25_000
WRITE_MAX_ZIP_BYTES = 25 * 1024 * 1024
# A bulk read's next_page_token takes the next page for 24 hours.
PAGE_TOKEN_LIFETIME = timedelta(hours=24)
WRITE_MAX_COLUMNS = 200

# REST
UPSERT_CHUNK = 100
DELETE_CHUNK = 100  # ids per REST delete call
REST_PAGE_SIZE = 200

# Archives we accept from Zoho: no entry may expand more than this many times, nor beyond this size.
MAX_EXPANSION_RATIO = 200
MAX_ENTRY_BYTES = 8 * 1024 * 1024 * 1024


class DownloadLimiter:
    """At most ``per_minute`` downloads in any 60-second window, shared by every reader of one org.

    ``acquire`` blocks (through the injected ``sleep``) until a slot is free. Zoho answers the 11th
    download in a minute with 429 and keeps refusing until the minute is over, so waiting here is
    cheaper than being throttled.
    """

    def __init__(
        self,
        per_minute: int = DOWNLOADS_PER_MINUTE,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        window: float = 60.0,
    ) -> None:
        self.per_minute = per_minute
        self._window = window
        self._monotonic = monotonic
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            delay = self._try_take()
            if delay <= 0:
                return
            self._sleep(delay)

    def _try_take(self) -> float:
        with self._lock:
            now = self._monotonic()
            while self._starts and now - self._starts[0] >= self._window:
                self._starts.popleft()
            if len(self._starts) < self.per_minute:
                self._starts.append(now)
                return 0.0
            return self._window - (now - self._starts[0])
