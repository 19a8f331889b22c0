"""One HTTP session with Zoho: authenticated, timed out, retried, credit-aware.

Every call has a timeout. 429, 5xx, timeouts and dropped connections are retried a bounded number of
times with exponential backoff and jitter (tenacity); what still fails surfaces as a
:class:`~syncd.errors.RetriableError` for the caller's scheduler. Requests that create something
(``idempotent=False``) are not re-sent after a timeout or a dropped connection, where Zoho may already
have acted: the caller's journal decides. Credit information Zoho sends (``X-API-CREDITS-REMAINING``,
429 causes) goes to the ``on_credits`` callback.

Zoho charges credits for the calls it answers with success. Each such call is counted in
:attr:`ZohoSession.charged` by its :class:`Charge` (a plain call, or creating a bulk read job), before
``on_credits`` hears of the answer, so whoever books the counts can tell them apart from credits
spent elsewhere; calls whose caller reserves and books the credits itself are not counted.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, Any, TypeVar

import httpx
import tenacity

from syncd.errors import RetriableError, TransientError
from syncd.zoho.auth import ZohoAuth
from syncd.zoho.endpoints import Endpoints
from syncd.zoho.errors import body_of, error_for

CREDITS_HEADER = "X-API-CREDITS-REMAINING"
_CHUNK = 1 << 16
T = TypeVar("T")


@dataclass(frozen=True)
class CreditInfo:
    """What Zoho said about the credit budget: the remainder (sent once half is spent) or a 429's cause."""

    remaining: int | None = None
    throttled: bool = False
    cause: str | None = None


class Charge(StrEnum):
    """What a call Zoho answered with success costs, as the credit ledger books it."""

    CALL = "call"
    """One credit: job status, downloads, uploads, metadata, REST reads."""
    BULK_READ_JOB = "bulk_read_job"
    """Creating a bulk read job."""
    BOOKED = "booked"
    """Reserved and booked by the caller (bulk write jobs, upserts, deletes): not counted here."""


class ChargedCalls:
    """Successful calls not booked in the credit ledger yet, by charge. Thread-safe."""

    def __init__(self) -> None:
        self._counts: Counter[Charge] = Counter()
        self._lock = threading.Lock()

    def add(self, charge: Charge, count: int = 1) -> None:
        if charge is Charge.BOOKED:
            return
        with self._lock:
            self._counts[charge] += count

    def add_all(self, counts: Mapping[Charge, int]) -> None:
        """Put counts back (a booking that failed)."""
        with self._lock:
            self._counts.update(counts)

    def peek(self) -> Counter[Charge]:
        with self._lock:
            return Counter(self._counts)

    def take(self) -> Counter[Charge]:
        """The counts so far, leaving none: the caller books them."""
        with self._lock:
            taken, self._counts = self._counts, Counter()
            return taken


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_wait: float = 1.0
    max_wait: float = 60.0
    jitter: float = 1.0
    timeout: float = 60.0
    sleep: Callable[[float], None] = tenacity.nap.sleep


@dataclass(frozen=True)
class Answer:
    status: int
    payload: Any
    headers: httpx.Headers


