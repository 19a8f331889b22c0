"""The values that cross the boundary between a connector and syncd.

``read`` yields :class:`Record`, :class:`Tombstone` and :class:`Rejected` items and :class:`Cursor`
checkpoints, ending with a cursor; ``write`` takes :class:`Change` values and returns one
:class:`WriteOutcome` per change. All are frozen; their mappings are read-only copies.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

Values = Mapping[str, Any]


def _frozen(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class Record:
    """One record of a stream as the source holds it now: field name -> value."""

    values: Values

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _frozen(self.values))

    @classmethod
    def owning(cls, values: dict[str, Any]) -> Record:
        """A record that takes over ``values`` without copying it: for a connector that built the
        dict for this record alone and never touches it again."""
        record = object.__new__(cls)
        object.__setattr__(record, "values", MappingProxyType(values))
        return record


@dataclass(frozen=True)
class Tombstone:
    """A record the source deleted, identified by its key fields' values."""

    key: Values

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", _frozen(self.key))


@dataclass(frozen=True)
class Rejected:
    """A source row the connector could not turn into a record; syncd files it as a reject.

    ``location`` says where the row is (``"contacts.csv:17"``), ``key`` what is known of its key.
    """

    reason: str
    location: str | None = None
    key: Values | None = None


@dataclass(frozen=True, order=False)
class Cursor:
    """Where a read got to. ``position`` only ever grows; ``state`` is the connector's own JSON.

    ``position`` is a timezone-aware datetime (an updated-at watermark) or an int (a generation
    counter); ``state`` holds anything else the connector needs to resume (a tie-breaker key,
    fingerprints) as JSON-compatible values, so the state store keeps it in a readable column.
    """

    position: dt.datetime | int | None = None
    state: Values = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.position, dt.datetime) and self.position.utcoffset() is None:
            raise ValueError("a cursor position must be a timezone-aware datetime")
        object.__setattr__(self, "state", _frozen(self.state))

    def moves_back_from(self, earlier: Cursor | None) -> bool:
        """True when this cursor's position is before ``earlier``'s (which a read must never do)."""
        if earlier is None or earlier.position is None:
            return False
        if self.position is None or type(self.position) is not type(earlier.position):
            return True
        return self.position < earlier.position  # type: ignore[operator]

    def to_json(self) -> dict[str, Any]:
        """A JSON-compatible dict, as the state store keeps it."""
        position: str | int | None
        if isinstance(self.position, dt.datetime):
            position = self.position.isoformat()
        else:
            position = self.position
        return {"position": position, "state": dict(self.state)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cursor:
        position = data.get("position")
        if isinstance(position, str):
            position = dt.datetime.fromisoformat(position)
        return cls(position=position, state=data.get("state") or {})


ReadItem = Record | Tombstone | Rejected | Cursor
"""What ``Connector.read`` yields."""


class ChangeKind(enum.StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"


@dataclass(frozen=True)
class Change:
    """A change made on the CRM side, to apply to the source. ``values`` include the key fields."""

    kind: ChangeKind
    key: Values
    values: Values = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", _frozen(self.key))
        object.__setattr__(self, "values", _frozen({**self.values, **self.key}))

    @classmethod
    def upsert(cls, key: Values, values: Values) -> Change:
        return cls(ChangeKind.UPSERT, key, values)

    @classmethod
    def delete(cls, key: Values) -> Change:
        return cls(ChangeKind.DELETE, key)


class OutcomeStatus(enum.StrEnum):
    APPLIED = "applied"
    REJECTED = "rejected"


@dataclass(frozen=True)
class WriteOutcome:
    """What became of one :class:`Change`: applied, or rejected with a reason a person can act on."""

    key: Values
    status: OutcomeStatus
    reason: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", _frozen(self.key))
        if self.status is OutcomeStatus.REJECTED and not self.reason:
            raise ValueError("a rejected write needs a reason")

    @classmethod
    def applied(cls, key: Values) -> WriteOutcome:
        return cls(key, OutcomeStatus.APPLIED)

    @classmethod
    def rejected(cls, key: Values, reason: str) -> WriteOutcome:
        return cls(key, OutcomeStatus.REJECTED, reason)

    @property
    def ok(self) -> bool:
        return self.status is OutcomeStatus.APPLIED
