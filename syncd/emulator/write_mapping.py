"""Field mappings of a bulk write resource: which CSV column feeds which field, and how.

Either the job gives ``field_mappings`` (then only the mapped indexes are read) or the CSV header is
mapped by name: ``Last_Name``, ``Account_Name.id``, ``Account_Name.Account_Name``, ``Owner.email``.
Lookups resolve by ``id``, a unique field or the target module's display field; user lookups by
``id`` or ``email``. Every problem is Zoho's create-job error naming the mapping at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from syncd.emulator.records import RecordStore
from syncd.emulator.schema import FieldDef, ModuleDef
from syncd.emulator.values import ValueProblem, java_to_strptime, parse
from syncd.emulator.wire import ZohoError, invalid_data, mandatory

LAYOUT = "Layout"
MAX_COLUMNS = 200
DATE_TYPES = frozenset({"date", "datetime"})
NUMERIC_TYPES = frozenset({"integer", "bigint", "currency", "double", "percent"})
NUMBER_FORMAT = re.compile(r"^[#0]+(?:[,. '][#0]+)*$")
LOOKUP_TYPES = frozenset({"lookup", "ownerlookup"})


@dataclass(frozen=True)
class Mapping:
    api_name: str
    field: FieldDef | None  # None for Layout, which only selects a layout
    index: int | None = None
    find_by: str | None = None  # as the job gave it (echoed)
    lookup_by: str | None = None  # resolved: "id", "email" (users) or a field of the target module
    format: str | None = None
    module: str | None = None
    parent_column_index: int | None = None
    default: Any = None
    ignore_empty: bool | None = None

    def echo(self) -> dict[str, Any]:
        default = None if self.default is None else {"name": None, "module": None, "value": self.default}
        return {
            "api_name": self.api_name,
            "index": self.index,
            "format": self.format,
            "find_by": self.find_by,
            "module": self.module,
            "parent_column_index": self.parent_column_index,
            "default_value": default,
        }


def invalid_field(api_name: str, message: str) -> ZohoError:
    return ZohoError("INVALID_FIELD", message, 400, {"api_name": api_name})


def column_not_found(api_name: str, index: Any, columns: int) -> ZohoError:
    return ZohoError(
        "COLUMN_INDEX_NOT_FOUND",
        f"invalid index {index!r} for field {api_name}: the CSV has columns 0 to {columns - 1}",
        400,
        {"api_name": api_name, "index": index},
    )


def header_limit(count: int) -> ZohoError:
    return ZohoError(
        "HEADER_LIMIT_EXCEEDED",
        f"{count} fields mapped; the maximum is {MAX_COLUMNS}",
        400,
        {"limit": MAX_COLUMNS},
    )


def target_field(module: ModuleDef, api_name: str) -> FieldDef:
    f = module.field_ci(api_name)
    if f is None:
        raise invalid_field(api_name, f"invalid mapping. invalid api_name {api_name}.")
    if not f.writable and f.api_name != "id":
        raise invalid_field(api_name, f"invalid mapping. the field {f.api_name} cannot be written.")
    return f


def lookup_key(store: RecordStore, product: str, f: FieldDef, find_by: str | None) -> str | None:
    """How a lookup column's values find their record: ``id``, ``email`` or a target field."""
    if f.data_type not in LOOKUP_TYPES:
        return None
    key = (find_by or "id").strip()
    if key.lower() == "id":
        return "id"
    if f.data_type == "ownerlookup":
        if key.lower() == "email":
            return "email"
        raise invalid_field(
            f.api_name, f"invalid find_by {key} for the user field {f.api_name}: use id or email"
        )
    target = store.module(product, f.lookup or "")
    found = None if target is None else target.field_ci(key)
    if target is None or found is None or not (found.unique or found.api_name == target.display_field):
        raise invalid_field(
            f.api_name,
            f"invalid find_by {key} for the lookup field {f.api_name}: use id, a unique field or "
            f"the display field of {f.lookup}",
        )
    return found.api_name


