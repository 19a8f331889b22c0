"""syncd: keep business systems and Zoho CRM / Bigin in sync through the Bulk APIs.

This module is the public façade for connector authors. Everything importable from here is
stable; everything else in the package is internal and may change between releases.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from syncd.connector import (
    Capabilities,
    Change,
    ChangeKind,
    Connector,
    ConnectorConfig,
    Cursor,
    FieldSpec,
    FieldType,
    OutcomeStatus,
    ReadItem,
    Record,
    Rejected,
    Secret,
    StreamSpec,
    Tombstone,
    WriteOutcome,
)
from syncd.errors import (
    AuthError,
    BudgetExceededError,
    ConfigError,
    ConnectorOutputError,
    FatalError,
    PluginError,
    RateLimitedError,
    RecordError,
    RetriableError,
    SyncdError,
    TransientError,
    UnsafeArchiveError,
    ZohoAPIError,
)
from syncd.plugins.markers import hookimpl

try:
    __version__ = version("syncd")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "AuthError",
    "BudgetExceededError",
    "Capabilities",
    "Change",
    "ChangeKind",
    "ConfigError",
    "Connector",
    "ConnectorConfig",
    "ConnectorOutputError",
    "Cursor",
    "FatalError",
    "FieldSpec",
    "FieldType",
    "OutcomeStatus",
    "PluginError",
    "RateLimitedError",
    "ReadItem",
    "Record",
    "RecordError",
    "Rejected",
    "RetriableError",
    "Secret",
    "StreamSpec",
    "SyncdError",
    "Tombstone",
    "TransientError",
    "UnsafeArchiveError",
    "WriteOutcome",
    "ZohoAPIError",
    "__version__",
    "hookimpl",
]
