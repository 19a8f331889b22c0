"""Check mapped rows against a module's field types before anything is uploaded.

A row that Zoho would skip costs credits and comes back as an error hours later; a row rejected here
costs nothing and says why at once. The rules follow Zoho's input table for bulk write (Kaizen #13,
``zoho-bulk-api.md`` §2.2): single line up to 255 characters, multi-line up to 32,000 (or the
field's configured length), email, phone (digits and ``+``, at most 30), picklists (new values are
allowed), multi-select, ISO dates and date-times, numbers up to 9 digits, currency and decimals up
to 16 digits before the point and 9 after, percent up to 5 digits, long integers up to 18 digits,
checkboxes, URLs, lookup ids, and the module's mandatory fields on insert. A field's own
``length`` / ``decimal_places`` override the defaults. Problem codes are Zoho's own
(``INVALID_DATA``, ``MANDATORY_NOT_FOUND``, ``INVALID_FIELD``), so rejects found here read like the
ones Zoho reports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from syncd.engine.canonical import Canonical, CanonicalError, canonical, data_type_of, is_text_type
from syncd.zoho.fields import FieldMeta

INVALID_DATA = "INVALID_DATA"
MANDATORY_NOT_FOUND = "MANDATORY_NOT_FOUND"
INVALID_FIELD = "INVALID_FIELD"

READ_ONLY_TYPES = frozenset({"autonumber", "formula"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE = re.compile(r"^\+?[0-9+]+$")
_URL = re.compile(r"^(?:(?:https?|ftp)://)?[^\s/.]+(?:\.[^\s/.]+)+(?:[/?#]\S*)?$", re.IGNORECASE)
_RECORD_ID = re.compile(r"^[0-9]{1,19}$")

# data_type -> (default maximum length in characters)
_TEXT_LIMITS = {"text": 255, "textarea": 32000, "email": 100, "phone": 30, "website": 255, "picklist": 255}
# data_type -> (digits before the point, digits after it)
_NUMBER_LIMITS = {
    "integer": (9, 0),
    "bigint": (18, 0),
    "double": (16, 9),
    "currency": (16, 9),
    "percent": (5, 9),
}


@dataclass(frozen=True)
class Problem:
    """Why one field of one row cannot be sent: Zoho's error code and a sentence for a person."""

    field: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}-{self.field}: {self.message}"


def validate_row(
    row: Mapping[str, Any],
    fields: Mapping[str, FieldMeta],
    *,
    insert: bool,
    find_by_columns: Collection[str] = (),
) -> tuple[Problem, ...]:
    """Every problem with ``row`` (CRM field name -> value), in column order; empty when it is good.

    ``insert`` asks for the module's mandatory fields; on update only the columns sent are checked.
    ``find_by_columns`` are lookup columns resolved by a field of the looked-up module rather than
    by id (``field_mappings[].find_by``), so their values are text, not record ids.
    """
    problems = [
        problem
        for column, value in row.items()
        if (problem := _check_column(column, value, fields, column in find_by_columns)) is not None
    ]
    problems.extend(missing_mandatory(row, fields, insert=insert))
    return tuple(problems)


def check_mapping(columns: Collection[str], fields: Mapping[str, FieldMeta]) -> tuple[Problem, ...]:
    """Columns a pipeline maps that the module does not have or that Zoho will not let anyone write."""
    problems = []
    for column in columns:
        meta = fields.get(column.partition(".")[0])
        if meta is None:
            problems.append(Problem(column, INVALID_FIELD, f"the module has no field {column!r}"))
        elif is_read_only(meta):
            problems.append(Problem(column, INVALID_FIELD, f"{meta.api_name} is read-only in Zoho"))
    return tuple(problems)


def is_read_only(meta: FieldMeta) -> bool:
    """Whether Zoho refuses every write to the field."""
    return meta.read_only or meta.data_type in READ_ONLY_TYPES


def check_value(column: str, value: Any, fields: Mapping[str, FieldMeta]) -> Problem | None:
    """The problem :func:`validate_row` finds with one value of ``column``, or ``None``."""
    return _check_column(column, value, fields, False)


def screen_texts(texts: Sequence[str | None], meta: FieldMeta, data_type: str) -> set[int] | None:
    """The positions of canonical texts that fail the check of ``data_type``, a column at a time
    (one pass of the type's pattern, one of ``len``): the same verdicts as one check per value.

    ``None`` when ``data_type`` is not one canonicalised as text. Blanks (``None``) are skipped:
    whether a blank may be sent depends on the row (see :func:`validate_row`).
    """
    if not is_text_type(data_type):
        return None
    check = _CHECKS.get(data_type, _check_nothing)
    if check is _check_nothing:
        return set()
    if check not in _TEXT_PATTERNS:
        return None
    pattern = _TEXT_PATTERNS[check]
    present = [text for text in texts if text is not None] if None in texts else texts
    limit = meta.length or _TEXT_LIMITS.get(meta.data_type, 255)
    fits = not present or max(map(len, present)) <= limit  # type: ignore[arg-type]
    if fits and (pattern is None or all(map(pattern.match, present))):  # type: ignore[arg-type]
        return set()
    return {index for index, text in enumerate(texts) if text is not None and check(text, meta) is not None}


