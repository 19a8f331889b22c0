"""The emulator's Starlette application: every route, and Zoho's answers to unknown paths and verbs."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from syncd.emulator import admin, auth, bulk_read, bulk_write, delete, metadata, rest, upsert
from syncd.emulator.state import EmulatorState
from syncd.emulator.wire import ZohoError, invalid_url

log = logging.getLogger(__name__)


def _routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = [Route("/oauth/v2/token", auth.token_endpoint, methods=["POST"])]
    routes += admin.routes()
    routes += metadata.routes()
    routes += upsert.routes()
    # Bulk routes before REST: the REST routes' /{product}/{version}/{module}/{id} match widely.
    routes += bulk_read.routes()
    routes += bulk_write.routes()
    routes += delete.routes()  # DELETE only, so the REST GET routes below keep their paths
    routes += rest.routes()  # last: its /{product}/{version}/{module} matches widely
    return routes


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return ZohoError(
            "INVALID_REQUEST_METHOD", "The http request method type is not a valid one", 400
        ).response()
    if exc.status_code == 404:
        return invalid_url().response()
    return ZohoError("INVALID_REQUEST", exc.detail, exc.status_code).response()


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("emulator error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        {"code": "INTERNAL_ERROR", "details": {}, "message": "Internal Server Error", "status": "error"},
        status_code=500,
    )


def build_app(state: EmulatorState) -> Starlette:
    app = Starlette(
        routes=_routes(),
        exception_handlers={HTTPException: _http_error, Exception: _crash},
    )
    app.state.emulator = state
    return app
