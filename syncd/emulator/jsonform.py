"""Records in the REST API's JSON form: reading a client's record, and rendering a stored one.

Both the REST endpoints (upsert, get records) and the admin API use these, so a record an operator
loads through the admin API is checked exactly as an upsert would check it.

Reading follows Zoho's write rules: unknown fields are refused (Zoho ignores them; refusing catches a
client's typo), system fields such as ``Created_Time`` are ignored, lookups must name an existing
record (``{"id": "..."}`` or the bare id), ``Owner`` must name a user, mandatory fields must be present
on insert and may not be emptied on update. Problems raise :class:`ValueProblem` whose details carry
``api_name`` and ``json_path`` as Zoho's per-record errors do.
"""

from __future__ import annotations

from typing import Any

from syncd.emulator.records import SYSTEM_NAMES
from syncd.emulator.schema import FieldDef, ModuleDef
from syncd.emulator.state import EmulatorState
from syncd.emulator.values import ValueProblem, parse, to_json

USER_FIELDS = frozenset({"Owner", "Created_By", "Modified_By"})


def _problem(code: str, f_name: str, path: str, message: str, **details: Any) -> ValueProblem:
    return ValueProblem(f_name, message, code, json_path=f"{path}.{f_name}", **details)


def _check_target(state: EmulatorState, product: str, f: FieldDef, value: int, path: str) -> None:
    if f.data_type == "ownerlookup":
        if state.records.user(value) is None:
            raise _problem("INVALID_DATA", f.api_name, path, f"{f.api_name}: no user has id {value}")
        return
    target = f.lookup
    if target and state.records.module(product, target) and not state.records.exists(product, target, value):
        raise _problem("INVALID_DATA", f.api_name, path, f"{f.api_name}: no {target} record has id {value}")


def _read_field(state: EmulatorState, product: str, f: FieldDef, raw: Any, path: str) -> Any:
    try:
        value = parse(f, raw, zone=state.zone)
    except ValueProblem as problem:
        details = {k: v for k, v in problem.details.items() if k != "api_name"}
        raise _problem(problem.code, f.api_name, path, str(problem), **details) from None
    if value is not None and f.data_type in {"lookup", "ownerlookup"}:
        _check_target(state, product, f, value, path)
    return value


def read_record(
    state: EmulatorState, product: str, module: ModuleDef, data: Any, path: str, *, inserting: bool
) -> dict[str, Any]:
    """A client's JSON record as internal values, or :class:`ValueProblem` naming the first problem.

    ``path`` is the record's JSON path (``$.data[2]``); ``inserting`` makes mandatory fields required.
    """
    if not isinstance(data, dict):
        raise ValueProblem("data", f"{path} is not a JSON object", "INVALID_DATA", json_path=path)
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key.startswith("$") or key in SYSTEM_NAMES:
            continue
        f = module.field(key)
        if f is None:
            raise _problem("INVALID_DATA", key, path, f"{key}: no such field in {module.api_name}")
        if not f.writable and f.api_name != "Owner":
            continue
        values[f.api_name] = _read_field(state, product, f, raw, path)
    check_mandatory(module, values, path, inserting=inserting)
    return values


def check_mandatory(module: ModuleDef, values: dict[str, Any], path: str, *, inserting: bool) -> None:
    """MANDATORY_NOT_FOUND for a mandatory field emptied, or left out of a new record."""
    for f in module.fields:
        emptied = f.api_name in values and values[f.api_name] is None
        if f.mandatory and (emptied or (inserting and f.api_name not in values)):
            raise _problem("MANDATORY_NOT_FOUND", f.api_name, path, f"{f.api_name}: required field not found")


def _display(state: EmulatorState, product: str, module: str, record_id: int) -> str | None:
    definition = state.records.module(product, module)
    if definition is None or definition.display_field is None:
        return None
    row = state.records.table(product, module).rows.get(record_id)
    if row is None:
        return None
    shown = row[definition.index[definition.display_field]]
    return None if shown is None else str(shown)


def user_ref(state: EmulatorState, user_id: int) -> dict[str, Any]:
    user = state.records.user(user_id)
    if user is None:
        return {"id": str(user_id), "name": None, "email": None}
    return {"id": str(user.id), "name": user.full_name, "email": user.email}


def render_value(state: EmulatorState, product: str, f: FieldDef, value: Any) -> Any:
    """A stored value as GET records prints it: lookups as ``{"id", "name"}``, users with email."""
    if value is None:
        return None
    if f.data_type == "ownerlookup" or f.api_name in USER_FIELDS:
        return user_ref(state, value)
    if f.data_type == "lookup":
        target = f.lookup or ""
        return {"id": str(value), "name": _display(state, product, target, value)}
    return to_json(f, value, state.zone)


def render_record(
    state: EmulatorState, product: str, module: ModuleDef, row: list[Any], fields: list[FieldDef]
) -> dict[str, Any]:
    """The record's ``fields`` (plus ``id``) in the REST API's JSON form."""
    out: dict[str, Any] = {"id": str(row[module.index["id"]])}
    for f in fields:
        if f.api_name != "id":
            out[f.api_name] = render_value(state, product, f, row[module.index[f.api_name]])
    return out


def listed_fields(module: ModuleDef) -> list[FieldDef]:
    """The fields GET records returns when the client names none: all but subforms and the like."""
    return [f for f in module.fields if f.data_type not in {"subform", "multiselectlookup"}]
