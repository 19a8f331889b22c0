"""OAuth as Zoho's accounts server does it, and the access-token check of every API call.

``POST /oauth/v2/token`` takes the refresh-token grant as form fields or query parameters. Errors
come back as HTTP 200 with ``{"error": ...}`` (``invalid_client``, ``invalid_code``), as Zoho's
accounts server answers them. One refresh token mints at most ``tokens_per_window`` access tokens
per ``token_window_seconds``.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse

from syncd.emulator.clock import EmulatorClock
from syncd.emulator.settings import EmulatorSettings
from syncd.emulator.wire import ZohoError

THROTTLED = "You have made too many requests continuously. Please try again after some time."
SCOPE = "ZohoCRM.modules.ALL ZohoCRM.bulk.ALL ZohoCRM.settings.ALL ZohoCRM.org.ALL ZohoFiles.files.ALL"


@dataclass
class AccessToken:
    value: str
    refresh_token: str
    expires_at: float
    user_id: int


class TokenAuthority:
    def __init__(self, settings: EmulatorSettings, clock: EmulatorClock) -> None:
        self.settings = settings
        self._clock = clock
        self._tokens: dict[str, AccessToken] = {}
        self._minted: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self.minted_total = 0

    def _now(self) -> float:
        return self._clock.time()

    def mint(self, client_id: str, client_secret: str, refresh_token: str, user_id: int) -> dict[str, object]:
        s = self.settings
        if client_id != s.client_id or client_secret != s.client_secret:
            return {"error": "invalid_client"}
        if refresh_token != s.refresh_token:
            return {"error": "invalid_code"}
        now = self._now()
        with self._lock:
            window = self._minted.setdefault(refresh_token, deque())
            while window and window[0] <= now - s.token_window_seconds:
                window.popleft()
            if len(window) >= s.tokens_per_window:
                return {"error": "Access Denied", "error_description": THROTTLED}
            window.append(now)
            value = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
            self._tokens[value] = AccessToken(value, refresh_token, now + s.token_seconds, user_id)
            self.minted_total += 1
        return {"access_token": value, "scope": SCOPE, "token_type": "Bearer", "expires_in": s.token_seconds}

    def check(self, request: Request) -> AccessToken:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme != "Zoho-oauthtoken" or not value.strip():
            raise ZohoError("AUTHENTICATION_FAILURE", "Authentication failed", 401)
        with self._lock:
            token = self._tokens.get(value.strip())
        if token is None or token.expires_at <= self._now():
            raise ZohoError("INVALID_TOKEN", "invalid oauth token", 401)
        return token

    def expire_all(self) -> None:
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = 0.0

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._minted.clear()


async def token_endpoint(request: Request) -> JSONResponse:
    from syncd.emulator.state import state_of

    state = state_of(request)
    params = dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        params.update({k: str(v) for k, v in form.items()})
    if params.get("grant_type") != "refresh_token":
        return JSONResponse({"error": "unsupported_grant_type"})
    body = state.tokens.mint(
        params.get("client_id", ""),
        params.get("client_secret", ""),
        params.get("refresh_token", ""),
        state.records.users[0].id,
    )
    if "access_token" in body:
        body["api_domain"] = state.base_url(request)
    status = 400 if body.get("error") == "Access Denied" else 200
    return JSONResponse(body, status_code=status)
