from __future__ import annotations

from collections.abc import Callable

import pytest

from syncd.emulator import RunningEmulator
from syncd.errors import AuthError
from syncd.zoho import Credentials, MemoryTokenCache, ZohoClient


def test_a_token_is_minted_from_the_emulator_and_cached(connect: Callable[..., ZohoClient]) -> None:
    cache = MemoryTokenCache()
    first = connect(token_cache=cache)
    token = first.auth.token()
    assert token.access_token
    assert connect(token_cache=cache).auth.token() == token
    assert first.auth.tokens_minted == 1


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        (Credentials("wrong", "demo", "demo"), "invalid_client"),
        (Credentials("demo", "demo", "wrong"), "invalid_code"),
    ],
)
def test_wrong_credentials_name_the_accounts_host(
    connect: Callable[..., ZohoClient], emulator: RunningEmulator, credentials: Credentials, code: str
) -> None:
    with pytest.raises(AuthError, match=code) as caught:
        connect(credentials).auth.token()
    assert emulator.url in str(caught.value)
