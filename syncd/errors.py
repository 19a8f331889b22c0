"""Every exception syncd raises, grouped by what the caller should do about it.

::

    SyncdError
    ├── ConfigError              stop; the operator must fix the configuration (exit code 2)
    ├── RetriableError           back off and try again later (the run may resume)
    │   ├── RateLimitedError     Zoho said TOO_MANY_REQUESTS (credits spent or concurrency exceeded)
    │   └── TransientError       5xx, timeouts, dropped connections, a download cut short
    ├── FatalError               stop this pipeline, keep the others running
    │   ├── AuthError            the OAuth client, refresh token or scope is wrong
    │   ├── ZohoAPIError         Zoho refused a request in a way a retry will not fix
    │   ├── UnsafeArchiveError   a downloaded archive tried to escape or to explode
    │   ├── BudgetExceededError  the work does not fit the credit budget left in the window
    │   ├── PluginError          a plugin failed to load or its connector is unavailable
    │   └── ConnectorOutputError a connector broke its contract (a record without its key, ...)
    └── RecordError              reject this one record and go on with the rest

Every error carries structured ``context`` (pipeline, module, job id, ...) and a message a person
can act on. Secrets never appear in messages: callers pass redacted values only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SyncdError(Exception):
    """Base of every error syncd raises on purpose."""

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context: dict[str, Any] = {k: v for k, v in context.items() if v is not None}

    def __str__(self) -> str:
        if not self.context:
            return self.message
        where = ", ".join(f"{key}={value}" for key, value in self.context.items())
        return f"{self.message} [{where}]"


class ConfigError(SyncdError):
    """The configuration is invalid; nothing can run until an operator fixes it."""


class RetriableError(SyncdError):
    """A passing condition: back off and try again."""

    def __init__(self, message: str, *, retry_after: float | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class RateLimitedError(RetriableError):
    """Zoho answered 429 TOO_MANY_REQUESTS."""


class TransientError(RetriableError):
    """A 5xx answer, a timeout, a dropped connection or a truncated download."""


class FatalError(SyncdError):
    """This pipeline cannot go on; other pipelines are unaffected."""


class AuthError(FatalError):
    """OAuth failed: wrong client, refresh token, data centre or scope."""


class ZohoAPIError(FatalError):
    """Zoho refused the request with an error code that a retry will not change."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        http_status: int | None = None,
        details: Mapping[str, Any] | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message, code=code, http_status=http_status, **context)
        self.code = code
        self.http_status = http_status
        self.details: dict[str, Any] = dict(details or {})


class UnsafeArchiveError(FatalError):
    """A downloaded zip has entries with path components or an absurd expansion ratio."""


class BudgetExceededError(FatalError):
    """The planned work does not fit in the credits left in the rolling 24-hour window."""


class PluginError(FatalError):
    """A plugin could not be loaded or validated, so what it provides is unavailable."""


class ConnectorOutputError(FatalError):
    """A connector produced something its declared streams do not allow; what came before stands."""


class RecordError(SyncdError):
    """One record is unacceptable; reject it with this reason and go on."""

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, **context: Any):
        super().__init__(message, field=field, code=code, **context)
        self.field = field
        self.code = code


__all__ = [
    "AuthError",
    "BudgetExceededError",
    "ConfigError",
    "ConnectorOutputError",
    "FatalError",
    "PluginError",
    "RateLimitedError",
    "RecordError",
    "RetriableError",
    "SyncdError",
    "TransientError",
    "UnsafeArchiveError",
    "ZohoAPIError",
]
