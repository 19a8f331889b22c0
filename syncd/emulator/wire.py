"""Zoho's wire conventions shared by every emulator endpoint: the error envelope and JSON answers."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


class ZohoError(Exception):
    """An error answered with Zoho's envelope ``{"code", "details", "message", "status": "error"}``.

    ``wrapped`` puts the envelope inside ``{"data": [...]}`` as Zoho does for per-record and some
    per-job errors.
    """

    def __init__(
        self,
        code: str,
        message: str,
        http_status: int = 400,
        details: dict[str, Any] | None = None,
        *,
        wrapped: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.details = details or {}
        self.wrapped = wrapped
        self.headers = headers or {}

    def envelope(self) -> dict[str, Any]:
        return {"code": self.code, "details": self.details, "message": self.message, "status": "error"}

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"data": [self.envelope()]} if self.wrapped else self.envelope()
        return JSONResponse(body, status_code=self.http_status, headers=self.headers)


def invalid_url() -> ZohoError:
    return ZohoError("INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one", 404)


def not_found(resource: str) -> ZohoError:
    return ZohoError("RESOURCE_NOT_FOUND", "the requested resource is not found", 404, {"resource": resource})


def mandatory(key: str, message: str | None = None) -> ZohoError:
    return ZohoError(
        "MANDATORY_NOT_FOUND",
        message or f"required key {key} is not found in request body.",
        400,
        {"api_name": key},
    )


def invalid_data(message: str, **details: Any) -> ZohoError:
    return ZohoError("INVALID_DATA", message, 400, details)


def too_many_requests(message: str) -> ZohoError:
    return ZohoError("TOO_MANY_REQUESTS", message, 429)
