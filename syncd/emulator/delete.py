"""``DELETE /{product}/{version}/{module}?ids=1,2,...``: delete up to 100 records (Zoho's "Delete records").

Deleted records go to the recycle bin and appear in the deleted-records API (``GET .../deleted``).
Results come back per id, in the order given: ``SUCCESS`` with ``details.id``, or ``INVALID_DATA``
for an id the module does not hold. HTTP 200 when all succeed, 207 when some fail, 400 when all
fail. ``DELETE /{product}/{version}/{module}/{id}`` deletes one record. A call costs one credit.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from syncd.emulator.api import ApiContext, api_route
from syncd.emulator.paging import ZOHO_PREFIX, module_of
from syncd.emulator.schema import ModuleDef
from syncd.emulator.wire import ZohoError

MAX_IDS = 100


def _ids(raw: str | None) -> list[str]:
    if raw is None or not raw.strip():
        raise ZohoError(
            "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", 400, {"param": "ids"}
        )
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if len(ids) > MAX_IDS:
        raise ZohoError(
            "LIMIT_EXCEEDED",
            f"a delete takes at most {MAX_IDS} ids, got {len(ids)}",
            400,
            {"param": "ids", "limit": MAX_IDS},
        )
    return ids


def _delete_one(ctx: ApiContext, module: ModuleDef, raw_id: str) -> dict[str, Any]:
    deleted = raw_id.isdigit() and ctx.state.records.delete(
        ctx.product, module.api_name, int(raw_id), ctx.token.user_id
    )
    if deleted:
        return {
            "code": "SUCCESS",
            "details": {"id": raw_id},
            "message": "record deleted",
            "status": "success",
        }
    return {
        "code": "INVALID_DATA",
        "details": {"id": raw_id},
        "message": "the id given seems to be invalid",
        "status": "error",
    }


def _answer(ctx: ApiContext, module: ModuleDef, ids: list[str]) -> Response:
    ctx.spend(1)
    results = [_delete_one(ctx, module, raw_id) for raw_id in ids]
    failed = sum(r["status"] == "error" for r in results)
    status = 200 if failed == 0 else 400 if failed == len(results) else 207
    return JSONResponse({"data": results}, status_code=status)


async def delete_records(ctx: ApiContext) -> Response:
    module = module_of(ctx, ctx.request.path_params["module"])
    return _answer(ctx, module, _ids(ctx.request.query_params.get("ids")))


async def delete_record(ctx: ApiContext) -> Response:
    module = module_of(ctx, ctx.request.path_params["module"])
    return _answer(ctx, module, [ctx.request.path_params["record_id"]])


def routes() -> list[BaseRoute]:
    return [
        api_route(ZOHO_PREFIX + "/{module}/{record_id}", delete_record, ["DELETE"]),
        api_route(ZOHO_PREFIX + "/{module}", delete_records, ["DELETE"]),
    ]
