"""Where access tokens are kept between runs.

Zoho lets one refresh token mint at most 10 access tokens in 10 minutes, so one-shot runs from cron
must reuse the token of the previous run. The client asks a :class:`TokenCache` first; the state
store provides a persistent one. Only the access token and its expiry are cached: never the refresh
token or the client secret. ``key`` identifies the OAuth client and refresh token without containing
them (a hash).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class CachedToken:
    access_token: str
    api_domain: str
    expires_at: datetime

    def __repr__(self) -> str:
        return (
            f"CachedToken(access_token='***', api_domain={self.api_domain!r}, expires_at={self.expires_at!r})"
        )


class TokenCache(Protocol):
    def load(self, key: str) -> CachedToken | None: ...

    def save(self, key: str, token: CachedToken) -> None: ...


class MemoryTokenCache:
    """A process-local cache, used when no state store is configured."""

    def __init__(self) -> None:
        self._tokens: dict[str, CachedToken] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> CachedToken | None:
        with self._lock:
            return self._tokens.get(key)

    def save(self, key: str, token: CachedToken) -> None:
        with self._lock:
            self._tokens[key] = token
