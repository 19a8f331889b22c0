"""Bulk job status in every documented spelling, and waiting for a job to finish.

Zoho spells a running job ``IN PROGRESS`` or ``INPROGRESS`` and a failed one ``FAILURE`` or ``FAILED``;
bodies come wrapped in ``{"data": [...]}`` or flat; ids are strings or numbers and the key is ``id``,
``Id`` or ``job_id``. Everything here normalises those variants. Waiting polls with exponential backoff
(tenacity); when a :class:`CallbackHub` is configured, a callback from Zoho cuts the wait short — it is
only a hint, the status is always read again by GET. A :class:`JobTimer` reports each job seen
finished, with how long it took from its creation, to whoever wants to know (the daemon's metrics).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import tenacity

from syncd.errors import JobFailedError, TransientError

RUNNING = "IN_PROGRESS"
FINISHED_STATES = frozenset({"COMPLETED", "FAILED"})


def normalise_state(raw: Any) -> str:
    text = str(raw or "").strip().upper().replace(" ", "_").replace("-", "_")
    if text in {"INPROGRESS", "IN_PROGRESS", "RUNNING"}:
        return RUNNING
    if text in {"FAILURE", "FAILED", "ERROR"}:
        return "FAILED"
    return text


def unwrap(payload: Any) -> Mapping[str, Any]:
    """The job object from a ``data``-wrapped or flat body."""
    if isinstance(payload, Mapping):
        data = payload.get("data")
        if isinstance(data, list) and data and isinstance(data[0], Mapping):
            return data[0]
        if isinstance(data, Mapping):
            return data
        return payload
    return {}


def job_id_of(job: Mapping[str, Any]) -> str | None:
    for key in ("id", "Id", "job_id", "jobId"):
        value = job.get(key)
        if value is not None and value != "":
            return str(value)
    details = job.get("details")
    if isinstance(details, Mapping):
        return job_id_of(details)
    return None


@dataclass(frozen=True)
class PollPolicy:
    initial: float = 0.25  # then 0.5, 1, 2, ... up to maximum: a quick job is seen soon
    maximum: float = 30.0
    timeout: float = 6 * 3600.0
    max_polls: int = 10_000
    sleep: Callable[[float], None] = tenacity.nap.sleep


class CallbackHub:
    """Wakes waiters when Zoho calls back about their job. Thread-safe; callbacks are only hints."""

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def notify(self, body: Any) -> str | None:
        """Feed a callback body (wrapped or flat); returns the job id it named, if any."""
        job_id = job_id_of(unwrap(body))
        if job_id is not None:
            self._event(job_id).set()
        return job_id

    def wait(self, job_id: str, seconds: float) -> bool:
        event = self._event(job_id)
        woken = event.wait(seconds)
        event.clear()
        return woken

    def _event(self, job_id: str) -> threading.Event:
        with self._lock:
            return self._events.setdefault(job_id, threading.Event())


@dataclass(frozen=True)
class FinishedJob:
    """A bulk job seen finished: ``read`` or ``write``, its id, final state and seconds since creation."""

    operation: str
    job_id: str
    state: str
    seconds: float


class JobTimer:
    """Remembers when this client created each bulk job, to report it with its duration once finished.

    A job this client did not create (a resumed run re-attaching to it) is timed from when the wait
    for it began. Thread-safe.
    """

    def __init__(
        self,
        on_finished: Callable[[FinishedJob], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._on_finished = on_finished
        self._clock = clock
        self._created: dict[str, float] = {}
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._clock()

    def created(self, job_id: str) -> None:
        with self._lock:
            self._created[job_id] = self._clock()

    def finished(self, operation: str, job_id: str, state: str, *, waited_since: float) -> None:
        with self._lock:
            started = self._created.pop(job_id, waited_since)
        if self._on_finished is not None:
            self._on_finished(FinishedJob(operation, job_id, state, self._clock() - started))


def wait_until_finished(
    fetch: Callable[[], Any],
    finished: Callable[[Any], bool],
    *,
    policy: PollPolicy,
    job_id: str,
    hub: CallbackHub | None = None,
) -> Any:
    """Call ``fetch`` until ``finished(result)``; a job still running after the timeout is retriable."""

    def sleep(seconds: float) -> None:
        if hub is None:
            policy.sleep(seconds)
        else:
            hub.wait(job_id, seconds)

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_result(lambda value: not finished(value)),
        wait=tenacity.wait_exponential(multiplier=policy.initial, max=policy.maximum),
        stop=tenacity.stop_after_delay(policy.timeout) | tenacity.stop_after_attempt(policy.max_polls),
        sleep=sleep,
    )
    try:
        return retrying(fetch)
    except tenacity.RetryError:
        raise TransientError(
            f"bulk job {job_id} had not finished after {policy.timeout:.0f} s; it can be waited for again",
            job_id=job_id,
        ) from None


class _Job(Protocol):
    @property
    def finished(self) -> bool: ...

    @property
    def state(self) -> str: ...

    @property
    def error_message(self) -> str | None: ...

    @property
    def error_code(self) -> str | None: ...


JobT = TypeVar("JobT", bound=_Job)


def wait_for_job(
    kind: str,
    job_id: str,
    status: Callable[[str], JobT],
    *,
    policy: PollPolicy,
    hub: CallbackHub | None,
    failed_code: str,
    timer: JobTimer | None = None,
) -> JobT:
    """Poll a bulk ``kind`` job (read or write) until it finishes; a failed job raises JobFailedError."""
    timer = timer or JobTimer()
    waited_since = timer.now()
    job: JobT = wait_until_finished(
        lambda: status(job_id), lambda j: j.finished, policy=policy, job_id=job_id, hub=hub
    )
    timer.finished(kind, job_id, job.state, waited_since=waited_since)
    if job.state == "FAILED":
        raise JobFailedError(
            f"bulk {kind} job {job_id} failed: {job.error_message or 'Zoho gave no reason'}",
            code=job.error_code or failed_code,
            job_id=job_id,
        )
    return job