def check_format(f: FieldDef | None, fmt: Any, api_name: str) -> str | None:
    if fmt is None:
        return None
    problem = ZohoError(
        "INVALID_FORMAT", f"invalid format {fmt!r} for field {api_name}", 400, {"api_name": api_name}
    )
    if not isinstance(fmt, str) or f is None or not fmt.strip():
        raise problem
    if f.data_type in DATE_TYPES:
        try:
            java_to_strptime(fmt)
        except ValueError:
            raise problem from None
        return fmt
    if f.data_type in NUMERIC_TYPES and NUMBER_FORMAT.match(fmt):
        return fmt
    raise problem


def _index(raw: Any, api_name: str, columns: int) -> int:
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw < columns:
        raise column_not_found(api_name, raw, columns)
    return raw


def _default(item: dict[str, Any], f: FieldDef | None, api_name: str) -> Any:
    given = item.get("default_value")
    if given is None:
        return None
    if not isinstance(given, dict) or "value" not in given:
        raise invalid_data(
            f"default_value of field {api_name} must be an object with a value", api_name=api_name
        )
    value = given["value"]
    if f is not None and f.data_type not in LOOKUP_TYPES:
        try:
            parse(f, value)
        except ValueProblem as exc:
            raise invalid_data(
                f"invalid default_value for field {api_name}: {exc}", api_name=api_name
            ) from None
    return value


def _flag(item: dict[str, Any], key: str, where: str) -> bool | None:
    value = item.get(key)
    if value is not None and not isinstance(value, bool):
        raise invalid_data(f"{key} of {where} must be true or false", api_name=key)
    return value


def explicit_mapping(item: Any, module: ModuleDef, columns: int, store: RecordStore, product: str) -> Mapping:
    if not isinstance(item, dict):
        raise invalid_data("every entry of field_mappings must be an object", api_name="field_mappings")
    api_name = item.get("api_name")
    if not isinstance(api_name, str) or not api_name.strip():
        raise mandatory("api_name", "required key api_name is not found in field_mappings.")
    f = None if api_name == LAYOUT else target_field(module, api_name)
    index = None if item.get("index") is None else _index(item["index"], api_name, columns)
    default = _default(item, f, api_name)
    if index is None and default is None:
        raise mandatory("index", f"required key index for field {api_name} is not found in request body.")
    find_by = item.get("find_by")
    pci = item.get("parent_column_index")
    if f is not None and find_by is None and pci is None and f.data_type in LOOKUP_TYPES:
        raise mandatory("find_by", f"Required key find_by is not available for the lookup field {f.api_name}")
    return Mapping(
        api_name=api_name,
        field=f,
        index=index,
        find_by=find_by if isinstance(find_by, str) else None,
        lookup_by=None
        if f is None
        else lookup_key(store, product, f, find_by if isinstance(find_by, str) else None),
        format=check_format(f, item.get("format"), api_name),
        module=item.get("module") if isinstance(item.get("module"), str) else None,
        parent_column_index=pci,
        default=default,
        ignore_empty=_flag(item, "ignore_empty", f"the mapping of {api_name}"),
    )


def header_mapping(name: str, index: int, module: ModuleDef, store: RecordStore, product: str) -> Mapping:
    field_name, _, key = name.partition(".")
    f = target_field(module, field_name)
    if key and f.data_type not in LOOKUP_TYPES:
        raise invalid_field(name, f"invalid column {name}: {f.api_name} is not a lookup field")
    return Mapping(
        api_name=f.api_name,
        field=f,
        index=index,
        find_by=key or None,
        lookup_by=lookup_key(store, product, f, key or None),
    )


def auto_mappings(
    header: tuple[str, ...], module: ModuleDef, store: RecordStore, product: str
) -> list[Mapping]:
    """Map each header column to the field of that name (Zoho's auto-mapping); blank headers are skipped."""
    if len(header) > MAX_COLUMNS:
        raise header_limit(len(header))
    return [header_mapping(name, i, module, store, product) for i, name in enumerate(header) if name]


def check_unique_targets(mappings: list[Mapping]) -> None:
    seen: set[str] = set()
    for m in mappings:
        name = m.field.api_name if m.field is not None else m.api_name
        if name in seen:
            raise invalid_data(f"field {name} is mapped more than once", api_name=name)
        seen.add(name)
