"""The REST endpoints for small deltas: get records and deleted records (upsert is in ``upsert.py``).

``GET /{product}/{version}/{module}`` lists records in id order, ``per_page`` (<= 200) at a time, with
``fields``, ``page``, ``page_token`` and ``If-Modified-Since`` (records modified after it).
``GET /{product}/{version}/{module}/deleted`` lists the deleted log newest first, ``type`` all,
recycle or permanent; recycle-bin entries are listed for 60 days, permanent ones for 120. Both answer
204 with no body when nothing matches.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from syncd.emulator import paging
from syncd.emulator.api import ApiContext, api_route
from syncd.emulator.jsonform import listed_fields, render_record, user_ref
from syncd.emulator.records import Deletion
from syncd.emulator.schema import FieldDef, ModuleDef
from syncd.emulator.values import format_datetime
from syncd.emulator.wire import ZohoError, invalid_data

DELETED_TYPES = ("all", "recycle", "permanent")
RETENTION_DAYS = {"recycle": 60, "permanent": 120}


def _fields(ctx: ApiContext, module: ModuleDef) -> list[FieldDef]:
    raw = ctx.request.query_params.get("fields", "")
    names = [n.strip() for n in raw.split(",") if n.strip()]
    if not names:
        return listed_fields(module)
    chosen = []
    for name in names:
        f = module.field_ci(name)
        if f is None:
            raise invalid_data(f"the field {name!r} does not exist in {module.api_name}", api_name=name)
        chosen.append(f)
    return chosen


def _matching(ctx: ApiContext, module: ModuleDef, since: int | None) -> Iterator[list[Any]]:
    rows = ctx.state.records.iter_rows(ctx.product, module.api_name)
    if since is None:
        return (row for _, row in rows)
    modified = module.index["Modified_Time"]
    return (row for _, row in rows if row[modified] is not None and row[modified] > since)


def _offset(ctx: ApiContext, query: tuple[Any, ...], size: int) -> int:
    token = ctx.request.query_params.get("page_token")
    if token and ctx.version_number >= 7:
        return paging.redeem_token(ctx, token, query)
    offset = (paging.page(ctx) - 1) * size
    if ctx.version_number >= 7:
        paging.discrete_limit(offset, size)
    return offset


async def get_records(ctx: ApiContext) -> Response:
    module = paging.module_of(ctx, ctx.request.path_params["module"])
    fields = _fields(ctx, module)
    size = paging.per_page(ctx)
    since = paging.modified_since(ctx)
    query = (ctx.token.user_id, ctx.product, module.api_name, tuple(f.api_name for f in fields), since, size)
    offset = _offset(ctx, query, size)
    rows = list(itertools.islice(_matching(ctx, module, since), offset, offset + size + 1))
    if not rows:
        return Response(status_code=204)
    more = len(rows) > size
    info: dict[str, Any] = {"per_page": size, "count": min(len(rows), size), "page": offset // size + 1}
    info["more_records"] = more
    if ctx.version_number >= 7:
        token, expiry = paging.issue_token(ctx, query, offset + size) if more else (None, None)
        info.update(next_page_token=token, page_token_expiry=expiry, sort_by="id", sort_order="asc")
    data = [render_record(ctx.state, ctx.product, module, row, fields) for row in rows[:size]]
    return JSONResponse({"data": data, "info": info})


def _deletion(ctx: ApiContext, entry: Deletion) -> dict[str, Any]:
    def user(user_id: int | None) -> dict[str, Any] | None:
        if user_id is None:
            return None
        ref = user_ref(ctx.state, user_id)
        return {"name": ref["name"], "id": ref["id"]}

    return {
        "deleted_by": user(entry.deleted_by),
        "id": str(entry.id),
        "display_name": entry.display_name,
        "type": "permanent" if entry.permanent else "recycle",
        "created_by": user(entry.created_by),
        "deleted_time": format_datetime(entry.deleted_time, ctx.state.zone),
    }


def _listed(entry: Deletion, kind: str, now: float, since: int | None) -> bool:
    entry_kind = "permanent" if entry.permanent else "recycle"
    if kind != "all" and kind != entry_kind:
        return False
    if entry.deleted_time <= now - RETENTION_DAYS[entry_kind] * 86400:
        return False
    return since is None or entry.deleted_time > since


async def deleted_records(ctx: ApiContext) -> Response:
    module = paging.module_of(ctx, ctx.request.path_params["module"])
    kind = ctx.request.query_params.get("type", "all")
    if kind not in DELETED_TYPES:
        raise ZohoError(
            "PATTERN_NOT_MATCHED",
            f"type must be one of {', '.join(DELETED_TYPES)}, not {kind!r}",
            400,
            {"param_name": "type"},
        )
    size, number, since = paging.per_page(ctx), paging.page(ctx), paging.modified_since(ctx)
    now = ctx.state.clock.time()
    with ctx.state.records.lock:
        log = list(ctx.state.records.table(ctx.product, module.api_name).deleted)
    entries = [e for e in reversed(log) if _listed(e, kind, now, since)]
    chosen = entries[(number - 1) * size : number * size]
    if not chosen:
        return Response(status_code=204)
    info = {
        "per_page": size,
        "count": len(chosen),
        "page": number,
        "more_records": len(entries) > number * size,
    }
    return JSONResponse({"data": [_deletion(ctx, e) for e in chosen], "info": info})


def routes() -> list[BaseRoute]:
    return [
        api_route(paging.ZOHO_PREFIX + "/{module}/deleted", deleted_records, ["GET"]),
        api_route(paging.ZOHO_PREFIX + "/{module}", get_records, ["GET"]),
    ]
