from __future__ import annotations

from datetime import UTC, datetime

from syncd.zoho.tokens import CachedToken, MemoryTokenCache


def test_memory_cache_returns_what_was_saved_per_key() -> None:
    cache = MemoryTokenCache()
    token = CachedToken("1000.secret", "https://www.zohoapis.com", datetime(2026, 1, 1, tzinfo=UTC))
    assert cache.load("k") is None
    cache.save("k", token)
    assert cache.load("k") == token
    assert cache.load("other") is None


def test_repr_hides_the_access_token() -> None:
    token = CachedToken("1000.secret", "https://www.zohoapis.com", datetime(2026, 1, 1, tzinfo=UTC))
    assert "secret" not in repr(token)
