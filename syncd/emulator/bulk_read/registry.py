"""What bulk read keeps per emulator: result files, page tokens, custom views, the download throttle.

It lives in ``state.extras["bulk_read"]``; download counters for the admin stats are in
``state.extras["downloads"]`` (``{"bulk_read": n, "throttled": n}``).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from syncd.emulator.bulk_read.export import PageCache
from syncd.emulator.bulk_read.job import ReadJob
from syncd.emulator.bulk_read.query import ReadQuery
from syncd.emulator.bulk_read.tokens import PageTokens
from syncd.emulator.bulk_read.views import ViewCatalog
from syncd.emulator.jobs import BulkJob
from syncd.emulator.state import EmulatorState

DOWNLOADS_PER_MINUTE = 10
_lock = threading.Lock()


class BulkReads:
    def __init__(self, state: EmulatorState) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="zoho-emulator-bulk-read-"))
        # the files go when the emulator's state does (or at interpreter exit)
        weakref.finalize(self, shutil.rmtree, self.root, ignore_errors=True)
        self.tokens: PageTokens[ReadQuery] = PageTokens()
        self.views = ViewCatalog(state.ids)
        self.pages = PageCache()  # unchanged whole-module pages are zipped again, not rendered
        self._downloads: dict[str, deque[float]] = {}
        self._throttle_lock = threading.Lock()

    def admit_download(self, product: str, now: float) -> bool:
        """Count a download; False when the product had its 10 in the last minute already."""
        with self._throttle_lock:
            window = self._downloads.setdefault(product, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= DOWNLOADS_PER_MINUTE:
                return False
            window.append(now)
            return True

    def sweep(self, jobs: Iterable[BulkJob], now: float) -> None:
        """Delete result files of expired jobs and of jobs the runner no longer knows (a reset)."""
        alive = {job.id for job in jobs if isinstance(job, ReadJob) and not job.expired(now)}
        for path in self.root.glob("*.zip"):
            if path.stem.isdigit() and int(path.stem) not in alive:
                path.unlink(missing_ok=True)

    def clear(self) -> None:
        """Forget page tokens, throttle windows and result files (the admin API's reset)."""
        self.reset()

    def reset(self) -> None:
        self.tokens.clear()
        self.pages.clear()
        with self._throttle_lock:
            self._downloads.clear()
        for path in self.root.glob("*"):
            path.unlink(missing_ok=True)


def bulk_reads(state: EmulatorState) -> BulkReads:
    with _lock:
        found = state.extras.get("bulk_read")
        if not isinstance(found, BulkReads):
            found = state.extras["bulk_read"] = BulkReads(state)
            counters = state.extras.setdefault("downloads", {})
            counters.setdefault("bulk_read", 0)
            counters.setdefault("throttled", 0)
        return found


def count_download(state: EmulatorState, key: str) -> None:
    with _lock:
        counters = state.extras.setdefault("downloads", {})
        counters[key] = counters.get(key, 0) + 1
