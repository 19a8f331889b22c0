"""OAuth for Zoho: the refresh-token grant as an :class:`httpx.Auth`.

The access token is minted from the refresh token at the data centre's accounts host, cached through a
:class:`~syncd.zoho.tokens.TokenCache` (Zoho mints at most 10 tokens per 10 minutes per refresh token)
and refreshed shortly before it expires, or once when Zoho answers 401 ``INVALID_TOKEN``. Several
threads may share one :class:`ZohoAuth`; only one of them refreshes at a time.

The accounts server reports errors with HTTP 200 and ``{"error": "invalid_client"}``; those become an
:class:`~syncd.errors.AuthError` naming the data centre and accounts host, because a refresh token of
one data centre is unknown in every other.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from syncd.errors import AuthError, RateLimitedError, TransientError
from syncd.zoho.endpoints import Endpoints
from syncd.zoho.tokens import CachedToken, MemoryTokenCache, TokenCache

AUTH_HEADER_PREFIX = "Zoho-oauthtoken "
# Refresh this long before Zoho's expiry (at most a tenth of the token's life), so a request never
# leaves with a token about to lapse.
EXPIRY_MARGIN = timedelta(seconds=60)

_ERROR_HINTS = {
    "invalid_client": "the client id or client secret is not known",
    "invalid_code": "the refresh token is not valid (revoked, expired, or issued by another data centre)",
    "invalid_client_secret": "the client secret does not match the client id",
    "access denied": "too many access tokens were requested; wait a few minutes",
}


@dataclass(frozen=True)
class Credentials:
    """A Zoho self-client or server-based client and its refresh token. Never printed."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, client_secret='***', refresh_token='***')"

    def cache_key(self, endpoints: Endpoints) -> str:
        """Identifies this client and refresh token at this accounts host, without revealing them."""
        material = "\0".join((endpoints.accounts_url, self.client_id, self.refresh_token))
        return "zoho-oauth:" + hashlib.sha256(material.encode()).hexdigest()


