"""Field paths of a bulk read: ``Last_Name``, or a lookup's field in dot notation (``Owner.email``).

A :class:`Column` reads one value from a stored row of the exported module; for a dotted path it
follows the lookup to the related record (or user) first. Criteria and the CSV share these paths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from syncd.emulator.records import RecordStore, User
from syncd.emulator.schema import FieldDef, ModuleDef

Row = list[Any]
Getter = Callable[[Row], Any]

# The user fields a dotted owner lookup (``Owner.last_name``) can reach.
USER_FIELDS: dict[str, FieldDef] = {
    "id": FieldDef("id", "bigint"),
    "first_name": FieldDef("first_name", "text"),
    "last_name": FieldDef("last_name", "text"),
    "full_name": FieldDef("full_name", "text"),
    "name": FieldDef("name", "text"),
    "email": FieldDef("email", "email"),
}


class PathProblem(Exception):
    """A field path that names nothing (``available=False``) or a field bulk read cannot use."""

    def __init__(self, path: str, message: str, *, available: bool) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.available = available


@dataclass(frozen=True)
class Column:
    """One field path: its name as requested, the field that gives its type, and how to read it."""

    name: str
    field: FieldDef
    get: Getter
    position: int | None = None  # where a field of the module itself sits in the stored row


def _user_value(user: User | None, attribute: str) -> Any:
    if user is None:
        return None
    if attribute == "name":
        return user.full_name
    return getattr(user, attribute)


class PathResolver:
    """Turns field paths of one module into columns, against the live record store."""

    def __init__(self, records: RecordStore, product: str, module: ModuleDef) -> None:
        self.records = records
        self.product = product
        self.module = module

    def resolve(self, path: str) -> Column:
        if not isinstance(path, str) or not path.strip():
            raise PathProblem(str(path), f"{path!r} is not a field API name", available=False)
        head, dot, tail = path.partition(".")
        own = self._own_field(path, head)
        if not dot:
            position = self.module.index[own.api_name]
            return Column(path, own, lambda row: row[position], position)
        return self._dotted(path, own, tail)

    def _own_field(self, path: str, api_name: str) -> FieldDef:
        found = self.module.field(api_name) or self.module.field_ci(api_name)
        if found is None:
            raise PathProblem(
                path, f"the field {api_name} is not available in {self.module.api_name}", available=False
            )
        if not found.exportable:
            raise PathProblem(
                path,
                f"the field {found.api_name} ({found.data_type}) cannot be used in a bulk read",
                available=True,
            )
        return found

    def _dotted(self, path: str, lookup: FieldDef, tail: str) -> Column:
        if lookup.data_type not in {"lookup", "ownerlookup"} or not lookup.lookup:
            raise PathProblem(
                path, f"{lookup.api_name} is not a lookup field; dot notation needs one", available=False
            )
        if "." in tail:
            raise PathProblem(path, f"{path}: dot notation reaches only one lookup deep", available=False)
        position = self.module.index[lookup.api_name]
        if lookup.data_type == "ownerlookup":
            return self._user_column(path, position, tail)
        return self._related_column(path, position, lookup.lookup, tail)

    def _user_column(self, path: str, position: int, attribute: str) -> Column:
        target = USER_FIELDS.get(attribute) or USER_FIELDS.get(attribute.lower())
        if target is None:
            known = ", ".join(USER_FIELDS)
            raise PathProblem(
                path, f"{path}: users have no field {attribute!r} (known: {known})", available=False
            )
        users = {u.id: u for u in self.records.users}
        name = target.api_name
        return Column(path, target, lambda row: _user_value(users.get(row[position]), name))

    def _related_column(self, path: str, position: int, module_name: str, api_name: str) -> Column:
        related = self.records.module(self.product, module_name)
        if related is None:
            raise PathProblem(
                path, f"{path}: the related module {module_name} does not exist", available=False
            )
        target = PathResolver(self.records, self.product, related)._own_field(path, api_name)
        rows = self.records.table(self.product, module_name).rows
        target_position = related.index[target.api_name]

        def get(row: Row) -> Any:
            related_id = row[position]
            related_row = None if related_id is None else rows.get(related_id)
            return None if related_row is None else related_row[target_position]

        return Column(path, target, get)

    def all_columns(self) -> list[Column]:
        """Every exportable field of the module in its order, without ``id`` (the ``Id`` column)."""
        return [self.resolve(f.api_name) for f in self.module.fields if f.exportable and f.api_name != "id"]
