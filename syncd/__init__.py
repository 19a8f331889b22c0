"""syncd: keep business systems and Zoho CRM / Bigin in sync through the Bulk APIs.

This module is the public façade for connector authors. Everything importable from here is
stable; everything else in the package is internal and may change between releases.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from syncd.errors import (
    AuthError,
    BudgetExceededError,
    ConfigError,
    FatalError,
    RateLimitedError,
    RecordError,
    RetriableError,
    SyncdError,
    TransientError,
    UnsafeArchiveError,
    ZohoAPIError,
)

try:
    __version__ = version("syncd")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "AuthError",
    "BudgetExceededError",
    "ConfigError",
    "FatalError",
    "RateLimitedError",
    "RecordError",
    "RetriableError",
    "SyncdError",
    "TransientError",
    "UnsafeArchiveError",
    "ZohoAPIError",
    "__version__",
]
