"""Field values as Zoho accepts, stores and prints them.

Input comes as CSV text (bulk write) or JSON (REST); both are checked per data type against the
limits of the Kaizen #13 table and turned into one internal form:

=====================================  =====================================
data types                             internal value
=====================================  =====================================
text, textarea, email, phone, website,  ``str``
picklist, autonumber
multiselectpicklist                    ``tuple[str, ...]``
integer, bigint                        ``int``
currency, double, percent              ``Decimal``
boolean                                ``bool``
date                                   ``datetime.date``
datetime                               ``int`` seconds since the epoch (UTC)
lookup, ownerlookup                    ``int`` id of the related record or user
=====================================  =====================================

Empty input is ``None``. A value that does not fit raises :class:`ValueProblem` with Zoho's code.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from syncd.emulator.schema import FieldDef

EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^[0-9+]+$")
WEBSITE = re.compile(r"^(https?://)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]+)?(/\S*)?$", re.IGNORECASE)
DIGIT_LIMITS = {"integer": 9, "bigint": 18, "currency": 16, "double": 16, "percent": 5}
TEXT_TYPES = frozenset({"text", "textarea", "email", "phone", "website", "picklist", "autonumber"})
NUMBER_TYPES = frozenset({"currency", "double", "percent"})

# Java-style patterns (as bulk write's ``format`` uses them) -> strptime directives, longest first.
_JAVA_TOKENS = [
    ("yyyy", "%Y"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("dd", "%d"),
    ("HH", "%H"),
    ("hh", "%I"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("a", "%p"),
    ("yy", "%y"),
    ("XXX", "%z"),
    ("Z", "%z"),
]


class ValueProblem(ValueError):
    """A value Zoho would refuse. ``code`` is Zoho's (INVALID_DATA, MANDATORY_NOT_FOUND, ...)."""

    def __init__(self, api_name: str, message: str, code: str = "INVALID_DATA", **details: Any) -> None:
        super().__init__(message)
        self.api_name = api_name
        self.code = code
        self.details = {"api_name": api_name, **details}


def java_to_strptime(pattern: str) -> str:
    """Translate a Java date pattern such as ``dd/MM/yyyy HH:mm`` into a strptime format."""
    out, i = [], 0
    while i < len(pattern):
        for token, directive in _JAVA_TOKENS:
            if pattern.startswith(token, i):
                out.append(directive)
                i += len(token)
                break
        else:
            if pattern[i].isalpha() and pattern[i] != "T":
                raise ValueError(f"unsupported letter {pattern[i]!r} in date format {pattern!r}")
            out.append("%%" if pattern[i] == "%" else pattern[i])
            i += 1
    return "".join(out)


def _problem(f: FieldDef, message: str, **details: Any) -> ValueProblem:
    return ValueProblem(f.api_name, f"invalid data for {f.api_name}: {message}", **details)


def _check_length(f: FieldDef, text: str) -> str:
    if f.length is not None and len(text) > f.length:
        raise _problem(f, f"longer than {f.length} characters", maximum_length=f.length)
    return text


def _number(f: FieldDef, text: str) -> Decimal | int:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _problem(f, f"{text!r} is not a number", expected_data_type=f.data_type) from None
    if not number.is_finite():
        raise _problem(f, f"{text!r} is not a number", expected_data_type=f.data_type)
    whole = len(str(abs(int(number)))) if abs(number) >= 1 else 0
    if whole > DIGIT_LIMITS[f.data_type]:
        raise _problem(
            f, f"more than {DIGIT_LIMITS[f.data_type]} digits", maximum_length=DIGIT_LIMITS[f.data_type]
        )
    if f.data_type in {"integer", "bigint"}:
        if number != number.to_integral_value():
            raise _problem(f, f"{text!r} is not a whole number", expected_data_type=f.data_type)
        return int(number)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > 9:
        raise _problem(f, "more than 9 decimal places")
    places = f.decimal_places if f.decimal_places is not None else 2
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?$")


