"""``POST /{product}/{version}/{module}/upsert``: insert or update up to 100 records; and
``PUT /{product}/{version}/{module}``: update up to 100 records by their ``id``.

An upsert matches each record on ``duplicate_check_fields`` in the order given; without them on the
module's system-defined duplicate field, then its user-defined unique fields. An update names each
record by ``id`` (missing: ``MANDATORY_NOT_FOUND``; no such record: ``INVALID_DATA``) and may change
any field, unique ones included. Results come back in input order: HTTP 200 when all succeed, 207
when some fail, 400 when all fail. Both cost one credit per ten records and, above ten records, take
a slot of the heavy-call sub-pool.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from syncd.emulator.api import ApiContext, api_route
from syncd.emulator.jsonform import check_mandatory, read_record
from syncd.emulator.paging import ZOHO_PREFIX, module_of
from syncd.emulator.records import DuplicateValue
from syncd.emulator.schema import ModuleDef
from syncd.emulator.values import ValueProblem, format_datetime
from syncd.emulator.wire import ZohoError, invalid_data, mandatory

MAX_RECORDS = 100
HEAVY_ABOVE = 10
MESSAGES = {
    "INVALID_DATA": "invalid data",
    "MANDATORY_NOT_FOUND": "required field not found",
    "DUPLICATE_DATA": "duplicate data",
}


def _default_checks(module: ModuleDef) -> list[str]:
    unique = [f.api_name for f in module.unique_fields if f.api_name != "id"]
    return [*module.duplicate_check, *(name for name in unique if name not in module.duplicate_check)]


def _check_fields(module: ModuleDef, raw: Any) -> list[str]:
    if raw is None:
        return _default_checks(module)
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise invalid_data(
            "duplicate_check_fields must be a list of field API names", api_name="duplicate_check_fields"
        )
    names = []
    for name in raw:
        f = module.field_ci(name)
        if f is None or not (f.unique or f.api_name in module.duplicate_check):
            raise invalid_data(
                f"{name} is not a unique or system duplicate-check field of {module.api_name}",
                api_name=name,
                json_path="$.duplicate_check_fields",
            )
        names.append(f.api_name)
    return names


def _records(body: Any) -> list[Any]:
    if not isinstance(body, dict):
        raise invalid_data("the request body must be a JSON object with a data array")
    if "data" not in body:
        raise mandatory("data")
    data = body["data"]
    if not isinstance(data, list) or not data:
        raise invalid_data("data must be a non-empty array of records", api_name="data")
    if len(data) > MAX_RECORDS:
        raise ZohoError(
            "LIMIT_EXCEEDED",
            f"one call takes at most {MAX_RECORDS} records, got {len(data)}",
            400,
            {"api_name": "data", "limit": MAX_RECORDS},
        )
    return data


def _error(problem: ValueProblem, path: str) -> dict[str, Any]:
    details = {"json_path": path, **problem.details}
    if isinstance(problem, DuplicateValue):
        details["json_path"] = f"{path}.{problem.api_name}"
    message = MESSAGES.get(problem.code, str(problem))
    return {"code": problem.code, "details": details, "message": message, "status": "error"}


def _success(
    ctx: ApiContext, module: ModuleDef, record_id: int, action: str, field: str | None
) -> dict[str, Any]:
    stored = ctx.state.records.get(ctx.product, module.api_name, record_id) or {}

    def who(user_id: int) -> dict[str, str]:
        user = ctx.state.records.user(user_id)
        return user.ref() if user else {"id": str(user_id), "name": ""}

    details = {
        "Modified_Time": format_datetime(stored["Modified_Time"], ctx.state.zone),
        "Modified_By": who(stored["Modified_By"]),
        "Created_Time": format_datetime(stored["Created_Time"], ctx.state.zone),
        "id": str(record_id),
        "Created_By": who(stored["Created_By"]),
    }
    added = action == "insert"
    return {
        "code": "SUCCESS",
        "duplicate_field": field,
        "action": action,
        "details": details,
        "message": "record added" if added else "record updated",
        "status": "success",
    }


def _match(
    ctx: ApiContext, module: ModuleDef, checks: list[str], values: dict[str, Any]
) -> tuple[int, str] | None:
    for name in checks:
        value = values.get(name)
        if value is None:
            continue
        found = ctx.state.records.find(ctx.product, module.api_name, name, value)
        if found is not None:
            return found, name
    return None


def _upsert_one(ctx: ApiContext, module: ModuleDef, checks: list[str], data: Any, i: int) -> dict[str, Any]:
    path = f"$.data[{i}]"
    store, user = ctx.state.records, ctx.token.user_id
    try:
        values = read_record(ctx.state, ctx.product, module, data, path, inserting=False)
        with store.lock:
            match = _match(ctx, module, checks, values)
            if match is None:
                check_mandatory(module, values, path, inserting=True)
                new_id = store.insert(ctx.product, module.api_name, values, user)
                return _success(ctx, module, new_id, "insert", None)
            store.update(ctx.product, module.api_name, match[0], values, user)
            return _success(ctx, module, match[0], "update", match[1])
    except ValueProblem as problem:
        return _error(problem, path)


def _target_id(ctx: ApiContext, module: ModuleDef, data: Any, path: str) -> int:
    raw = data.get("id") if isinstance(data, dict) else None
    if raw in (None, ""):
        raise ValueProblem(
            "id", "id: required field not found", "MANDATORY_NOT_FOUND", json_path=f"{path}.id"
        )
    text = str(raw)
    if not text.isdigit() or not ctx.state.records.exists(ctx.product, module.api_name, int(text)):
        raise ValueProblem("id", "the id given seems to be invalid", "INVALID_DATA", json_path=f"{path}.id")
    return int(text)


def _update_one(ctx: ApiContext, module: ModuleDef, data: Any, i: int) -> dict[str, Any]:
    path = f"$.data[{i}]"
    store = ctx.state.records
    try:
        record_id = _target_id(ctx, module, data, path)
        values = read_record(ctx.state, ctx.product, module, data, path, inserting=False)
        with store.lock:
            store.update(ctx.product, module.api_name, record_id, values, ctx.token.user_id)
        answer = _success(ctx, module, record_id, "update", None)
        del answer["action"], answer["duplicate_field"]  # Zoho's update answer names neither
        return answer
    except ValueProblem as problem:
        return _error(problem, path)


def _answer(ctx: ApiContext, records: list[Any], write_one: Callable[[Any, int], dict[str, Any]]) -> Response:
    heavy = len(records) > HEAVY_ABOVE
    if heavy:
        ctx.state.concurrency[ctx.product].enter_heavy()
    try:
        ctx.spend(math.ceil(len(records) / 10))
        results = [write_one(data, i) for i, data in enumerate(records)]
    finally:
        if heavy:
            ctx.state.concurrency[ctx.product].leave_heavy()
    failed = sum(r["status"] == "error" for r in results)
    status = 200 if failed == 0 else 400 if failed == len(results) else 207
    return JSONResponse({"data": results}, status_code=status)


async def upsert(ctx: ApiContext) -> Response:
    module = module_of(ctx, ctx.request.path_params["module"])
    body = await ctx.json()
    records = _records(body)
    checks = _check_fields(module, body.get("duplicate_check_fields"))
    return _answer(ctx, records, lambda data, i: _upsert_one(ctx, module, checks, data, i))


async def update(ctx: ApiContext) -> Response:
    module = module_of(ctx, ctx.request.path_params["module"])
    records = _records(await ctx.json())
    return _answer(ctx, records, lambda data, i: _update_one(ctx, module, data, i))


def routes() -> list[BaseRoute]:
    return [
        api_route(ZOHO_PREFIX + "/{module}/upsert", upsert, ["POST"]),
        api_route(ZOHO_PREFIX + "/{module}", update, ["PUT"]),
    ]
