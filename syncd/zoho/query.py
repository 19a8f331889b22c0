"""Bulk read queries: fields, a criteria tree and a custom view, checked before they cost credits.

>>> q = BulkQuery("Contacts", fields=("Last_Name", "Email"),
...               criteria=all_of(where("Modified_Time", "greater_equal", "2025-01-01T00:00:00+00:00")))

:meth:`BulkQuery.validate` applies Zoho's documented limits (200 fields, 25 criteria, 20 values for
``in``, comparators per field type, ICS only for Events without fields) and, given the module's field
metadata, checks that every field exists and takes the comparator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from syncd.errors import ConfigError
from syncd.zoho import limits
from syncd.zoho.fields import FieldMeta

EMPTY = "${EMPTY}"
_NUMERIC = frozenset(
    {"equal", "not_equal", "in", "not_in", "less_than", "less_equal", "greater_than", "greater_equal"}
)
_TEXT = frozenset(
    {"equal", "not_equal", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with"}
)
_DATE = _NUMERIC | {"between", "not_between"}
COMPARATORS_BY_TYPE: dict[str, frozenset[str]] = {
    **dict.fromkeys(("integer", "double", "bigint", "currency", "percent"), _NUMERIC),
    **dict.fromkeys(
        ("text", "email", "phone", "website", "picklist", "multiselectpicklist", "autonumber"), _TEXT
    ),
    **dict.fromkeys(("date", "datetime"), _DATE),
    "boolean": frozenset({"equal"}),
    **dict.fromkeys(("lookup", "ownerlookup"), frozenset({"equal", "not_equal", "in", "not_in"})),
    "textarea": frozenset(),
}
ALL_COMPARATORS = _DATE | _TEXT


@dataclass(frozen=True)
class Criterion:
    field: str
    comparator: str
    value: Any


@dataclass(frozen=True)
class Group:
    operator: Literal["and", "or"]
    children: tuple[Criterion | Group, ...]


Node = Criterion | Group


def where(field: str, comparator: str, value: Any) -> Criterion:
    return Criterion(field, comparator, value)


def all_of(*nodes: Node) -> Node:
    return nodes[0] if len(nodes) == 1 else Group("and", nodes)


def any_of(*nodes: Node) -> Node:
    return nodes[0] if len(nodes) == 1 else Group("or", nodes)


def leaves(node: Node | None) -> list[Criterion]:
    if node is None:
        return []
    if isinstance(node, Criterion):
        return [node]
    return [leaf for child in node.children for leaf in leaves(child)]


@dataclass(frozen=True)
class BulkQuery:
    module: str
    fields: tuple[str, ...] = ()
    criteria: Node | None = None
    cvid: str | None = None
    file_type: Literal["csv", "ics"] = "csv"
    page: int | None = None
    page_token: str | None = None

    def at_page(self, page: int, token: str | None) -> BulkQuery:
        return replace(self, page=page, page_token=token)

    def validate(self, metadata: Mapping[str, FieldMeta] | None = None) -> None:
        """Raise :class:`~syncd.errors.ConfigError` naming the first thing Zoho would refuse."""
        _check_shape(self)
        for leaf in leaves(self.criteria):
            _check_leaf(self.module, leaf, metadata)
        if metadata is not None:
            for name in self.fields:
                _check_field_known(self.module, name, metadata, "fields")

    def to_request(self, *, version: float, callback_url: str | None = None) -> dict[str, Any]:
        query: dict[str, Any] = {"module": self.module if version < 2.1 else {"api_name": self.module}}
        if self.fields:
            query["fields"] = list(self.fields)
        if self.criteria is not None:
            query["criteria"] = _node_json(self.criteria, legacy=version < 3)
        if self.cvid is not None:
            query["cvid"] = str(self.cvid)
        if self.page_token and version >= 7:
            query["page_token"] = self.page_token
        elif self.page is not None:
            query["page"] = self.page
        body: dict[str, Any] = {"query": query}
        if self.file_type == "ics":
            body["file_type"] = "ics"
        if callback_url:
            body["callback"] = {"url": callback_url, "method": "post"}
        return body


def _check_shape(query: BulkQuery) -> None:
    where_ = f"bulk read query on {query.module}"
    if len(query.fields) > limits.READ_MAX_FIELDS:
        raise ConfigError(f"{where_}: {len(query.fields)} fields, Zoho allows {limits.READ_MAX_FIELDS}")
    count = len(leaves(query.criteria))
    if count > limits.READ_MAX_CRITERIA:
        raise ConfigError(f"{where_}: {count} criteria, Zoho allows {limits.READ_MAX_CRITERIA}")
    if query.page is not None and not 1 <= query.page <= limits.READ_MAX_PAGE:
        raise ConfigError(f"{where_}: page {query.page} is outside 1..{limits.READ_MAX_PAGE}")
    if query.file_type == "ics":
        if query.module not in limits.ICS_MODULES:
            raise ConfigError(f"{where_}: ICS export is only for Events, not {query.module}")
        if query.fields:
            raise ConfigError(f"{where_}: ICS export takes no field list")


def _check_leaf(module: str, leaf: Criterion, metadata: Mapping[str, FieldMeta] | None) -> None:
    where_ = f"criterion on {module}.{leaf.field}"
    if leaf.comparator not in ALL_COMPARATORS:
        raise ConfigError(f"{where_}: unknown comparator {leaf.comparator!r}")
    _check_value(where_, leaf)
    if metadata is None or leaf.field.startswith("$") or "." in leaf.field:
        return
    meta = _check_field_known(module, leaf.field, metadata, "criteria")
    allowed = COMPARATORS_BY_TYPE.get(meta.data_type, ALL_COMPARATORS)
    if leaf.comparator not in allowed:
        names = ", ".join(sorted(allowed)) or "none (this field type cannot be filtered)"
        raise ConfigError(
            f"{where_}: a {meta.data_type} field does not take {leaf.comparator!r}; allowed: {names}"
        )


def _check_value(where_: str, leaf: Criterion) -> None:
    if leaf.comparator in {"in", "not_in"}:
        if not isinstance(leaf.value, Sequence) or isinstance(leaf.value, str):
            raise ConfigError(f"{where_}: {leaf.comparator!r} takes a list of values")
        if len(leaf.value) > limits.READ_MAX_IN_VALUES:
            raise ConfigError(f"{where_}: {len(leaf.value)} values, Zoho allows {limits.READ_MAX_IN_VALUES}")
    if leaf.comparator in {"between", "not_between"} and (
        not isinstance(leaf.value, Sequence) or isinstance(leaf.value, str) or len(leaf.value) != 2
    ):
        raise ConfigError(f"{where_}: {leaf.comparator!r} takes a [from, to] pair")
    values = leaf.value if isinstance(leaf.value, list | tuple) else [leaf.value]
    for value in values:
        if isinstance(value, str) and len(value) > limits.READ_MAX_TEXT_VALUE:
            raise ConfigError(
                f"{where_}: a value of {len(value)} characters exceeds {limits.READ_MAX_TEXT_VALUE}"
            )


def _check_field_known(module: str, name: str, metadata: Mapping[str, FieldMeta], part: str) -> FieldMeta:
    base = name.split(".", 1)[0]
    meta = metadata.get(base)
    if meta is None and base.lower() == "id":
        return FieldMeta(api_name=base, data_type="bigint")
    if meta is None:
        raise ConfigError(f"bulk read query on {module}: {part} names unknown field {name!r}")
    if "." in name and not meta.is_lookup:
        raise ConfigError(f"bulk read query on {module}: {name!r} uses dot notation on a non-lookup field")
    return meta


def _node_json(node: Node, *, legacy: bool) -> dict[str, Any]:
    if isinstance(node, Group):
        return {
            "group_operator": node.operator,
            "group": [_node_json(child, legacy=legacy) for child in node.children],
        }
    value = list(node.value) if isinstance(node.value, tuple) else node.value
    if legacy:
        return {"api_name": node.field, "comparator": node.comparator, "value": value}
    return {"field": {"api_name": node.field}, "comparator": node.comparator, "value": value}
