"""The org's data: records per product and module, unique indexes, users and the deleted log.

Records are stored compactly (a list of internal values per record, in the module's field order)
so that a million seeded records fit comfortably in memory. All mutations go through one lock;
callers get copies, never the stored lists.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from syncd.emulator.schema import ModuleDef
from syncd.emulator.values import ValueProblem

SYSTEM_NAMES = frozenset({"id", "Created_By", "Modified_By", "Created_Time", "Modified_Time"})


class IdGenerator:
    """Zoho-like 19-digit ids: a 7-digit org prefix, then a counter."""

    def __init__(self, prefix: int = 4876876, start: int = 1_000_001) -> None:
        self._prefix = prefix * 10**12
        self._counter = itertools.count(start)
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            return self._prefix + next(self._counter)

    def state(self) -> int:
        with self._lock:
            value = next(self._counter)
            self._counter = itertools.count(value)
            return value

    def restore(self, value: int) -> None:
        with self._lock:
            self._counter = itertools.count(value)


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    last_name: str
    email: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def ref(self) -> dict[str, str]:
        return {"id": str(self.id), "name": self.full_name}


@dataclass(frozen=True)
class Deletion:
    id: int
    display_name: str | None
    deleted_by: int | None
    created_by: int | None
    deleted_time: int
    permanent: bool


@dataclass
class Table:
    module: ModuleDef
    rows: dict[int, list[Any]] = field(default_factory=dict)
    unique: dict[str, dict[Any, int]] = field(default_factory=dict)
    deleted: list[Deletion] = field(default_factory=list)
    new_picklist_values: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in self.module.unique_fields:
            if f.api_name != "id":
                self.unique.setdefault(f.api_name, {})


def unique_key(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class DuplicateValue(ValueProblem):
    def __init__(self, api_name: str, existing_id: int) -> None:
        super().__init__(
            api_name,
            f"duplicate data for {api_name}",
            code="DUPLICATE_DATA",
            duplicate_record={"id": str(existing_id)},
        )
        self.existing_id = existing_id


class RecordStore:
    def __init__(
        self, schema: Mapping[str, Mapping[str, ModuleDef]], ids: IdGenerator, clock_time: Any
    ) -> None:
        self._tables = {
            (p, name): Table(module) for p, modules in schema.items() for name, module in modules.items()
        }
        self._ids = ids
        self._time = clock_time
        self.lock = threading.RLock()
        self.users: list[User] = []
        self.changes = 0  # counts inserts, updates and deletes (the state file saves when it moves)

    # -- lookups -------------------------------------------------------------------------------
    def module(self, product: str, name: str) -> ModuleDef | None:
        table = self._tables.get((product, name))
        return None if table is None else table.module

    def modules(self, product: str) -> list[ModuleDef]:
        return [t.module for (p, _), t in self._tables.items() if p == product]

    def table(self, product: str, name: str) -> Table:
        return self._tables[(product, name)]

    def count(self, product: str, name: str) -> int:
        return len(self._tables[(product, name)].rows)

    def user(self, user_id: int) -> User | None:
        return next((u for u in self.users if u.id == user_id), None)

    def get(self, product: str, name: str, record_id: int) -> dict[str, Any] | None:
        table = self._tables[(product, name)]
        with self.lock:
            row = table.rows.get(record_id)
            return None if row is None else dict(zip(table.module.index, row, strict=True))

    def exists(self, product: str, name: str, record_id: int) -> bool:
        return record_id in self._tables[(product, name)].rows

    def find(self, product: str, name: str, api_name: str, value: Any) -> int | None:
        """The id of the record whose unique field ``api_name`` equals ``value``."""
        table = self._tables[(product, name)]
        if api_name.lower() == "id":
            return value if value in table.rows else None
        index = table.unique.get(api_name)
        if index is not None:
            return index.get(unique_key(value))
        position = table.module.index[api_name]
        with self.lock:
            return next((rid for rid, row in table.rows.items() if row[position] == value), None)

    def iter_rows(self, product: str, name: str) -> Iterator[tuple[int, list[Any]]]:
        """A snapshot of the module's rows in insertion order (copies of the id list, live rows)."""
        table = self._tables[(product, name)]
        with self.lock:
            ids = list(table.rows)
        for record_id in ids:
            row = table.rows.get(record_id)
            if row is not None:
                yield record_id, row

    # -- changes -------------------------------------------------------------------------------
    def _check_unique(self, table: Table, values: Mapping[str, Any], own_id: int | None) -> None:
        for api_name, index in table.unique.items():
            value = values.get(api_name)
            if value is None:
                continue
            holder = index.get(unique_key(value))
            if holder is not None and holder != own_id:
                raise DuplicateValue(api_name, holder)

    def _index(self, table: Table, record_id: int, row: list[Any], add: bool) -> None:
        for api_name, index in table.unique.items():
            value = row[table.module.index[api_name]]
            if value is None:
                continue
            if add:
                index[unique_key(value)] = record_id
            elif index.get(unique_key(value)) == record_id:
                del index[unique_key(value)]

    def _note_picklist(self, table: Table, values: Mapping[str, Any]) -> None:
        for api_name, value in values.items():
            f = table.module.field(api_name)
            if f is None or f.data_type not in {"picklist", "multiselectpicklist"} or value is None:
                continue
            known = table.new_picklist_values.setdefault(api_name, [])
            for item in value if isinstance(value, tuple) else (value,):
                if item not in f.picklist and item not in known:
                    known.append(item)

    def insert(
        self,
        product: str,
        name: str,
        values: Mapping[str, Any],
        user_id: int,
        *,
        record_id: int | None = None,
        at: int | None = None,
    ) -> int:
        table = self._tables[(product, name)]
        now = int(self._time()) if at is None else at
        with self.lock:
            self._check_unique(table, values, None)
            new_id = record_id if record_id is not None else self._ids.next()
            row: list[Any] = [None] * len(table.module.fields)
            for api_name, value in values.items():
                row[table.module.index[api_name]] = value
            system = {
                "id": new_id,
                "Created_By": user_id,
                "Modified_By": user_id,
                "Created_Time": now,
                "Modified_Time": now,
            }
            for api_name, value in system.items():
                if api_name in table.module.index:
                    row[table.module.index[api_name]] = value
            if "Owner" in table.module.index and row[table.module.index["Owner"]] is None:
                row[table.module.index["Owner"]] = user_id
            table.rows[new_id] = row
            self._index(table, new_id, row, add=True)
            self._note_picklist(table, values)
            self.changes += 1
            return new_id

    def update(
        self, product: str, name: str, record_id: int, values: Mapping[str, Any], user_id: int
    ) -> None:
        table = self._tables[(product, name)]
        with self.lock:
            row = table.rows[record_id]
            self._check_unique(table, values, record_id)
            self._index(table, record_id, row, add=False)
            for api_name, value in values.items():
                if api_name not in SYSTEM_NAMES:
                    row[table.module.index[api_name]] = value
            for api_name, value in (("Modified_By", user_id), ("Modified_Time", int(self._time()))):
                if api_name in table.module.index:
                    row[table.module.index[api_name]] = value
            self._index(table, record_id, row, add=True)
            self._note_picklist(table, values)
            self.changes += 1

    def delete(
        self, product: str, name: str, record_id: int, user_id: int | None, *, permanent: bool = False
    ) -> bool:
        table = self._tables[(product, name)]
        with self.lock:
            row = table.rows.pop(record_id, None)
            if row is None:
                return False
            self._index(table, record_id, row, add=False)
            display = table.module.display_field
            shown = row[table.module.index[display]] if display in table.module.index else None
            created_by = row[table.module.index["Created_By"]] if "Created_By" in table.module.index else None
            table.deleted.append(
                Deletion(
                    record_id,
                    None if permanent else shown,
                    None if permanent else user_id,
                    None if permanent else created_by,
                    int(self._time()),
                    permanent,
                )
            )
            self.changes += 1
            return True

    def clear(self) -> None:
        with self.lock:
            for key, table in list(self._tables.items()):
                self._tables[key] = Table(table.module)
            self.changes += 1