class ZohoAuth(httpx.Auth):
    """Signs requests with ``Authorization: Zoho-oauthtoken …`` and keeps the token fresh."""

    def __init__(
        self,
        endpoints: Endpoints,
        credentials: Credentials,
        *,
        cache: TokenCache | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.endpoints = endpoints
        self._credentials = credentials
        self._cache: TokenCache = cache if cache is not None else MemoryTokenCache()
        self._key = credentials.cache_key(endpoints)
        self._clock = clock
        self._lock = threading.Lock()
        self._token: CachedToken | None = None
        self._margins: dict[str, timedelta] = {}
        self._http = httpx.Client(transport=transport, timeout=timeout)
        self.tokens_minted = 0

    def __repr__(self) -> str:
        return f"ZohoAuth({self.endpoints.describe()}, client_id={self._credentials.client_id!r})"

    def close(self) -> None:
        self._http.close()

    # -- the token -------------------------------------------------------------------------------------

    def token(self) -> CachedToken:
        """A token with more than :data:`EXPIRY_MARGIN` left, from memory, the cache or the accounts host."""
        with self._lock:
            if self._usable(self._token):
                assert self._token is not None
                return self._token
            cached = self._cache.load(self._key)
            if self._usable(cached):
                assert cached is not None
                self._token = cached
                return cached
            return self._refresh_locked()

    def invalidate(self, rejected: str) -> CachedToken:
        """Zoho rejected ``rejected``: mint a new token unless another thread already has."""
        with self._lock:
            if self._token is not None and self._token.access_token != rejected and self._usable(self._token):
                return self._token
            return self._refresh_locked()

    def api_domain(self) -> str:
        return self.token().api_domain

    def _usable(self, token: CachedToken | None) -> bool:
        if token is None:
            return False
        margin = self._margins.get(token.access_token, EXPIRY_MARGIN)
        return token.expires_at - margin > self._clock()

    def _refresh_locked(self) -> CachedToken:
        token = self._mint()
        self._token = token
        self._cache.save(self._key, token)
        return token

    def _mint(self) -> CachedToken:
        params = {
            "grant_type": "refresh_token",
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
            "refresh_token": self._credentials.refresh_token,
        }
        try:
            response = self._http.post(self.endpoints.token_url, data=params)
        except httpx.TransportError as exc:
            raise TransientError(
                f"could not reach the Zoho accounts host: {type(exc).__name__}",
                accounts=self.endpoints.accounts_url,
            ) from None
        self.tokens_minted += 1
        return self._parse_token(response)

    def _parse_token(self, response: httpx.Response) -> CachedToken:
        if response.status_code == 429:
            raise RateLimitedError(
                "the Zoho accounts host throttled token requests", accounts=self.endpoints.accounts_url
            )
        if response.status_code >= 500:
            raise TransientError(
                f"the Zoho accounts host answered HTTP {response.status_code}",
                accounts=self.endpoints.accounts_url,
            )
        try:
            payload: Any = response.json()
        except ValueError:
            payload = {}
        if not isinstance(payload, dict) or not payload.get("access_token"):
            raise self._token_error(payload, response.status_code)
        lifetime = timedelta(seconds=_expires_in_seconds(payload))
        token = CachedToken(
            access_token=str(payload["access_token"]),
            api_domain=self._api_domain_of(payload),
            expires_at=self._clock() + lifetime,
        )
        self._margins = {token.access_token: min(EXPIRY_MARGIN, lifetime / 10)}
        return token

    def _api_domain_of(self, payload: dict[str, Any]) -> str:
        domain = payload.get("api_domain")
        if self.endpoints.follow_api_domain and isinstance(domain, str) and domain.startswith("http"):
            return domain.rstrip("/")
        return self.endpoints.api_url

    def _token_error(self, payload: Any, status: int) -> AuthError:
        code = str(payload.get("error", f"HTTP {status}")) if isinstance(payload, dict) else f"HTTP {status}"
        hint = _ERROR_HINTS.get(code.lower(), "the accounts host refused the refresh-token grant")
        return AuthError(
            f"Zoho OAuth failed with {code!r}: {hint}. Used {self.endpoints.describe()}; "
            f"a refresh token only works in the data centre where it was issued",
            data_centre=self.endpoints.data_centre,
            accounts=self.endpoints.accounts_url,
        )

    # -- httpx.Auth ------------------------------------------------------------------------------------

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.token()
        request.headers["Authorization"] = AUTH_HEADER_PREFIX + token.access_token
        response = yield request
        if response.status_code == 401 and _is_invalid_token(response):
            fresh = self.invalidate(token.access_token)
            request.headers["Authorization"] = AUTH_HEADER_PREFIX + fresh.access_token
            yield request

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # Like httpx's own, but reads the body only of 401 answers: downloads stay streamed.
        flow = self.auth_flow(request)
        request = next(flow)
        while True:
            response = yield request
            if response.status_code == 401:
                response.read()
            try:
                request = flow.send(response)
            except StopIteration:
                break


def _is_invalid_token(response: httpx.Response) -> bool:
    try:
        payload = response.json()
    except ValueError:
        return True
    if isinstance(payload, dict) and isinstance(payload.get("data"), list) and payload["data"]:
        payload = payload["data"][0]
    code = payload.get("code") if isinstance(payload, dict) else None
    return code in (None, "INVALID_TOKEN", "AUTHENTICATION_FAILURE", "INVALID_OAUTHTOKEN")


def _expires_in_seconds(payload: dict[str, Any]) -> float:
    # Old responses carried ``expires_in_sec`` and gave ``expires_in`` in milliseconds.
    if "expires_in_sec" in payload:
        return float(payload["expires_in_sec"])
    try:
        return float(payload.get("expires_in", 3600))
    except (TypeError, ValueError):
        return 3600.0
