"""An ASGI receiver for Zoho's bulk job callbacks.

Zoho POSTs job details to the ``callback.url`` given at job creation. The receiver checks a secret
token carried in that URL (``?token=…``; Zoho signs nothing), hands the body to a
:class:`~syncd.zoho.jobs.CallbackHub`, and answers at once. A callback only wakes the waiter: the job
status is always read again by GET, so a forged or repeated callback cannot change an outcome.
"""

from __future__ import annotations

import hmac
import json
import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from syncd.zoho.jobs import CallbackHub

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20


def callback_url(public_base: str, token: str) -> str:
    """The URL to give Zoho: the receiver's public address plus the secret token."""
    return f"{public_base.rstrip('/')}/zoho/bulk-callback?token={token}"


def callback_app(hub: CallbackHub, token: str) -> Starlette:
    async def receive(request: Request) -> JSONResponse:
        offered = request.query_params.get("token", "")
        if not hmac.compare_digest(offered.encode(), token.encode()):
            return JSONResponse({"status": "error", "message": "unknown callback"}, status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"status": "error", "message": "callback body too large"}, status_code=413)
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            payload = dict(await request.form()) if body else None
        job_id = hub.notify(payload)
        log.debug("bulk job callback for %s", job_id)
        return JSONResponse({"status": "success", "job_id": job_id})

    return Starlette(routes=[Route("/zoho/bulk-callback", receive, methods=["POST"])])