def _check_column(
    column: str, value: Any, fields: Mapping[str, FieldMeta], by_find_by: bool
) -> Problem | None:
    meta = fields.get(column.partition(".")[0])
    if meta is None:
        return Problem(column, INVALID_FIELD, f"the module has no field {column!r}")
    if is_read_only(meta):
        return Problem(column, INVALID_FIELD, f"{meta.api_name} is read-only in Zoho")
    data_type = "text" if by_find_by else data_type_of(column, fields)
    try:
        value = canonical(value, data_type)
    except CanonicalError as error:
        return Problem(column, INVALID_DATA, error.problem)
    if value is None:
        return _blank_mandatory(column, meta)
    problem = _CHECKS.get(data_type, _check_nothing)(value, meta)
    return None if problem is None else Problem(column, INVALID_DATA, problem)


def _blank_mandatory(column: str, meta: FieldMeta) -> Problem | None:
    if not meta.mandatory:
        return None
    return Problem(column, MANDATORY_NOT_FOUND, f"{meta.api_name} is mandatory and may not be empty")


def missing_mandatory(
    row: Mapping[str, Any], fields: Mapping[str, FieldMeta], *, insert: bool
) -> list[Problem]:
    """The module's mandatory fields that a new record's ``row`` lacks (none for an update)."""
    if not insert:
        return []
    given = {column.partition(".")[0] for column in row}
    return [
        Problem(meta.api_name, MANDATORY_NOT_FOUND, f"{meta.api_name} is mandatory for a new record")
        for meta in fields.values()
        if meta.mandatory and not is_read_only(meta) and meta.api_name not in given
    ]


def _check_nothing(value: Canonical, meta: FieldMeta) -> str | None:
    return None


def _check_length(value: Canonical, meta: FieldMeta) -> str | None:
    limit = meta.length or _TEXT_LIMITS.get(meta.data_type, 255)
    size = len(str(value))
    return f"{size} characters, more than the {limit} allowed" if size > limit else None


def _check_email(value: Canonical, meta: FieldMeta) -> str | None:
    if not _EMAIL.match(str(value)):
        return f"{value!r} is not an email address"
    return _check_length(value, meta)


def _check_phone(value: Canonical, meta: FieldMeta) -> str | None:
    if not _PHONE.match(str(value)):
        return f"{value!r} is not a phone number: only digits and '+' are allowed"
    return _check_length(value, meta)


def _check_url(value: Canonical, meta: FieldMeta) -> str | None:
    if not _URL.match(str(value)):
        return f"{value!r} is not a URL"
    return _check_length(value, meta)


def _check_choices(value: Canonical, meta: FieldMeta) -> str | None:
    assert isinstance(value, tuple)
    bad = [choice for choice in value if ";" in choice]
    return f"choice {bad[0]!r} contains ';', which separates choices" if bad else None


def _check_id(value: Canonical, meta: FieldMeta) -> str | None:
    return None if _RECORD_ID.match(str(value)) else f"{value!r} is not a Zoho record id"


def _check_number(value: Canonical, meta: FieldMeta) -> str | None:
    assert isinstance(value, Decimal)
    default_whole, default_fraction = _NUMBER_LIMITS[meta.data_type]
    max_whole = meta.length or default_whole
    max_fraction = default_fraction if default_fraction == 0 else (meta.decimal_places or default_fraction)
    whole, fraction = _digits(value)
    if fraction > max_fraction:
        if max_fraction == 0:
            return f"{value} is not a whole number"
        return f"{value} has {fraction} decimal places, more than the {max_fraction} allowed"
    if whole > max_whole:
        return f"{value} has {whole} digits before the decimal point, more than the {max_whole} allowed"
    return None


def _digits(number: Decimal) -> tuple[int, int]:
    """Digits before and after the decimal point of a normalised number."""
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    return max(len(digits) + exponent, 0), max(-exponent, 0)


# The checks of text-like types, with the pattern each applies before the length (if any).
_TEXT_PATTERNS: dict[Callable[[Canonical, FieldMeta], str | None], re.Pattern[str] | None] = {
    _check_length: None,
    _check_email: _EMAIL,
    _check_phone: _PHONE,
    _check_url: _URL,
}

_CHECKS: dict[str, Callable[[Canonical, FieldMeta], str | None]] = {
    "text": _check_length,
    "textarea": _check_length,
    "picklist": _check_length,
    "email": _check_email,
    "phone": _check_phone,
    "website": _check_url,
    "multiselectpicklist": _check_choices,
    "lookup": _check_id,
    "ownerlookup": _check_id,
    **dict.fromkeys(_NUMBER_LIMITS, _check_number),
}
