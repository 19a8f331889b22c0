"""The connector API: what a connector is, declares, reads and writes. Import it from ``syncd``."""

from __future__ import annotations

from syncd.connector.base import Clock, Connector, utc_now
from syncd.connector.checked import checked_read, checked_write, describe_key
from syncd.connector.config import (
    REDACTED,
    ConnectorConfig,
    Secret,
    load_config,
    redacted,
    scrub,
    secret_values,
)
from syncd.connector.records import (
    Change,
    ChangeKind,
    Cursor,
    OutcomeStatus,
    ReadItem,
    Record,
    Rejected,
    Tombstone,
    WriteOutcome,
)
from syncd.connector.streams import Capabilities, FieldSpec, FieldType, StreamSpec

__all__ = [
    "REDACTED",
    "Capabilities",
    "Change",
    "ChangeKind",
    "Clock",
    "Connector",
    "ConnectorConfig",
    "Cursor",
    "FieldSpec",
    "FieldType",
    "OutcomeStatus",
    "ReadItem",
    "Record",
    "Rejected",
    "Secret",
    "StreamSpec",
    "Tombstone",
    "WriteOutcome",
    "checked_read",
    "checked_write",
    "describe_key",
    "load_config",
    "redacted",
    "scrub",
    "secret_values",
    "utc_now",
]
