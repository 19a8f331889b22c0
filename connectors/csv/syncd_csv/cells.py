"""CSV cells to typed values and back. An empty cell is ``None``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from syncd import FieldType

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


class CellError(ValueError):
    """A cell that does not hold a value of its column's type."""


def parse_cell(text: str, kind: FieldType, zone: ZoneInfo) -> object:
    """The typed value of a cell; :class:`CellError` saying why not."""
    if text == "":
        return None
    try:
        return _PARSERS[kind](text.strip() if kind is not FieldType.STRING else text, zone)
    except (ValueError, InvalidOperation):
        raise CellError(f"{text!r:.60} is not a valid {kind}") from None


def _boolean(text: str, zone: ZoneInfo) -> bool:
    lowered = text.lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise ValueError(text)


def _decimal(text: str, zone: ZoneInfo) -> Decimal:
    value = Decimal(text)
    if not value.is_finite():
        raise ValueError(text)
    return value


def _datetime(text: str, zone: ZoneInfo) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.utcoffset() is not None else value.replace(tzinfo=zone)


_PARSERS = {
    FieldType.STRING: lambda text, zone: text,
    FieldType.INTEGER: lambda text, zone: int(text),
    FieldType.DECIMAL: _decimal,
    FieldType.FLOAT: lambda text, zone: float(text),
    FieldType.BOOLEAN: _boolean,
    FieldType.DATE: lambda text, zone: dt.date.fromisoformat(text),
    FieldType.DATETIME: _datetime,
}


def format_cell(value: object) -> str:
    """The cell text of a value, which :func:`parse_cell` reads back to the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
