"""A pipeline's field mapping, both ways: source records into CRM fields and CRM values back.

The engine compares both sides in one vocabulary, the CRM's field names with canonical values
(:mod:`syncd.engine.canonical`). ``[pipelines.X.fields]`` says how each CRM field is filled:

* ``Last_Name = "surname"`` (:class:`~syncd.config.model.SourceField`) travels both ways; an empty
  source value becomes the ``default`` on the way in.
* ``Lead_Source = { constant = "Web Shop" }`` is written to the CRM only; the source never holds it.
* ``Account_Name.id = { pipeline = "accounts", key = "company_id" }`` travels both ways through the
  other pipeline's ID map (source key <-> CRM id).
* ``Vendor_Name = { find_by = ..., source = ... }`` is resolved by Zoho: written, never compared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from syncd.config.model import Constant, FindByLookup, PipelineConfig, PipelineLookup, SourceField
from syncd.connector import FieldType, StreamSpec
from syncd.engine.canonical import Canonical, canonical, data_type_of
from syncd.zoho.fields import FieldMeta

KEY_SEPARATOR = "|"
# other pipeline, source keys -> CRM ids (or CRM ids -> source keys)
Resolver = Callable[[str, list[str]], Mapping[str, str]]


def source_key(spec: StreamSpec, values: Mapping[str, Any]) -> str:
    """The one string a record is known by in the state store: its key fields' values joined."""
    return KEY_SEPARATOR.join("" if values.get(name) is None else str(values[name]) for name in spec.key)


def key_function(spec: StreamSpec) -> Callable[[Mapping[str, Any]], str]:
    """:func:`source_key` for one stream, without its per-record loop when the key is one field."""
    if len(spec.key) != 1:
        return lambda values: source_key(spec, values)
    (name,) = spec.key

    def single(values: Mapping[str, Any]) -> str:
        value = values.get(name)
        return value if type(value) is str else "" if value is None else str(value)

    return single


@dataclass(frozen=True)
class FieldMapping:
    name: str
    pipeline: PipelineConfig
    stream: StreamSpec
    metas: Mapping[str, FieldMeta]

    @property
    def compared(self) -> tuple[str, ...]:
        """The CRM fields both sides are compared on (everything but Zoho-resolved lookups)."""
        return tuple(
            name for name, spec in self.pipeline.fields.items() if not isinstance(spec, FindByLookup)
        )

    @property
    def find_by_columns(self) -> frozenset[str]:
        """The lookup fields Zoho resolves by a field of the looked-up record: their values are text."""
        return frozenset(n for n, spec in self.pipeline.fields.items() if isinstance(spec, FindByLookup))

    @property
    def read_columns(self) -> tuple[str, ...]:
        """The columns a bulk read asks for: the compared fields (a lookup by its id column)."""
        return tuple(dict.fromkeys(_column_of(name) for name in self.compared))

    def crm_values(self, row: Mapping[str, Any]) -> dict[str, Canonical]:
        """A bulk read row's compared fields, canonical."""
        return {
            name: canonical(row.get(_column_of(name)), self.canonical_type(name)) for name in self.compared
        }

    def to_crm(self, values: Mapping[str, Any], lookups: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
        """A source record as CRM field -> raw value (``lookups``: pipeline -> source key -> CRM id)."""
        row: dict[str, Any] = {}
        for name, spec in self.pipeline.fields.items():
            row[name] = self._fill(spec, values, lookups)
        return row

    def canonical(self, row: Mapping[str, Any]) -> dict[str, Canonical]:
        return {
            name: canonical(row.get(name), self.canonical_type(name)) for name in self.compared if name in row
        }

    @property
    def has_lookups(self) -> bool:
        """Whether any field is filled through another pipeline's ID map."""
        return any(isinstance(spec, PipelineLookup) for spec in self.pipeline.fields.values())

    def lookup_keys(self, values: Mapping[str, Any]) -> dict[str, str]:
        """Other pipeline -> the source key this record refers to there."""
        return {
            spec.pipeline: str(values[spec.key])
            for spec in self.pipeline.fields.values()
            if isinstance(spec, PipelineLookup) and values.get(spec.key) is not None
        }

    def to_source(
        self, values: Mapping[str, Canonical], reverse: Mapping[str, Mapping[str, str]]
    ) -> dict[str, Any]:
        """CRM values as source field -> typed value (``reverse``: pipeline -> CRM id -> key)."""
        out: dict[str, Any] = {}
        for name, value in values.items():
            spec = self.pipeline.fields.get(name)
            if isinstance(spec, SourceField):
                out[spec.source] = self._typed(spec.source, value)
            elif isinstance(spec, PipelineLookup):
                key = reverse.get(spec.pipeline, {}).get(str(value)) if value is not None else None
                out[spec.key] = self._typed(spec.key, key)
        return out

    def derive_key(self, values: Mapping[str, Canonical]) -> str | None:
        """The source key of a record only the CRM holds, when the key fields are all mapped."""
        parts: list[str] = []
        for field_name in self.stream.key:
            crm = self._crm_field_for(field_name)
            value = values.get(crm) if crm else None
            if value is None:
                return None
            parts.append(str(self._typed(field_name, value)))
        return KEY_SEPARATOR.join(parts)

    def why_not_creatable(self) -> str:
        unmapped = [name for name in self.stream.key if self._crm_field_for(name) is None]
        return (
            f"the source key field(s) {', '.join(unmapped)} are not mapped from a CRM field, so a "
            "record only the CRM holds cannot be created in the source; map them or create it there"
        )

    def _crm_field_for(self, source_field: str) -> str | None:
        for name, spec in self.pipeline.fields.items():
            if isinstance(spec, SourceField) and spec.source == source_field:
                return name
        return None

    def _fill(self, spec: Any, values: Mapping[str, Any], lookups: Mapping[str, Mapping[str, str]]) -> Any:
        if isinstance(spec, Constant):
            return spec.constant
        if isinstance(spec, PipelineLookup):
            key = values.get(spec.key)
            return None if key is None else lookups.get(spec.pipeline, {}).get(str(key))
        value = values.get(spec.source)
        if isinstance(spec, SourceField) and (value is None or value == ""):
            return spec.default
        return value

    def type_of(self, column: str) -> str:
        """The Zoho data type a read column's cells are canonicalised as."""
        return self.canonical_type(next((n for n in self.compared if _column_of(n) == column), column))

    def canonical_type(self, name: str) -> str:
        """The data type a mapped CRM field's values are canonicalised as."""
        if name.lower().endswith(".id"):
            return "lookup"
        return data_type_of(name, self.metas)

    def _typed(self, source_field: str, value: Canonical) -> Any:
        kind = next((f.type for f in self.stream.fields if f.name == source_field), FieldType.STRING)
        return source_value(value, kind)


def _column_of(name: str) -> str:
    return name[: -len(".id")] if name.lower().endswith(".id") else name


def source_value(value: Canonical, kind: FieldType) -> Any:
    """A canonical value as the connector's field type holds it."""
    if value is None:
        return None
    converters: dict[FieldType, Callable[[Any], Any]] = {
        FieldType.INTEGER: lambda v: int(Decimal(str(v))),
        FieldType.DECIMAL: lambda v: Decimal(str(v)),
        FieldType.FLOAT: lambda v: float(str(v)),
        FieldType.BOOLEAN: bool,
        FieldType.DATE: lambda v: v.date() if isinstance(v, dt.datetime) else v,
        FieldType.DATETIME: lambda v: v,
    }
    if kind in converters:
        return converters[kind](value)
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)
