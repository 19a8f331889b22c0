"""Row by row, what a bulk write job does to the org's records.

Each row is read through its resource's mappings and checked by type (through :mod:`values`, with
the mapping's ``format``), lookups are resolved to records that existed before the job (never to
rows of the same job), mandatory and unique fields are checked, and the row is added, updated or
skipped with Zoho's error codes. Children of a parent-child job are tied to the parent row whose
``parent_column_index`` column holds the same value; children of a skipped parent stay UNPROCESSED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from syncd.emulator.records import DuplicateValue, RecordStore, unique_key
from syncd.emulator.schema import FieldDef, ModuleDef
from syncd.emulator.values import ValueProblem, parse
from syncd.emulator.write_files import ResultRow
from syncd.emulator.write_mapping import DATE_TYPES, NUMERIC_TYPES, Mapping
from syncd.emulator.write_spec import Resource

SEPARATORS = ",. '"
DONE = frozenset({"ADDED", "UPDATED"})


def number_separators(fmt: str) -> tuple[str | None, str]:
    """The decimal separator and the grouping characters of a number format such as ``#,##0.00``."""
    kinds = [c for c in dict.fromkeys(fmt) if c in SEPARATORS]
    if not kinds:
        return None, ""
    last = max(kinds, key=fmt.rindex)
    digits_after = len(fmt) - fmt.rindex(last) - 1
    if len(kinds) == 1 and (fmt.count(last) > 1 or (last in ", '" and digits_after == 3)):
        return None, last
    return last, "".join(k for k in kinds if k != last)


def apply_number_format(text: str, fmt: str) -> str:
    decimal, grouping = number_separators(fmt)
    for char in grouping:
        text = text.replace(char, "")
    return text.replace(decimal, ".") if decimal else text


@dataclass
class RowErrors:
    by_code: dict[str, list[str]] = field(default_factory=dict)

    def add(self, code: str, column: str) -> None:
        columns = self.by_code.setdefault(code, [])
        if column not in columns:
            columns.append(column)

    def has(self, column: str) -> bool:
        return any(column in columns for columns in self.by_code.values())

    def __bool__(self) -> bool:
        return bool(self.by_code)

    def render(self) -> str:
        """Zoho's ``CODE-col1,col2:CODE2-col3``."""
        return ":".join(f"{code}-{','.join(columns)}" for code, columns in self.by_code.items())


@dataclass
class ParsedRow:
    values: dict[str, Any]
    errors: RowErrors
    columns: dict[str, str]  # field api name -> the column it came from, as ERRORS names it
    unprocessed: bool = False


