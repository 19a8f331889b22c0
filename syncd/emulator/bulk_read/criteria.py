"""Bulk-read criteria: Zoho's filter tree, checked as Zoho checks it and compiled into a predicate.

A node is a leaf ``{"field": {"api_name": "Last_Name"}, "comparator": "equal", "value": "Boyle"}``
(or the older ``{"api_name": ..., ...}``) or a group ``{"group_operator": "and"|"or", "group": [...]}``;
groups nest. Which comparators a field allows depends on its type (the table of the create-job
page); ``${EMPTY}`` stands for an empty value.

Semantics the documentation leaves open, as the emulator implements them: text comparisons ignore
case; a multi-select picklist matches when any of its values matches; ``between`` includes both
ends; the negated comparators (``not_equal``, ``not_in``, ``not_contains``, ``not_between``) are
exactly the records the positive one does not match, empty values included.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from syncd.emulator.bulk_read.columns import PathProblem, PathResolver, Row
from syncd.emulator.schema import FieldDef
from syncd.emulator.wire import ZohoError

EMPTY = "${EMPTY}"
MAX_CRITERIA = 25
MAX_VALUES = 20
MAX_TEXT = 255

NUMBER_TYPES = frozenset({"integer", "bigint", "currency", "double", "percent"})
TEXT_TYPES = frozenset({"text", "email", "phone", "website", "picklist", "multiselectpicklist", "autonumber"})
DATE_TYPES = frozenset({"date", "datetime"})
LOOKUP_TYPES = frozenset({"lookup", "ownerlookup"})

_EQUALITY = ("equal", "not_equal", "in", "not_in")
_ORDER = ("less_than", "less_equal", "greater_than", "greater_equal")
_TEXT = ("contains", "not_contains", "starts_with", "ends_with")
_RANGE = ("between", "not_between")
COMPARATORS = (*_EQUALITY, *_ORDER, *_TEXT, *_RANGE)
NEGATIONS = {"not_equal": "equal", "not_in": "in", "not_contains": "contains", "not_between": "between"}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})")

Predicate = Callable[[Row], bool]


def comparators_for(field: FieldDef) -> tuple[str, ...]:
    """The comparators bulk read allows on a field of this type."""
    kind = field.data_type
    if kind in NUMBER_TYPES:
        return (*_EQUALITY, *_ORDER)
    if kind in TEXT_TYPES:
        return (*_EQUALITY, *_TEXT)
    if kind in DATE_TYPES:
        return (*_EQUALITY, *_RANGE, *_ORDER)
    if kind == "boolean":
        return ("equal",)
    if kind in LOOKUP_TYPES:
        return _EQUALITY
    return ()


@dataclass(frozen=True)
class Criteria:
    """A checked criteria tree: the predicate over stored rows, its echo and how many leaves it has."""

    predicate: Predicate
    echo: dict[str, Any]
    count: int

    def also(self, other: Criteria) -> Criteria:
        """Both trees must hold (a custom view's criteria AND the request's); echoes ``other``."""
        first, second = self.predicate, other.predicate
        return Criteria(lambda row: first(row) and second(row), other.echo, self.count + other.count)


def _error(code: str, message: str, where: str, **details: Any) -> ZohoError:
    return ZohoError(code, message, 400, {**details, "json_path": where})


class CriteriaCompiler:
    """Checks criteria of one module and compiles them. ``legacy`` echoes leaves in the v2 form."""

    def __init__(self, resolver: PathResolver, *, legacy: bool = False) -> None:
        self.resolver = resolver
        self.legacy = legacy

    def compile(self, node: Any, where: str = "$.query.criteria") -> Criteria:
        if not isinstance(node, dict) or not node:
            raise _error("INVALID_CRITERIA", f"{where} must be a criteria object", where)
        grouped = "group" in node or "group_operator" in node
        leafy = any(key in node for key in ("field", "api_name", "comparator", "value"))
        if grouped and leafy:
            raise _error(
                "AMBIGUOUS_CRITERIA", f"{where} mixes a group with a field comparison; split them", where
            )
        return self._group(node, where) if grouped else self._leaf(node, where)

    def _group(self, node: dict[str, Any], where: str) -> Criteria:
        members = node.get("group")
        if not isinstance(members, list) or not members:
            raise _error("INVALID_CRITERIA", f"{where}.group must be a non-empty array of criteria", where)
        operator = node.get("group_operator")
        if operator is None:
            raise _error(
                "AMBIGUOUS_GROUP_IN_CRITERIA", f"{where} has a group but no group_operator (and/or)", where
            )
        if not isinstance(operator, str) or operator.lower() not in {"and", "or"}:
            raise _error(
                "GROUP_OPERATOR_NOT_SUPPORTED",
                f"{where}.group_operator {operator!r} is not supported; use and or or",
                where,
                supported=["and", "or"],
            )
        parts = [self.compile(member, f"{where}.group[{i}]") for i, member in enumerate(members)]
        predicates = [part.predicate for part in parts]
        combine = all if operator.lower() == "and" else any
        echo = {"group_operator": operator.lower(), "group": [part.echo for part in parts]}
        return Criteria(
            lambda row: combine(p(row) for p in predicates), echo, sum(part.count for part in parts)
        )

    def _path(self, node: dict[str, Any], where: str) -> str:
        named = node.get("field")
        from_field = named.get("api_name") if isinstance(named, dict) else None
        plain = node.get("api_name")
        if from_field is not None and plain is not None and from_field != plain:
            raise _error("AMBIGUOUS_CRITERIA", f"{where} names two fields ({from_field} and {plain})", where)
        path = from_field if from_field is not None else plain
        if not isinstance(path, str) or not path:
            raise _error(
                "INVALID_CRITERIA", f"{where} needs field.api_name naming the field to compare", where
            )
        return path

    def _leaf(self, node: dict[str, Any], where: str) -> Criteria:
        path = self._path(node, where)
        try:
            column = self.resolver.resolve(path)
        except PathProblem as problem:
            code = (
                "FIELD_IN_CRITERIA_NOT_SUPPORTED" if problem.available else "FIELD_IN_CRITERIA_NOT_AVAILABLE"
            )
            raise _error(code, f"{where}: {problem.message}", where, api_name=path) from None
        comparator = self._comparator(node, column.field, path, where)
        if "value" not in node:
            raise _error("INVALID_CRITERIA", f"{where} needs a value to compare {path} with", where)
        operand = Operand(column.field, path, comparator, where).parse(node["value"])
        predicate = _leaf_predicate(column.get, column.field, comparator, operand)
        return Criteria(predicate, self._echo(path, comparator, node["value"]), 1)

    def _comparator(self, node: dict[str, Any], field: FieldDef, path: str, where: str) -> str:
        comparator = node.get("comparator")
        if comparator is None:
            raise _error("INVALID_CRITERIA", f"{where} needs a comparator", where, api_name=path)
        if comparator not in COMPARATORS:
            raise _error(
                "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED",
                f"{where}: unknown comparator {comparator!r}",
                where,
                api_name=path,
                supported=list(COMPARATORS),
            )
        allowed = comparators_for(field)
        if comparator not in allowed:
            raise _error(
                "FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE",
                f"{where}: {path} ({field.data_type}) cannot be compared with {comparator}",
                where,
                api_name=path,
                comparator=comparator,
                supported=list(allowed),
            )
        return str(comparator)

    def _echo(self, path: str, comparator: str, value: Any) -> dict[str, Any]:
        if self.legacy:
            return {"api_name": path, "comparator": comparator, "value": value}
        return {"field": {"id": None, "api_name": path}, "comparator": comparator, "value": value}


@dataclass(frozen=True)
class Operand:
    """Parses the ``value`` of one leaf for its field and comparator."""

    field: FieldDef
    path: str
    comparator: str
    where: str

    def _fail(self, code: str, message: str, **details: Any) -> ZohoError:
        return _error(
            code,
            f"{self.where}: {message}",
            self.where,
            api_name=self.path,
            comparator=self.comparator,
            **details,
        )

    def parse(self, raw: Any) -> Any:
        base = NEGATIONS.get(self.comparator, self.comparator)
        if base == "in":
            return self._many(raw)
        if base == "between":
            return self._pair(raw)
        if isinstance(raw, (list, dict)):
            raise self._fail(
                "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", f"{self.comparator} takes a single value"
            )
        if raw == EMPTY and base != "equal":
            raise self._fail(
                "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE",
                f"{EMPTY} works only with equal, not_equal, in and not_in",
            )
        return self._scalar(raw)

    def _many(self, raw: Any) -> list[Any]:
        if not isinstance(raw, list) or not raw:
            raise self._fail(
                "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE",
                f"{self.comparator} takes an array of values",
            )
        if len(raw) > MAX_VALUES:
            raise self._fail(
                "VALUE_LIMIT_EXCEEDED_IN_CRITERIA",
                f"{self.comparator} takes at most {MAX_VALUES} values, got {len(raw)}",
                max_limit=MAX_VALUES,
            )
        return [self._scalar(item) for item in raw]

    def _pair(self, raw: Any) -> tuple[Any, Any]:
        if not isinstance(raw, list) or len(raw) != 2 or EMPTY in raw:
            raise self._fail(
                "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE",
                f"{self.comparator} takes two values [from, to]",
            )
        return self._scalar(raw[0]), self._scalar(raw[1])

    def _scalar(self, raw: Any) -> Any:
        if isinstance(raw, (list, dict)) or raw is None:
            raise self._fail(
                "VALUE_TYPE_NOT_SUPPORTED", f"{raw!r} is not a value {self.path} can be compared with"
            )
        kind = self.field.data_type
        if raw == EMPTY:
            if kind == "boolean":
                raise self._fail("FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", "a checkbox is never empty")
            return None
        try:
            return _parse_scalar(kind, raw)
        except (ValueError, InvalidOperation) as exc:
            raise self._fail("FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", f"{raw!r}: {exc}") from None


def _parse_scalar(kind: str, raw: Any) -> Any:
    if kind == "boolean":
        if isinstance(raw, bool) or raw in {"true", "false"}:
            return raw is True or raw == "true"
        raise ValueError("expected true or false")
    if isinstance(raw, bool):
        raise ValueError(f"true/false cannot be compared with a {kind} field")
    if kind in NUMBER_TYPES:
        return _number(kind, raw)
    if kind in LOOKUP_TYPES:
        text = str(raw)
        if not text.isdigit() or len(text) > 19:
            raise ValueError("expected a record id of up to 19 digits")
        return int(text)
    if kind in DATE_TYPES:
        return _moment(kind, raw)
    text = str(raw)
    if len(text) > MAX_TEXT:
        raise ValueError(f"text values are limited to {MAX_TEXT} characters")
    return text.lower()


def _number(kind: str, raw: Any) -> Decimal:
    if not isinstance(raw, (int, float, str)):
        raise ValueError("expected a number")
    number = Decimal(str(raw))
    if not number.is_finite():
        raise ValueError("expected a finite number")
    if kind in {"integer", "bigint"} and number != number.to_integral_value():
        raise ValueError("expected a whole number")
    if len(str(abs(int(number)))) > 19:
        raise ValueError("numbers are limited to 19 digits")
    return number


def _moment(kind: str, raw: Any) -> date | int:
    text = str(raw)
    if kind == "date":
        if not _DATE.fullmatch(text):
            raise ValueError("expected an ISO-8601 date such as 2019-04-01")
        return date.fromisoformat(text)
    if not _DATETIME.fullmatch(text):
        raise ValueError(
            "expected an ISO-8601 date-time with offset, without milliseconds (2019-04-01T14:24:04+05:30)"
        )
    return int(datetime.fromisoformat(text).timestamp())


def _test(base: str, operand: Any) -> Callable[[Any], bool]:
    """How one non-empty stored value (lower-cased text) is checked against the operand."""
    if base == "equal":
        return lambda v: bool(v == operand)
    if base == "in":
        wanted = {item for item in operand if item is not None}
        return lambda v: v in wanted
    if base == "between":
        low, high = operand
        return lambda v: bool(low <= v <= high)
    tests: dict[str, Callable[[Any], bool]] = {
        "less_than": lambda v: bool(v < operand),
        "less_equal": lambda v: bool(v <= operand),
        "greater_than": lambda v: bool(v > operand),
        "greater_equal": lambda v: bool(v >= operand),
        "contains": lambda v: operand in v,
        "starts_with": lambda v: bool(v.startswith(operand)),
        "ends_with": lambda v: bool(v.endswith(operand)),
    }
    return tests[base]


def _leaf_predicate(get: Callable[[Row], Any], field: FieldDef, comparator: str, operand: Any) -> Predicate:
    base = NEGATIONS.get(comparator, comparator)
    test = _test(base, operand)
    empty_matches = operand is None if base == "equal" else base == "in" and None in operand
    multi = field.data_type == "multiselectpicklist"
    text = field.data_type in TEXT_TYPES

    def positive(row: Row) -> bool:
        value = get(row)
        if value is None or value == "" or value == ():
            return bool(empty_matches)
        if multi:
            return any(test(item.lower()) for item in value)
        return test(value.lower() if text else value)

    if base == comparator:
        return positive
    return lambda row: not positive(row)
