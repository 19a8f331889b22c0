"""The values that cross the engine's boundaries: policies in, changes and conflicts out.

Everything here is a frozen dataclass or an enum, so a diff or a plan can be compared, logged and
stored without surprises. The configuration (:mod:`syncd.config`) uses the same enums.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from syncd.engine.canonical import Canonical


class Direction(StrEnum):
    """Which way a pipeline carries changes."""

    PUSH = "push"  # source -> CRM
    PULL = "pull"  # CRM -> source
    BOTH = "both"


class ConflictPolicy(StrEnum):
    """What wins when both sides changed the same field since the last sync."""

    CRM_WINS = "crm_wins"
    SOURCE_WINS = "source_wins"
    NEWEST_WINS = "newest_wins"  # by Modified_Time and the connector's timestamp; ties go to the CRM
    MANUAL = "manual"  # neither: hold the field for `syncd conflicts`


class DeletePolicy(StrEnum):
    """Whether deletes propagate, and how the receiving side carries them out."""

    OFF = "off"
    SOFT = "soft"  # the receiver marks or bins the record (Zoho: recycle bin)
    HARD = "hard"  # the receiver removes it for good


class WritePath(StrEnum):
    """How rows reach the CRM: the planner chooses (``auto``) or the pipeline pins one."""

    AUTO = "auto"
    BULK = "bulk"
    REST = "rest"


class Side(StrEnum):
    CRM = "crm"
    SOURCE = "source"

    @property
    def other(self) -> Side:
        return Side.SOURCE if self is Side.CRM else Side.CRM


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


Values = Mapping[str, Canonical]


def frozen_values(values: Mapping[str, Canonical]) -> Values:
    """A read-only copy, so a value inside a frozen dataclass cannot change under its holder."""
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class Change:
    """One action on one record on one side.

    ``values`` holds the fields to write: every field for a create, only the changed ones for an
    update, none for a delete. ``delete_mode`` says how to delete (soft or hard).
    """

    key: str
    target: Side
    action: Action
    values: Values = field(default_factory=lambda: frozen_values({}))
    delete_mode: DeletePolicy | None = None


@dataclass(frozen=True)
class Conflict:
    """A field (or, with ``field`` None, a whole record: edit against delete) changed on both sides.

    ``winner`` is the side whose value was taken, or None when the policy is ``manual`` and the
    field waits for a person.
    """

    key: str
    field: str | None
    base: Canonical
    crm: Canonical
    source: Canonical
    policy: ConflictPolicy
    winner: Side | None
    deleted_on: Side | None = None  # for an edit-against-delete conflict: the side that deleted


RECORD_FIELD = "*record*"  # the field a record-level (edit against delete) conflict is stored under


@dataclass(frozen=True)
class Resolved:
    """An operator's answer to a held conflict (``syncd conflicts resolve``), for the diff to carry out.

    For a field conflict, ``values`` holds the chosen value of every resolved field, and ``crm`` and
    ``source`` what each side held in those fields when the conflict was held: a side holding
    anything else now (other than the chosen value) changed it again, which makes the answer stale.
    For a record-level conflict, ``deleted_on`` is the side that deleted the record and ``keep`` says
    whether it stays (recreated where it was deleted) or goes (deleted where it was kept).
    """

    values: Values = field(default_factory=lambda: frozen_values({}))
    crm: Values = field(default_factory=lambda: frozen_values({}))
    source: Values = field(default_factory=lambda: frozen_values({}))
    deleted_on: Side | None = None
    keep: bool = True

    def held_on(self, side: Side) -> Values:
        return self.crm if side is Side.CRM else self.source


@dataclass(frozen=True)
class StaleResolution:
    """A resolution the diff did not carry out, and why (a side changed the record again)."""

    key: str
    reason: str

    def __str__(self) -> str:
        return f"the resolution of {self.key} is stale ({self.reason}); the policy decides again"


@dataclass(frozen=True)
class MassDeleteBlocked:
    """A run would delete more than the allowed share of a side's records; nothing was deleted."""

    target: Side
    deletes: int
    total: int
    max_share: float

    @property
    def share(self) -> float:
        return self.deletes / self.total if self.total else 1.0

    def __str__(self) -> str:
        return (
            f"refusing to delete {self.deletes} of {self.total} records on the {self.target} side "
            f"({self.share:.0%}, the limit is {self.max_share:.0%}); "
            "check the source, or rerun with --allow-mass-delete"
        )


@dataclass(frozen=True)
class SideRecord:
    """A record as one side holds it now: canonical values and when that side last changed it."""

    values: Values
    modified: datetime | None = None


@dataclass(frozen=True)
class SideState:
    """What one side reported in this run.

    ``complete`` is true when ``records`` is a full snapshot (so a missing record is a delete
    candidate) and false for an incremental read (a missing record is simply unchanged).
    ``deleted`` holds the keys that side confirms deleted, with the time when known: for the CRM
    the deleted-records API, for the source the connector's tombstones.
    """

    records: Mapping[str, SideRecord]
    complete: bool = False
    deleted: Mapping[str, datetime | None] = field(default_factory=dict)
