"""Canonical values: one spelling per meaning, so that equal data compares equal.

Each side of a sync spells values its own way: Zoho returns ``2025-01-02T10:00:00+05:30`` for a
date-time syncd wrote as ``2025-01-02T04:30:00Z``, ``12.5`` for ``12.50``, ``b;a`` for ``["a", "b"]``.
Change detection compares canonical values, so syncd's own writes never come back as changes.

The canonical form per Zoho ``data_type`` (:mod:`syncd.zoho.fields`):

=====================================  ===============================================
text, textarea, email, phone, URL ...  ``str``, trimmed (line endings ``\\n`` in textarea)
integer, bigint, double, currency,     :class:`~decimal.Decimal`, normalised (no trailing zeros,
percent                                no exponent noise: ``12.50`` → ``12.5``)
date                                   :class:`~datetime.date`
datetime                               :class:`~datetime.datetime` in UTC, whole seconds
                                       (a naive date-time is taken to be UTC)
boolean                                ``bool``
multiselectpicklist                    sorted ``tuple`` of distinct trimmed values
lookup, ownerlookup                    the record id as ``str``
=====================================  ===============================================

Empty values (``None``, blank text, an empty selection) are ``None``. Canonicalising a canonical
value, or its :func:`to_json` form, returns it unchanged, so values kept in the state store as JSON
come back equal. :func:`fingerprint` hashes a row of canonical values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any, TypeAlias, cast

from syncd.zoho.fields import FieldMeta

Canonical: TypeAlias = str | Decimal | date | datetime | bool | tuple[str, ...] | None
JSONValue: TypeAlias = str | bool | list[str] | None

NUMERIC_TYPES = frozenset({"integer", "bigint", "double", "currency", "percent"})
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_NOT_TEXT = (bool, list, tuple, set, frozenset, dict)
_PLAIN_TEXT = frozenset({str, type(None)})
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
_DATETIME_FORMATS = ("%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")
# Precise enough that normalising never rounds a value Zoho can hold (at most 16 + 9 digits).
_EXACT = Context(prec=100)


class CanonicalError(ValueError):
    """A value cannot be read as its field's type; ``problem`` says why in words."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def canonical_text(value: object) -> str | None:
    if type(value) is str:  # the common case, without the checks below
        text = value
    elif isinstance(value, _NOT_TEXT):
        raise CanonicalError(f"expected text, got {_describe(value)}")
    else:
        text = str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip() or None


def canonical_texts(values: Sequence[object]) -> list[str | None] | None:
    """``[canonical_text(v) for v in values]`` for a column of ``str`` or ``None`` values, with the
    per-value work done in C; ``None`` when some value is of another type (take those one by one)."""
    if not set(map(type, values)) <= _PLAIN_TEXT:
        return None
    texts = cast(Sequence[str | None], values)
    if None in texts:
        return [None if text is None else canonical_text(text) for text in texts]
    plain = cast(Sequence[str], texts)
    if "\r" in "".join(plain):
        return [canonical_text(text) for text in plain]
    stripped: list[str | None] = list(map(str.strip, plain))
    return [text or None for text in stripped] if "" in stripped else stripped


def canonical_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise CanonicalError(f"expected a number, got {_describe(value)}")
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    try:
        number = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise CanonicalError(f"expected a number, got {_describe(value)}") from None
    if not number.is_finite():
        raise CanonicalError(f"expected a finite number, got {_describe(value)}")
    return _normalise(number)


def _normalise(number: Decimal) -> Decimal:
    """``12.50`` → ``12.5``, ``1E+2`` → ``100``, ``-0`` → ``0``: one spelling per number."""
    if number.is_zero():
        return Decimal(0)
    return Decimal(format(number.normalize(_EXACT), "f"))


def canonical_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return _as_utc(value).date()
    if isinstance(value, date):
        return value
    text = _stripped(value, "a date")
    if text is None:
        return None
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise CanonicalError(f"expected a date like 2025-01-31, got {_describe(value)}")


def canonical_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return _as_utc(value)
    if isinstance(value, date):
        raise CanonicalError(f"expected a date and time, got the date {value.isoformat()}")
    text = _stripped(value, "a date and time")
    if text is None:
        return None
    return _as_utc(_parse_datetime(text, value))


def _parse_datetime(text: str, original: object) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        pass
    for pattern in _DATETIME_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise CanonicalError(
        f"expected a date and time like 2025-01-31T14:05:00+01:00, got {_describe(original)}"
    )


def _as_utc(moment: datetime) -> datetime:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.replace(microsecond=0)


def _stripped(value: object, expected: str) -> str | None:
    if not isinstance(value, str):
        raise CanonicalError(f"expected {expected}, got {_describe(value)}")
    return value.strip() or None


def canonical_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = _stripped(value, "true or false")
    if text is None:
        return None
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise CanonicalError(f"expected true or false, got {_describe(value)}")


def canonical_multiselect(value: object) -> tuple[str, ...] | None:
    if isinstance(value, str):
        items: Iterable[object] = value.split(";")
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        raise CanonicalError(f"expected a list of choices or 'a;b', got {_describe(value)}")
    chosen = {text for item in items if (text := canonical_text(item)) is not None}
    return tuple(sorted(chosen)) or None


def canonical_id(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
        if value is None:
            return None
    if isinstance(value, bool | float):
        raise CanonicalError(f"expected a record id, got {_describe(value)}")
    return canonical_text(value)


_BY_TYPE: dict[str, Callable[[object], Canonical]] = {
    "date": canonical_date,
    "datetime": canonical_datetime,
    "boolean": canonical_bool,
    "multiselectpicklist": canonical_multiselect,
    "lookup": canonical_id,
    "ownerlookup": canonical_id,
    **dict.fromkeys(NUMERIC_TYPES, canonical_decimal),
}


def is_text_type(data_type: str) -> bool:
    """Whether values of ``data_type`` are canonicalised as text (:func:`canonical_text`)."""
    return data_type not in _BY_TYPE


def canonical(value: object, data_type: str) -> Canonical:
    """The canonical form of ``value`` for a field of Zoho type ``data_type``.

    Raises :class:`CanonicalError` when the value cannot be read as that type.
    """
    if value is None:
        return None
    if isinstance(value, Decimal) and data_type not in NUMERIC_TYPES:
        value = format(value, "f")
    return _BY_TYPE.get(data_type, canonical_text)(value)


def data_type_of(column: str, fields: Mapping[str, FieldMeta]) -> str:
    """The type of a row column: a field's own, or for ``Account_Name.id`` the id of a lookup."""
    meta = fields.get(column)
    if meta is not None:
        return meta.data_type
    parent, dot, attribute = column.partition(".")
    parent_meta = fields.get(parent)
    if dot and parent_meta is not None and parent_meta.is_lookup and attribute.lower() == "id":
        return "lookup"
    return "text"


def canonical_row(row: Mapping[str, Any], fields: Mapping[str, FieldMeta]) -> dict[str, Canonical]:
    """Canonicalise every column of ``row``; columns without metadata are treated as text."""
    return {column: canonical(value, data_type_of(column, fields)) for column, value in row.items()}


def to_json(value: Canonical) -> JSONValue:
    """A JSON-safe spelling of a canonical value that :func:`canonical` reads back unchanged."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal):
        return format(_normalise(value), "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def fingerprint(values: Mapping[str, Canonical]) -> str:
    """A stable hash of a row of canonical values; empty (``None``) fields count as absent."""
    present = {name: to_json(value) for name, value in values.items() if value is not None}
    encoded = json.dumps(present, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
