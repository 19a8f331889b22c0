"""Pipelines shared by replicas: a daemon runs a pipeline only while it holds the pipeline's lease.

A daemon claims a pipeline's lease when its run is due and keeps it between runs, renewing every
lease it holds every third of the lease's time to live. So each scheduled run happens on one replica
only: the others find the lease taken and skip. When a daemon dies its leases expire, and the next
replica whose schedule comes due claims the pipeline. A daemon that stops cleanly, or no longer
runs a pipeline after a reload, releases its lease at once.

A renewal that fails (the database is unreachable, or the lease expired and another replica took
it) sets the pipeline's *lost* event: the run in progress stops at its next step, and the pipeline
must be claimed again before it runs again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import timedelta
from typing import Protocol

from syncd.store.leases import Lease

log = logging.getLogger(__name__)


class LeaseStore(Protocol):
    """What :class:`LeaseKeeper` needs of :attr:`syncd.store.StateStore.leases`."""

    def acquire(self, pipeline: str, holder: str, ttl: timedelta) -> Lease | None: ...

    def renew(self, pipeline: str, holder: str, ttl: timedelta) -> Lease | None: ...

    def release(self, pipeline: str, holder: str) -> bool: ...


class LeaseKeeper:
    """The leases this daemon holds, renewed in a background thread."""

    def __init__(self, leases: LeaseStore, holder: str, ttl: timedelta) -> None:
        self.holder = holder
        self.ttl = ttl
        self._leases = leases
        self._held: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def renew_every(self) -> float:
        return self.ttl.total_seconds() / 3

    def start(self) -> None:
        self._thread = threading.Thread(target=self._renew_forever, name="syncd-leases", daemon=True)
        self._thread.start()

    def claim(self, pipeline: str) -> threading.Event | None:
        """Take or keep the pipeline's lease: the event set if it is lost, ``None`` if another holds it."""
        if self._leases.acquire(pipeline, self.holder, self.ttl) is None:
            self._drop(pipeline)
            return None
        with self._lock:
            lost = self._held.get(pipeline)
            if lost is None or lost.is_set():
                lost = self._held[pipeline] = threading.Event()
            return lost

    def held(self) -> list[str]:
        with self._lock:
            return sorted(self._held)

    def release(self, pipelines: Iterable[str]) -> None:
        """Give these pipelines' leases up (removed from the configuration, or stopping)."""
        for pipeline in pipelines:
            if self._drop(pipeline):
                self._release(pipeline)

    def keep_only(self, pipelines: Iterable[str]) -> None:
        """Release every lease but those of *pipelines* (after a reload)."""
        self.release(set(self.held()) - set(pipelines))

    def close(self) -> None:
        """Stop renewing and release every lease held."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join()
        self.release(self.held())

    def renew_all(self) -> None:
        """Renew every lease held; a lease that cannot be renewed is dropped and its event set."""
        for pipeline in self.held():
            try:
                renewed = self._leases.renew(pipeline, self.holder, self.ttl) is not None
                reason = "it expired and another replica may have taken it"
            except Exception as exc:
                renewed, reason = False, f"{type(exc).__name__}: {exc}"
            if not renewed:
                log.warning("lost the lease of %s (%s): stopping its run at the next step", pipeline, reason)
                self._drop(pipeline)

    def _renew_forever(self) -> None:
        while not self._closed.wait(self.renew_every):
            self.renew_all()

    def _drop(self, pipeline: str) -> bool:
        with self._lock:
            lost = self._held.pop(pipeline, None)
        if lost is None:
            return False
        lost.set()
        return True

    def _release(self, pipeline: str) -> None:
        try:
            self._leases.release(pipeline, self.holder)
        except Exception as exc:
            log.warning("could not release the lease of %s (it expires by itself): %s", pipeline, exc)


__all__ = ["LeaseKeeper", "LeaseStore"]
