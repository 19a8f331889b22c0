"""Zoho's error answers, mapped onto syncd's error tree by what the caller should do.

Zoho answers errors in several shapes: the standard envelope ``{"code", "details", "message",
"status"}``, the same wrapped in ``{"data": [...]}``, the upload host's ``{"ERROR_CODE", "x-error"}``
and an old 429 form ``{"code": 429, "error": "TOO_MANY_REQUESTS", "error_info": ...}``.
:func:`parse_error` reads them all; :func:`error_for` picks the exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from syncd.errors import (
    AuthError,
    RateLimitedError,
    ResultExpiredError,
    SyncdError,
    TransientError,
    ZohoAPIError,
)

AUTH_CODES = frozenset(
    {"INVALID_TOKEN", "AUTHENTICATION_FAILURE", "OAUTH_SCOPE_MISMATCH", "INVALID_OAUTHTOKEN"}
)
TRANSIENT_CODES = frozenset({"INTERNAL_ERROR", "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"})
RATE_CODES = frozenset({"TOO_MANY_REQUESTS", "LIMIT_REACHED"})

# Row-level codes (bulk write result ERRORS, REST upsert per-record errors): which ones go away on their
# own (retry the row later) and which need someone to fix the data.
RETRYABLE_RECORD_CODES = frozenset({"CANNOT_PROCESS", "LIMIT_EXCEEDED", "BLOCKED_RECORD", "NOT_APPROVED"})
RECORD_CODES = RETRYABLE_RECORD_CODES | frozenset(
    {
        "MANDATORY_NOT_FOUND",
        "INVALID_DATA",
        "DUPLICATE_DATA",
        "RESOURCE_NOT_FOUND",
        "ID_ALREADY_CONVERTED",
        "MULTIPLE_OR_MULTI_ERRORS",
        "UNPROCESSED",
    }
)


def record_code_is_retryable(code: str) -> bool:
    return code.upper() in RETRYABLE_RECORD_CODES


@dataclass(frozen=True)
class ZohoErrorBody:
    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)


def parse_error(payload: Any, http_status: int) -> ZohoErrorBody:
    """The code, message and details of an error answer in any of Zoho's shapes."""
    if isinstance(payload, Mapping) and isinstance(payload.get("data"), list) and payload["data"]:
        payload = payload["data"][0]
    if not isinstance(payload, Mapping):
        return ZohoErrorBody(f"HTTP_{http_status}", f"HTTP {http_status} without a Zoho error body")
    code = payload.get("code")
    if not isinstance(code, str):
        code = payload.get("error") or payload.get("ERROR_MESSAGE") or f"HTTP_{http_status}"
    message = (
        payload.get("message") or payload.get("error_info") or payload.get("x-error") or payload.get("error")
    )
    details = payload.get("details")
    return ZohoErrorBody(
        code=str(code).upper().replace(" ", "_"),
        message=str(message or code),
        details=details if isinstance(details, Mapping) else {},
    )


def body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def error_for(response: httpx.Response, *, what: str, **context: Any) -> SyncdError:
    """The exception for a non-success answer to ``what`` (e.g. ``"create bulk read job"``)."""
    status = response.status_code
    error = parse_error(body_of(response), status)
    message = f"Zoho refused to {what}: {error.code} ({error.message})"
    if status == 429 or error.code in RATE_CODES:
        return RateLimitedError(message, code=error.code, http_status=status, **context)
    if status >= 500 or error.code in TRANSIENT_CODES:
        return TransientError(message, code=error.code, http_status=status, **context)
    if status in (401, 403) and (error.code in AUTH_CODES or status == 401):
        hint = " — check the OAuth scopes (ZohoCRM.bulk.ALL, ZohoCRM.modules.ALL, ZohoFiles.files.ALL)"
        return AuthError(message + (hint if error.code == "OAUTH_SCOPE_MISMATCH" else ""), **context)
    return ZohoAPIError(message, code=error.code, http_status=status, details=error.details, **context)


def expired_error(what: str, **context: Any) -> ResultExpiredError:
    return ResultExpiredError(
        f"{what} has expired (Zoho keeps bulk results and page tokens for 24 hours)",
        code="RESOURCE_NOT_FOUND",
        **context,
    )
