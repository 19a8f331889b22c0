"""Bulk jobs that take time, as Zoho's do, and the runner that finishes them and calls back.

A job moves ADDED -> QUEUED -> IN PROGRESS as the emulator's clock passes ``job_seconds`` after its
creation; then the runner thread does the work (:meth:`BulkJob.execute`) and the job ends COMPLETED
or failed. When the job asked for a callback, the runner POSTs the job's details to it. Advancing
the clock through the admin API moves jobs along just the same. The runner also counts the status
requests for its jobs (:meth:`JobRunner.polled`) and the callbacks it sent, for the admin stats.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections import Counter
from typing import Any

import httpx

from syncd.emulator.clock import EmulatorClock

log = logging.getLogger(__name__)


class BulkJob(ABC):
    """One bulk read or bulk write job. Subclasses say what the work is and how the job looks."""

    operation: str = ""
    queued_phase = True  # bulk read jobs pass through QUEUED; bulk write jobs go straight on

    def __init__(
        self,
        job_id: int,
        product: str,
        version: str,
        user_id: int,
        created_at: float,
        duration: float,
        callback: dict[str, Any] | None,
    ) -> None:
        self.id = job_id
        self.product = product
        self.version = version
        self.user_id = user_id
        self.created_at = created_at
        self.duration = duration
        self.callback = callback
        self.finished = False
        self.lock = threading.Lock()

    def phase(self, now: float) -> str:
        """The state to show while the job is not finished."""
        if self.duration <= 0:
            return "IN PROGRESS"
        elapsed = (now - self.created_at) / self.duration
        if elapsed < (0.25 if self.queued_phase else 0.4):
            return "ADDED"
        if self.queued_phase and elapsed < 0.5:
            return "QUEUED"
        return "IN PROGRESS"

    def due(self, now: float) -> bool:
        return not self.finished and now - self.created_at >= self.duration

    @abstractmethod
    def execute(self) -> None:
        """Do the work and set the final state. Called once, from the runner thread."""

    @abstractmethod
    def details(self, base_url: str) -> dict[str, Any]:
        """The job as the status endpoint (and the callback) show it."""


class JobRunner:
    def __init__(self, clock: EmulatorClock, tick: float = 0.02) -> None:
        self._clock = clock
        self._tick = tick
        self._jobs: dict[int, BulkJob] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.callbacks_sent = 0
        self.callbacks_failed = 0
        self.status_polls: Counter[str] = Counter()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="emulator-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def add(self, job: BulkJob) -> None:
        with self._lock:
            self._jobs[job.id] = job

    def get(self, job_id: int) -> BulkJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[BulkJob]:
        with self._lock:
            return list(self._jobs.values())

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
            self.status_polls.clear()
            self.callbacks_sent = self.callbacks_failed = 0

    def polled(self, job: BulkJob) -> None:
        """Count a status request for ``job`` (by its operation: ``read`` or ``write``)."""
        with self._lock:
            self.status_polls[job.operation] += 1

    def run_due(self) -> int:
        """Finish every job whose time has come; returns how many were finished."""
        now = self._clock.time()
        finished = 0
        for job in [j for j in self.jobs() if j.due(now)]:
            with job.lock:
                if job.finished:
                    continue
                try:
                    job.execute()
                except Exception:  # the emulator must keep serving whatever one job does
                    log.exception("bulk job %s crashed", job.id)
                job.finished = True
            finished += 1
            if job.callback:
                self._call_back(job)
        return finished

    def _call_back(self, job: BulkJob) -> None:
        url = str(job.callback.get("url", "")) if job.callback else ""
        try:
            httpx.post(url, json=job.details(self.base_url), timeout=5.0)
            self.callbacks_sent += 1
        except (httpx.HTTPError, ValueError) as exc:
            self.callbacks_failed += 1
            log.warning("callback for job %s to %s failed: %s", job.id, url, exc)

    def _loop(self) -> None:
        while not self._stop.wait(self._tick):
            self.run_due()
