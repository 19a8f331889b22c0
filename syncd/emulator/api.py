"""The wrapper every Zoho API endpoint of the emulator goes through.

In order: injected faults (latency, dropped connection, 500s, 429 bursts), the product and API
version in the path, the access token, the concurrency limit, then the handler. Credits are charged
for calls that succeed: ``cost`` by default, or what the handler charged itself with
:meth:`ApiContext.spend`. Once half the allowance is used every answer carries
``X-API-CREDITS-REMAINING``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from syncd.emulator.auth import AccessToken
from syncd.emulator.schema import PRODUCTS
from syncd.emulator.state import EmulatorState, state_of
from syncd.emulator.wire import ZohoError, invalid_url

VERSIONS = {
    "crm": frozenset({"v2", "v2.1", "v3", "v4", "v5", "v6", "v7", "v8"}),
    "bigin": frozenset({"v1", "v2"}),
}


@dataclass
class ApiContext:
    request: Request
    state: EmulatorState
    product: str
    version: str
    token: AccessToken
    spent: int = 0

    @property
    def version_number(self) -> float:
        return float(self.version.lstrip("v"))

    def spend(self, credits: int) -> None:
        """Charge credits now (429 when the window has not enough left)."""
        self.state.credits[self.product].spend(credits)
        self.spent += credits

    async def json(self) -> Any:
        """The JSON body, or Zoho's error for a missing, unreadable or non-JSON body."""
        content_type = self.request.headers.get("content-type", "")
        if "json" not in content_type:
            raise ZohoError("MEDIA_TYPE_NOT_SUPPORTED", "the media type is not supported", 415)
        raw = await self.request.body()
        if not raw.strip():
            raise ZohoError("REQUEST_BODY_IS_EMPTY", "request body is empty", 400)
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ZohoError(
                "REQUEST_BODY_NOT_SUPPORTED", "request body contains invalid format", 400
            ) from None


Handler = Callable[[ApiContext], Awaitable[Response]]


class DroppedConnection(Response):
    """Promises a body and sends half of it, then the server closes the connection."""

    def __init__(self, content: bytes = b'{"data": []}' * 64) -> None:
        super().__init__(content, media_type="application/json")
        self._half = content[: len(content) // 2]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self._half, "more_body": False})


async def _apply_faults(state: EmulatorState) -> Response | None:
    faults = state.faults
    if faults.settings.latency_ms:
        await asyncio.sleep(faults.settings.latency_ms / 1000)
    if faults.settings.expire_tokens:
        faults.configure({"expire_tokens": False})
        state.tokens.expire_all()
    if faults.take("drop_next"):
        return DroppedConnection()
    if faults.take("error_next") or faults.roll_error():
        return ZohoError("INTERNAL_ERROR", "Internal Server Error", 500).response()
    if faults.take("throttle_next"):
        return ZohoError(
            "TOO_MANY_REQUESTS", "Number of API requests for the 24 hour period is exceeded", 429
        ).response()
    return None


def _context(request: Request, state: EmulatorState) -> ApiContext:
    product = request.path_params.get("product", "crm")
    version = request.path_params.get("version", "")
    if product not in PRODUCTS or version not in VERSIONS[product]:
        raise invalid_url()
    return ApiContext(request, state, product, version, state.tokens.check(request))


def endpoint(
    handler: Handler, *, cost: int = 1, heavy: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        state = state_of(request)
        faulty = await _apply_faults(state)
        if faulty is not None:
            return faulty
        product = request.path_params.get("product", "crm")
        try:
            context = _context(request, state)
            state.concurrency[context.product].acquire(heavy)
            try:
                response = await handler(context)
            finally:
                state.concurrency[context.product].release(heavy)
            if response.status_code < 400 and context.spent == 0 and cost:
                context.spend(cost)
        except ZohoError as error:
            response = error.response()
        if product in PRODUCTS:
            response.headers.update(state.credits[product].headers())
        return response

    return run


def api_route(
    path: str, handler: Handler, methods: list[str], *, cost: int = 1, heavy: bool = False
) -> Route:
    """A route for a Zoho API endpoint; ``path`` uses ``{product}`` and ``{version}`` parameters."""
    return Route(path, endpoint(handler, cost=cost, heavy=heavy), methods=methods)