class RowWriter:
    """Applies the rows of one job; ``created`` holds the ids it inserted (never lookup targets)."""

    def __init__(self, store: RecordStore, product: str, user_id: int, zone: tzinfo) -> None:
        self.store = store
        self.product = product
        self.user_id = user_id
        self.zone = zone
        self.created: set[int] = set()
        self._display: dict[tuple[str, str], dict[Any, int]] = {}

    # -- reading a row --------------------------------------------------------------------------
    def _lookup(self, m: Mapping, raw: Any) -> int:
        f = m.field
        assert f is not None
        if f.data_type == "ownerlookup":
            return self._user(f, raw, m.lookup_by or "id")
        target = self.store.module(self.product, f.lookup or "")
        assert target is not None
        if (m.lookup_by or "id") == "id":
            record_id: int = parse(f, raw)
            found: int | None = (
                record_id if self.store.exists(self.product, target.api_name, record_id) else None
            )
        else:
            key_field = target.field(m.lookup_by or "")
            assert key_field is not None
            found = self._find(target, key_field, parse(key_field, raw, zone=self.zone))
        if found is None or found in self.created:
            raise ValueProblem(f.api_name, f"no {target.api_name} record matches {raw!r}")
        return found

    def _user(self, f: FieldDef, raw: Any, by: str) -> int:
        text = str(raw).strip()
        if by == "email":
            user = next((u for u in self.store.users if u.email.lower() == text.lower()), None)
        else:
            user = self.store.user(parse(f, text))
        if user is None:
            raise ValueProblem(f.api_name, f"no user matches {text!r}")
        return user.id

    def _find(self, target: ModuleDef, key_field: FieldDef, value: Any) -> int | None:
        if key_field.unique:
            return self.store.find(self.product, target.api_name, key_field.api_name, value)
        index = self._display.get((target.api_name, key_field.api_name))
        if index is None:
            position = target.index[key_field.api_name]
            index = {}
            for record_id, row in self.store.iter_rows(self.product, target.api_name):
                index.setdefault(unique_key(row[position]), record_id)
            self._display[(target.api_name, key_field.api_name)] = index
        return index.get(unique_key(value))

    def _value(self, m: Mapping, raw: Any) -> Any:
        f = m.field
        assert f is not None
        if f.data_type in {"lookup", "ownerlookup"}:
            return self._lookup(m, raw)
        if f.api_name == "id":
            return _record_id(f, raw)
        if m.format and f.data_type in NUMERIC_TYPES:
            return parse(f, apply_number_format(str(raw).strip(), m.format))
        fmt = m.format if f.data_type in DATE_TYPES else None
        return parse(f, raw, fmt=fmt, zone=self.zone)

    def read(self, resource: Resource, row: list[str], parents: dict[str, int | None] | None) -> ParsedRow:
        parsed = ParsedRow({}, RowErrors(), {})
        header = resource.source.header
        for m in resource.mappings:
            if m.field is None:  # Layout only picks a layout; layouts are not modelled
                continue
            column = header[m.index] if m.index is not None else m.api_name
            parsed.columns[m.field.api_name] = column
            raw: Any = row[m.index] if m.index is not None and m.index < len(row) else ""
            if m is resource.parent_link and parents is not None:
                self._link_parent(parsed, m.field, column, raw.strip(), parents)
                continue
            if _blank(raw) and m.default is not None:
                raw = m.default
            if _blank(raw):
                if not (m.ignore_empty if m.ignore_empty is not None else resource.ignore_empty):
                    parsed.values[m.field.api_name] = None
                continue
            try:
                parsed.values[m.field.api_name] = self._value(m, raw)
            except ValueProblem as problem:
                parsed.errors.add(problem.code, column)
        return parsed

    @staticmethod
    def _link_parent(
        parsed: ParsedRow, f: FieldDef, column: str, key: str, parents: dict[str, int | None]
    ) -> None:
        if key not in parents:
            parsed.errors.add("RESOURCE_NOT_FOUND", column)
        elif parents[key] is None:
            parsed.unprocessed = True
        else:
            parsed.values[f.api_name] = parents[key]

    # -- writing it -----------------------------------------------------------------------------
    def _existing(self, resource: Resource, parsed: ParsedRow) -> int | None:
        key_field = resource.find_by
        if key_field is None:
            return None
        key = parsed.values.get(key_field.api_name)
        if key is None:
            return None
        return self.store.find(self.product, resource.module.api_name, key_field.api_name, key)

    def _check_mandatory(self, module: ModuleDef, parsed: ParsedRow, inserting: bool) -> None:
        for f in module.fields:
            if not f.mandatory or parsed.errors.has(parsed.columns.get(f.api_name, f.api_name)):
                continue
            if (inserting or f.api_name in parsed.values) and parsed.values.get(f.api_name) is None:
                parsed.errors.add("MANDATORY_NOT_FOUND", parsed.columns.get(f.api_name, f.api_name))

    def _check_unique(self, module: ModuleDef, parsed: ParsedRow, own_id: int | None) -> None:
        for f in module.unique_fields:
            value = parsed.values.get(f.api_name)
            if f.api_name == "id" or value is None:
                continue
            holder = self.store.find(self.product, module.api_name, f.api_name, value)
            if holder is not None and holder != own_id:
                parsed.errors.add("DUPLICATE_DATA", parsed.columns.get(f.api_name, f.api_name))

    def _target(self, resource: Resource, operation: str, parsed: ParsedRow) -> tuple[str, int | None]:
        """``("insert", None)`` or ``("update", id)``; problems finding the record go to the errors."""
        existing = self._existing(resource, parsed)
        key_field = resource.find_by
        column = parsed.columns.get(key_field.api_name, "") if key_field is not None else ""
        if operation == "insert":
            if existing is not None:
                parsed.errors.add("DUPLICATE_DATA", column)
            return "insert", None
        if operation == "upsert":
            return ("update", existing) if existing is not None else ("insert", None)
        if existing is None and not parsed.errors.has(column):
            missing = key_field is not None and parsed.values.get(key_field.api_name) is None
            parsed.errors.add("MANDATORY_NOT_FOUND" if missing else "RESOURCE_NOT_FOUND", column)
        return "update", existing

    def write(self, resource: Resource, operation: str, parsed: ParsedRow) -> ResultRow:
        if parsed.unprocessed:
            return ResultRow("UNPROCESSED", None, "")
        action, record_id = self._target(resource, operation, parsed)
        module = resource.module
        self._check_mandatory(module, parsed, action == "insert")
        self._check_unique(module, parsed, record_id)
        if parsed.errors:
            return ResultRow("SKIPPED", None, parsed.errors.render())
        values = {k: v for k, v in parsed.values.items() if k != "id"}
        try:
            if action == "insert":
                record_id = self.store.insert(
                    self.product,
                    module.api_name,
                    {k: v for k, v in values.items() if v is not None},
                    self.user_id,
                )
                self.created.add(record_id)
                return ResultRow("ADDED", record_id, "")
            assert record_id is not None
            self.store.update(self.product, module.api_name, record_id, values, self.user_id)
            return ResultRow("UPDATED", record_id, "")
        except DuplicateValue as dup:
            parsed.errors.add("DUPLICATE_DATA", parsed.columns.get(dup.api_name, dup.api_name))
            return ResultRow("SKIPPED", None, parsed.errors.render())

    def process(
        self, resource: Resource, operation: str, parents: dict[str, int | None] | None = None
    ) -> list[ResultRow]:
        return [
            self.write(resource, operation, self.read(resource, row, parents)) for row in resource.source.rows
        ]


def parent_keys(parent: Resource, results: list[ResultRow], column: int) -> dict[str, int | None]:
    """Parent rows by the value in ``column``: the record id, or None when the row was skipped."""
    keys: dict[str, int | None] = {}
    for row, result in zip(parent.source.rows, results, strict=True):
        key = row[column].strip() if column < len(row) else ""
        if key:
            keys.setdefault(key, result.record_id if result.status in DONE else None)
    return keys


def _record_id(f: FieldDef, raw: Any) -> int:
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 19:
        raise ValueProblem(f.api_name, f"{text!r} is not a record id")
    return int(text)


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")
