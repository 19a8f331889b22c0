"""Page tokens: where the next bulk-read page starts, for the user who got it, for 24 hours.

A token is opaque to clients (96 hex digits, as Zoho's look); the emulator keeps what it stands for
in a registry: the query of the job that issued it, the offset of the next record in the match
set, the creating user and when it was issued.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Generic, TypeVar

from syncd.emulator.wire import ZohoError

TOKEN_SECONDS = 24 * 3600
Q = TypeVar("Q")


@dataclass(frozen=True)
class PageToken(Generic[Q]):
    query: Q
    offset: int
    user_id: int
    issued_at: float


def _bad_token(message: str) -> ZohoError:
    return ZohoError(
        "INVALID_DATA", message, 400, {"api_name": "page_token", "json_path": "$.query.page_token"}
    )


class PageTokens(Generic[Q]):
    def __init__(self) -> None:
        self._tokens: dict[str, PageToken[Q]] = {}
        self._lock = threading.Lock()

    def issue(self, query: Q, offset: int, user_id: int, now: float) -> str:
        value = secrets.token_hex(48)
        with self._lock:
            self._forget_expired(now)
            self._tokens[value] = PageToken(query, offset, user_id, now)
        return value

    def redeem(self, value: object, user_id: int, now: float) -> PageToken[Q]:
        """The token's position, or ``INVALID_DATA`` when it is unknown, expired or another user's."""
        if not isinstance(value, str) or not value:
            raise _bad_token("page_token must be the next_page_token string of an earlier job")
        with self._lock:
            token = self._tokens.get(value)
        if token is None:
            raise _bad_token("the page_token is not valid; take next_page_token from a completed job")
        if now - token.issued_at > TOKEN_SECONDS:
            raise _bad_token("the page_token has expired; page tokens are valid for 24 hours")
        if token.user_id != user_id:
            raise _bad_token("the page_token was issued to another user; use it with that user's token")
        return token

    def _forget_expired(self, now: float) -> None:
        for value in [v for v, t in self._tokens.items() if now - t.issued_at > TOKEN_SECONDS]:
            del self._tokens[value]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
