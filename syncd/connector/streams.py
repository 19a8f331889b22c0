"""What a connector declares about its data: streams, their key, fields, cursor and capabilities.

A :class:`StreamSpec` is the connector's promise; syncd holds every record the connector produces to
it (see :mod:`syncd.connector.checked`).
"""

from __future__ import annotations

import builtins
import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal


class FieldType(enum.StrEnum):
    """The value types a connector field may hold. ``None`` is always allowed except in key fields."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_ACCEPTS: dict[FieldType, Callable[[object], bool]] = {
    FieldType.STRING: lambda v: isinstance(v, str),
    FieldType.INTEGER: _is_int,
    FieldType.DECIMAL: lambda v: isinstance(v, Decimal) or _is_int(v),
    FieldType.FLOAT: lambda v: isinstance(v, float) or _is_int(v),
    FieldType.BOOLEAN: lambda v: isinstance(v, bool),
    FieldType.DATE: lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    FieldType.DATETIME: lambda v: isinstance(v, dt.datetime) and v.utcoffset() is not None,
}


def _int_type(kind: type) -> bool:
    return issubclass(kind, int) and not issubclass(kind, bool)


# Whether every value of a type fits, whatever the value; date-times depend on the value (an offset).
_ACCEPTS_TYPE: dict[FieldType, Callable[[type], bool]] = {
    FieldType.STRING: lambda k: issubclass(k, str),
    FieldType.INTEGER: _int_type,
    FieldType.DECIMAL: lambda k: issubclass(k, Decimal) or _int_type(k),
    FieldType.FLOAT: lambda k: issubclass(k, float) or _int_type(k),
    FieldType.BOOLEAN: lambda k: issubclass(k, bool),
    FieldType.DATE: lambda k: issubclass(k, dt.date) and not issubclass(k, dt.datetime),
    FieldType.DATETIME: lambda k: False,
}

_EXPECTED = {
    FieldType.STRING: "a str",
    FieldType.INTEGER: "an int",
    FieldType.DECIMAL: "a Decimal or an int",
    FieldType.FLOAT: "a float or an int",
    FieldType.BOOLEAN: "a bool",
    FieldType.DATE: "a datetime.date",
    FieldType.DATETIME: "a timezone-aware datetime.datetime",
}


@dataclass(frozen=True)
class FieldSpec:
    """One field of a stream: its name and value type."""

    name: str
    type: FieldType = FieldType.STRING

    def problem(self, value: object) -> str | None:
        """Why ``value`` does not fit this field, or ``None`` when it does (``None`` always fits)."""
        if value is None or _ACCEPTS[self.type](value):
            return None
        return f"expected {_EXPECTED[self.type]} ({self.type}), got {type(value).__name__} {value!r:.60}"

    def accepts_every(self, kind: builtins.type) -> bool:
        """Whether every value of type ``kind`` fits this field, so that a check per value can be
        skipped; false whenever the verdict depends on the value (a date-time's offset)."""
        return kind is type(None) or _ACCEPTS_TYPE[self.type](kind)


@dataclass(frozen=True)
class Capabilities:
    """What a stream (or, on the connector class, any of its streams) can do."""

    incremental: bool = False
    """``read`` given a cursor returns only what changed since that cursor (plus some overlap)."""
    write: bool = False
    """``write`` applies CRM-side changes to the source."""
    deletes: bool = False
    """``read`` reports deleted records as tombstones, and ``write`` applies deletes."""

    def names(self) -> tuple[str, ...]:
        """The enabled capabilities by name, for listings: ``("incremental", "write")``."""
        return tuple(name for name in ("incremental", "write", "deletes") if getattr(self, name))


@dataclass(frozen=True)
class StreamSpec:
    """A stream the connector offers: its name, key field(s), typed fields, cursor field, capabilities."""

    name: str
    key: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    cursor_field: str | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if not self.name:
            raise ValueError("a stream needs a name")
        if len(set(names)) != len(names):
            raise ValueError(f"stream {self.name!r}: field names repeat: {sorted(names)}")
        if not self.key:
            raise ValueError(f"stream {self.name!r}: declare at least one key field")
        for what, wanted in (("key field", self.key), ("cursor field", (self.cursor_field,))):
            for name in wanted:
                if name is not None and name not in names:
                    raise ValueError(f"stream {self.name!r}: {what} {name!r} is not one of its fields")

    @property
    def field_map(self) -> Mapping[str, FieldSpec]:
        return {f.name: f for f in self.fields}

    def key_of(self, values: Mapping[str, object]) -> tuple[object, ...]:
        """The record key of ``values``: the key fields' values, in key order."""
        return tuple(values.get(name) for name in self.key)
