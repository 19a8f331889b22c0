from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect, select

from syncd.store import StateStore
from syncd.store.models import metadata
from syncd.zoho.tokens import CachedToken, TokenCache
from tests.store.conftest import FakeClock


def test_a_token_saved_by_one_run_is_loaded_by_the_next(
    store: StateStore, clock: FakeClock, database_url: str
) -> None:
    token = CachedToken("1000.access", "https://www.zohoapis.eu", expires_at=clock.now + timedelta(hours=1))
    cache: TokenCache = store.token_cache()
    assert cache.load("client-hash") is None
    cache.save("client-hash", token)
    store.close()
    with StateStore.open(database_url, clock=clock) as next_run:
        assert next_run.token_cache().load("client-hash") == token


def test_saving_again_replaces_the_token(store: StateStore, clock: FakeClock) -> None:
    cache = store.token_cache()
    cache.save("k", CachedToken("old", "https://www.zohoapis.com", clock.now))
    cache.save("k", CachedToken("new", "https://www.zohoapis.com", clock.now + timedelta(hours=1)))
    loaded = cache.load("k")
    assert loaded is not None and loaded.access_token == "new"


def test_only_the_access_token_is_stored(store: StateStore, clock: FakeClock) -> None:
    store.token_cache().save("k", CachedToken("1000.access", "https://www.zohoapis.com", clock.now))
    columns = {c["name"] for c in inspect(store.engine).get_columns("oauth_tokens")}
    assert columns == {"key", "access_token", "api_domain", "expires_at", "updated_at"}
    with store.engine.connect() as connection:
        [row] = connection.execute(select(metadata.tables["oauth_tokens"])).all()
    assert (
        "refresh" not in " ".join(map(str, row)).lower() and "secret" not in " ".join(map(str, row)).lower()
    )
