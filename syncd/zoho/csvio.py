"""Values written as Zoho expects them in bulk-write CSV files, per field type.

Dates ``yyyy-MM-dd``, date-times ISO-8601 with their offset, booleans ``true``/``false``, multi-select
picklists joined by ``;``, lookups by record id under the header ``Field.id``, numbers without
exponents. A value that cannot be written faithfully (a naive date-time, a list in a text field) is a
:class:`~syncd.errors.RecordError` naming the field: the row is rejected, never silently altered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from syncd.errors import RecordError
from syncd.zoho.fields import FieldMeta

_NUMBER_TYPES = frozenset({"integer", "bigint", "double", "currency", "percent"})
_VERBATIM = frozenset({str, type(None)})  # what csv.writer writes as format_cell would in a text column


def header_for(api_name: str, meta: FieldMeta | None) -> str:
    """The CSV header of a column: lookups are matched by id (``Account_Name.id``)."""
    if meta is not None and meta.is_lookup and "." not in api_name:
        return f"{api_name}.id"
    return api_name


def format_cell(api_name: str, meta: FieldMeta | None, value: Any) -> str:
    if value is None:
        return ""
    kind = meta.data_type if meta is not None else _guess_type(value)
    try:
        return _FORMATTERS.get(kind, _text)(value)
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise RecordError(f"cannot write {value!r} as a Zoho {kind} value: {exc}", field=api_name) from None


def format_row(columns: list[str], metas: Mapping[str, FieldMeta], row: Mapping[str, Any]) -> list[str]:
    return [format_cell(name, metas.get(name), row.get(name)) for name in columns]


def row_formatter(
    columns: Sequence[str], metas: Mapping[str, FieldMeta]
) -> Callable[[Mapping[str, Any]], Sequence[Any]]:
    """:func:`format_row` for many rows of the same columns, as a sequence ``csv.writer`` writes to
    the same text. A row of text columns holding only ``str`` and ``None`` (written as empty) is
    passed on as it is; any other row is formatted cell by cell."""
    names = list(columns)
    verbatim = all(
        meta is None or _FORMATTERS.get(meta.data_type, _text) is _text for meta in map(metas.get, names)
    )

    def formatted(row: Mapping[str, Any]) -> Sequence[Any]:
        values = [row.get(name) for name in names]
        if verbatim and set(map(type, values)) <= _VERBATIM:
            return values
        return format_row(names, metas, row)

    return formatted


def _guess_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list | tuple | set | frozenset):
        return "multiselectpicklist"
    if isinstance(value, int | float | Decimal):
        return "double"
    return "text"


def _text(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset | dict):
        raise TypeError("a text field takes one value")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _boolean(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return "true"
    if text in {"false", "0", "no", ""}:
        return "false"
    raise ValueError("expected true or false")


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        raise TypeError("a date field takes a date, not a date-time")
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)).isoformat()


def _datetime(value: Any) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("a date-time needs a UTC offset; a naive one is ambiguous")
    return moment.replace(microsecond=0).isoformat()


def _number(value: Any) -> str:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    if not number.is_finite():
        raise ValueError("not a finite number")
    return format(number, "f")


def _integer(value: Any) -> str:
    text = _number(value)
    if "." in text and Decimal(text) != Decimal(text).to_integral_value():
        raise ValueError("not a whole number")
    return str(int(Decimal(text)))


def _multiselect(value: Any) -> str:
    if isinstance(value, str):
        return value
    items = sorted(value) if isinstance(value, set | frozenset) else list(value)
    texts = [str(item) for item in items]
    if any(";" in text for text in texts):
        raise ValueError("a multi-select value may not contain ';'")
    return ";".join(texts)


def _lookup(value: Any) -> str:
    if isinstance(value, Mapping):
        value = value.get("id")
        if value is None:
            raise ValueError("a lookup given as an object needs an 'id'")
    return str(value)


_FORMATTERS = {
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "integer": _integer,
    "bigint": _integer,
    "double": _number,
    "currency": _number,
    "percent": _number,
    "multiselectpicklist": _multiselect,
    "lookup": _lookup,
    "ownerlookup": _lookup,
}