class ZohoSession:
    def __init__(
        self,
        endpoints: Endpoints,
        auth: ZohoAuth,
        *,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        on_credits: Callable[[CreditInfo], None] | None = None,
        charged: ChargedCalls | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.charged = charged if charged is not None else ChargedCalls()
        self._on_credits = on_credits
        self._http = httpx.Client(auth=auth, transport=transport, timeout=self.retry.timeout)

    def close(self) -> None:
        self._http.close()
        self.auth.close()

    def url(self, path_or_url: str, *, host: str = "api") -> str:
        """An absolute URL: absolute ones pass through, paths go to the API (or upload) host."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        if host == "upload":
            base = self.endpoints.upload_url
        else:
            base = self.auth.api_domain() if self.endpoints.follow_api_domain else self.endpoints.api_url
        return base.rstrip("/") + "/" + path_or_url.lstrip("/")

    # -- JSON calls ------------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        host: str = "api",
        ok: tuple[int, ...] = (200, 201, 202, 204, 207),
        idempotent: bool = True,
        context: Mapping[str, Any] | None = None,
        charge: Charge = Charge.CALL,
        **kwargs: Any,
    ) -> Answer:
        """Send a request and return its decoded JSON; raise the mapped error otherwise."""

        def once() -> Answer:
            response = self._send(
                method, self.url(path, host=host), idempotent=idempotent, what=what, **kwargs
            )
            self._count(response, charge)
            self._report_credits(response)
            if response.status_code not in ok:
                raise error_for(response, what=what, **dict(context or {}))
            payload = body_of(response) if response.content else None
            return Answer(response.status_code, payload, response.headers)

        return self.retrying(once)

    def download(
        self,
        url: str,
        sink: IO[bytes],
        *,
        what: str,
        context: Mapping[str, Any] | None = None,
        before_attempt: Callable[[], None] | None = None,
    ) -> int:
        """Stream ``url`` into ``sink`` (rewound on every retry); returns the byte count.

        ``before_attempt`` runs before every attempt (the download limiter gates retries too).
        """

        def once() -> int:
            if before_attempt is not None:
                before_attempt()
            sink.seek(0)
            sink.truncate()
            return self._stream_into(self.url(url), sink, what=what, context=context or {})

        return self.retrying(once)

    def retrying(self, fn: Callable[[], T]) -> T:
        policy = self.retry
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_worth_retrying),
            stop=tenacity.stop_after_attempt(policy.attempts),
            wait=_wait(policy),
            sleep=policy.sleep,
            reraise=True,
        )
        return retrying(fn)

    # -- internals -------------------------------------------------------------------------------------

    def _send(self, method: str, url: str, *, idempotent: bool, what: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _transient(exc, what, sent=False) from None
        except httpx.TransportError as exc:
            raise _transient(exc, what, sent=not idempotent) from None

    def _stream_into(self, url: str, sink: IO[bytes], *, what: str, context: Mapping[str, Any]) -> int:
        written = 0
        try:
            with self._http.stream("GET", url) as response:
                self._count(response, Charge.CALL)
                self._report_credits(response)
                if response.status_code != 200:
                    response.read()
                    raise error_for(response, what=what, **dict(context))
                for chunk in response.iter_bytes(_CHUNK):
                    sink.write(chunk)
                    written += len(chunk)
                _check_length(response, written, what)
        except httpx.TransportError as exc:
            raise _transient(exc, what, sent=False) from None
        sink.flush()
        return written

    def _count(self, response: httpx.Response, charge: Charge) -> None:
        if response.status_code < 400:
            self.charged.add(charge)

    def _report_credits(self, response: httpx.Response) -> None:
        if self._on_credits is None:
            return
        remaining = response.headers.get(CREDITS_HEADER)
        if response.status_code == 429:
            response.read()
            cause = _cause_of(response)
            self._on_credits(CreditInfo(_int_or_none(remaining), throttled=True, cause=cause))
        elif remaining is not None:
            self._on_credits(CreditInfo(_int_or_none(remaining)))


class _NotResent(TransientError):
    """A request that may have reached Zoho failed in flight; not re-sent automatically."""


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, RetriableError) and not isinstance(exc, _NotResent)


def _transient(exc: httpx.TransportError, what: str, *, sent: bool) -> TransientError:
    kind = _NotResent if sent else TransientError
    suffix = " (not re-sent: Zoho may have acted on it)" if sent else ""
    return kind(f"could not {what}: {type(exc).__name__}{suffix}")


def _check_length(response: httpx.Response, written: int, what: str) -> None:
    expected = response.headers.get("Content-Length")
    encoded = response.headers.get("Content-Encoding")
    if expected is not None and not encoded and expected.isdigit() and int(expected) != written:
        raise TransientError(f"could not {what}: download cut short after {written} of {expected} bytes")


def _wait(policy: RetryPolicy) -> Callable[[tenacity.RetryCallState], float]:
    backoff = tenacity.wait_exponential(
        multiplier=policy.initial_wait, max=policy.max_wait
    ) + tenacity.wait_random(0, policy.jitter)

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = exc.retry_after if isinstance(exc, RetriableError) and exc.retry_after else 0.0
        return max(float(backoff(state)), hinted)

    return wait


def _cause_of(response: httpx.Response) -> str | None:
    payload = body_of(response)
    if isinstance(payload, dict):
        return str(payload.get("message") or payload.get("error_info") or payload.get("code") or "") or None
    return None


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
