"""The OAuth access-token cache, kept in the store so one-shot runs reuse the previous run's token.

Only the access token, its API domain and its expiry are stored; the refresh token and the client
secret never reach the database (:class:`~syncd.zoho.tokens.CachedToken` cannot even carry them).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from syncd.store.batch import upsert
from syncd.store.models import metadata
from syncd.zoho.tokens import CachedToken

TABLE = metadata.tables["oauth_tokens"]


class StoreTokenCache:
    """A :class:`~syncd.zoho.tokens.TokenCache` backed by the ``oauth_tokens`` table."""

    def __init__(
        self, transaction: Callable[[], AbstractContextManager[Connection]], clock: Callable[[], datetime]
    ) -> None:
        self._transaction = transaction
        self._clock = clock

    def load(self, key: str) -> CachedToken | None:
        with self._transaction() as connection:
            row = connection.execute(select(TABLE).where(TABLE.c.key == key)).first()
        if row is None:
            return None
        return CachedToken(
            access_token=row.access_token, api_domain=row.api_domain, expires_at=row.expires_at
        )

    def save(self, key: str, token: CachedToken) -> None:
        row = {
            "key": key,
            "access_token": token.access_token,
            "api_domain": token.api_domain,
            "expires_at": token.expires_at,
            "updated_at": self._clock(),
        }
        with self._transaction() as connection:
            upsert(
                connection,
                TABLE,
                [row],
                key=["key"],
                update=["access_token", "api_domain", "expires_at", "updated_at"],
            )