def _date(f: FieldDef, text: str, fmt: str | None) -> date:
    if fmt is None and ISO_DATE.match(text):  # the common case, without strptime's cost
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise _problem(
                f, f"{text!r} is not a date in the accepted formats", expected_data_type="date"
            ) from None
    formats = [java_to_strptime(fmt)] if fmt else ["%Y-%m-%d", "%m/%d/%Y"]
    for candidate in formats:
        try:
            return datetime.strptime(text, candidate).date()
        except ValueError:
            continue
    raise _problem(f, f"{text!r} is not a date in the accepted formats", expected_data_type="date")


def _datetime(f: FieldDef, text: str, fmt: str | None, zone: tzinfo) -> int:
    if fmt is None and ISO_DATETIME.match(text):  # the common case, without strptime's cost
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise _problem(f, f"{text!r} is not a valid date-time", expected_data_type="datetime") from None
        return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).timestamp())
    if fmt:
        formats = [java_to_strptime(fmt)]
    else:
        formats = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"]
    for candidate in formats:
        try:
            parsed = datetime.strptime(text.replace("Z", "+00:00") if "%z" in candidate else text, candidate)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        return int(parsed.timestamp())
    raise _problem(f, f"{text!r} is not a date-time in the accepted formats", expected_data_type="datetime")


def _boolean(f: FieldDef, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"true", "false"}:
        return text == "true"
    raise _problem(f, f"{raw!r} is not true or false", expected_data_type="boolean")


def _record_id(f: FieldDef, raw: Any) -> int:
    if isinstance(raw, dict):
        raw = raw.get("id")
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 19:
        raise _problem(f, f"{raw!r} is not a record id", expected_data_type=f.data_type)
    return int(text)


def parse(f: FieldDef, raw: Any, *, fmt: str | None = None, zone: tzinfo = UTC) -> Any:
    """Turn CSV text or a JSON value into the internal form, or raise :class:`ValueProblem`."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    kind = f.data_type
    if kind == "multiselectpicklist":
        items = raw if isinstance(raw, list) else str(raw).split(";")
        values = tuple(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))
        _check_length(f, ";".join(values))
        return values or None
    if kind in {"lookup", "ownerlookup"}:
        return _record_id(f, raw)
    if kind == "boolean":
        return _boolean(f, raw)
    if isinstance(raw, (dict, list)):
        raise _problem(f, f"expected a single {kind} value", expected_data_type=kind)
    text = str(raw) if kind in {"text", "textarea"} else str(raw).strip()
    if kind in {"integer", "bigint", *NUMBER_TYPES}:
        return _number(f, text)
    if kind == "date":
        return _date(f, text, fmt)
    if kind == "datetime":
        return _datetime(f, text, fmt, zone)
    _check_length(f, text)
    if kind == "email" and not EMAIL.match(text):
        raise _problem(f, f"{text!r} is not an email address", expected_data_type="email")
    if kind == "phone" and not PHONE.match(text):
        raise _problem(f, f"{text!r} may hold only digits and '+'", expected_data_type="phone")
    if kind == "website" and not WEBSITE.match(text):
        raise _problem(f, f"{text!r} is not a URL", expected_data_type="website")
    return text


def format_datetime(seconds: int, zone: tzinfo = UTC) -> str:
    """ISO-8601 with offset and no fraction, as Zoho prints date-times: ``2021-07-25T02:13:17-07:00``."""
    return datetime.fromtimestamp(seconds, zone).isoformat(timespec="seconds")


def to_csv(f: FieldDef, value: Any, zone: tzinfo = UTC) -> str:
    """How a bulk-read export prints a value."""
    if value is None:
        return ""
    kind = f.data_type
    if kind == "datetime":
        return format_datetime(value, zone)
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "multiselectpicklist":
        return ";".join(value)
    if kind == "date":
        return str(value.isoformat())
    return str(value)


def to_json(f: FieldDef, value: Any, zone: tzinfo = UTC) -> Any:
    """How the REST API prints a value (lookups as ``{"id": ...}`` objects are built by the caller)."""
    if value is None:
        return None
    kind = f.data_type
    if kind == "datetime":
        return format_datetime(value, zone)
    if kind == "date":
        return value.isoformat()
    if kind == "multiselectpicklist":
        return list(value)
    if kind in NUMBER_TYPES:
        return float(value)
    if kind in {"lookup", "ownerlookup", "bigint"}:
        return str(value)
    return value
