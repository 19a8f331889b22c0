"""The admin API under ``/__emulator__/``: what a test or a demo does to the org behind Zoho's back.

No Zoho auth; only loopback clients are served (others get 403). Errors are ``{"error": "..."}``
with 400 (bad input) or 404 (unknown module or record), naming what was wrong.

======  ===================================  ==================================================
POST    /__emulator__/reset                  empty every module, the deleted logs, credits,
                                             faults, jobs and page tokens (tokens stay valid)
POST    /__emulator__/seed                   ``{"module", "count", "seed", "product"}``
GET     /__emulator__/records/{module}       the records as JSON lines (``?product=bigin``)
POST    /__emulator__/records/{module}       ``{"records": [...]}`` in REST JSON form -> ids
PATCH   /__emulator__/records/{module}/{id}  change fields as a CRM user would
DELETE  /__emulator__/records/{module}/{id}  to the recycle bin, or ``?permanent=true``
GET     /__emulator__/stats                  counts, credits, tokens, faults, jobs, job status
                                             polls, callbacks, downloads
PUT     /__emulator__/faults                 keys of ``FaultSettings``
POST    /__emulator__/clock/advance          ``{"seconds": N}``
======  ===================================  ==================================================
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from syncd.emulator.adminstats import stats
from syncd.emulator.jsonform import listed_fields, read_record, render_record
from syncd.emulator.records import DuplicateValue, unique_key
from syncd.emulator.schema import PRODUCTS, ModuleDef
from syncd.emulator.seed import seed_module
from syncd.emulator.state import EmulatorState, state_of
from syncd.emulator.values import ValueProblem, format_datetime

PREFIX = "/__emulator__"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


AdminHandler = Callable[[Request, EmulatorState], Awaitable[Response]]


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _admin(handler: AdminHandler) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        if not _loopback(request):
            return JSONResponse({"error": "the admin API serves loopback clients only"}, status_code=403)
        try:
            return await handler(request, state_of(request))
        except AdminError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)

    return run


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise AdminError(400, f"the request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise AdminError(400, "the request body must be a JSON object")
    return body


def _product(value: Any) -> str:
    product = "crm" if value in (None, "") else value
    if product not in PRODUCTS:
        raise AdminError(400, f"unknown product {value!r}; use one of {', '.join(PRODUCTS)}")
    return str(product)


def _module(state: EmulatorState, product: str, name: Any) -> ModuleDef:
    module = state.records.module(product, name) if isinstance(name, str) else None
    if module is None:
        known = ", ".join(m.api_name for m in state.records.modules(product))
        raise AdminError(404, f"unknown module {product}:{name}; {product} has {known}")
    return module


def _whole(body: dict[str, Any], key: str, default: int | None = None) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise AdminError(400, f"{key} must be a whole number >= 0, not {value!r}")
    return value


async def reset(request: Request, state: EmulatorState) -> Response:
    state.records.clear()
    for ledger in state.credits.values():
        ledger.reset()
    state.faults.reset()
    for registry in state.extras.values():
        if callable(getattr(registry, "clear", None)):
            registry.clear()
    return JSONResponse({"reset": True})


async def seed(request: Request, state: EmulatorState) -> Response:
    body = await _body(request)
    product = _product(body.get("product"))
    module = _module(state, product, body.get("module"))
    count = _whole(body, "count")
    random_seed = _whole(body, "seed", state.settings.random_seed)
    added = await asyncio.to_thread(seed_module, state, product, module.api_name, count, random_seed)
    total = state.records.count(product, module.api_name)
    return JSONResponse({"product": product, "module": module.api_name, "added": added, "total": total})


def _lines(state: EmulatorState, product: str, module: ModuleDef) -> Iterator[bytes]:
    fields = listed_fields(module)
    for _, row in state.records.iter_rows(product, module.api_name):
        record = render_record(state, product, module, row, fields)
        yield json.dumps(record, ensure_ascii=False).encode() + b"\n"


async def list_records(request: Request, state: EmulatorState) -> Response:
    product = _product(request.query_params.get("product"))
    module = _module(state, product, request.path_params["module"])
    return StreamingResponse(_lines(state, product, module), media_type="application/x-ndjson")


def _read_all(state: EmulatorState, product: str, module: ModuleDef, records: Any) -> list[dict[str, Any]]:
    if not isinstance(records, list):
        raise AdminError(400, 'the body must be {"records": [{...}, ...]}')
    parsed = []
    for i, data in enumerate(records):
        try:
            parsed.append(read_record(state, product, module, data, f"records[{i}]", inserting=True))
        except ValueProblem as problem:
            raise AdminError(400, f"records[{i}]: {problem}") from None
    return parsed


def _check_unique(state: EmulatorState, product: str, module: ModuleDef, batch: list[dict[str, Any]]) -> None:
    for f in module.unique_fields:
        seen: dict[Any, int] = {}
        for i, values in enumerate(batch):
            value = values.get(f.api_name)
            if value is None:
                continue
            holder = state.records.find(product, module.api_name, f.api_name, value)
            if holder is not None:
                raise AdminError(
                    400, f"records[{i}].{f.api_name}: {value!r} is already used by record {holder}"
                )
            if unique_key(value) in seen:
                raise AdminError(
                    400, f"records[{i}].{f.api_name}: {value!r} repeats records[{seen[unique_key(value)]}]"
                )
            seen[unique_key(value)] = i


async def add_records(request: Request, state: EmulatorState) -> Response:
    product = _product(request.query_params.get("product"))
    module = _module(state, product, request.path_params["module"])
    batch = _read_all(state, product, module, (await _body(request)).get("records"))
    user = state.records.users[0].id
    with state.records.lock:
        _check_unique(state, product, module, batch)
        ids = [state.records.insert(product, module.api_name, values, user) for values in batch]
    return JSONResponse({"ids": [str(i) for i in ids]})


def _record_id(state: EmulatorState, product: str, module: ModuleDef, raw: str) -> int:
    if raw.isdigit() and state.records.exists(product, module.api_name, int(raw)):
        return int(raw)
    raise AdminError(404, f"no {product}:{module.api_name} record has id {raw}")


async def update_record(request: Request, state: EmulatorState) -> Response:
    product = _product(request.query_params.get("product"))
    module = _module(state, product, request.path_params["module"])
    record_id = _record_id(state, product, module, request.path_params["record_id"])
    body = await _body(request)
    try:
        values = read_record(state, product, module, body, "record", inserting=False)
        state.records.update(product, module.api_name, record_id, values, state.records.users[0].id)
    except DuplicateValue as problem:
        raise AdminError(400, f"{problem.api_name}: already used by record {problem.existing_id}") from None
    except ValueProblem as problem:
        raise AdminError(400, str(problem)) from None
    row = state.records.table(product, module.api_name).rows[record_id]
    return JSONResponse(render_record(state, product, module, row, listed_fields(module)))


async def delete_record(request: Request, state: EmulatorState) -> Response:
    product = _product(request.query_params.get("product"))
    module = _module(state, product, request.path_params["module"])
    record_id = _record_id(state, product, module, request.path_params["record_id"])
    permanent = request.query_params.get("permanent", "false").lower() in {"true", "1", "yes"}
    state.records.delete(product, module.api_name, record_id, state.records.users[0].id, permanent=permanent)
    return JSONResponse({"deleted": str(record_id), "permanent": permanent})


async def get_stats(request: Request, state: EmulatorState) -> Response:
    return JSONResponse(stats(state))


async def set_faults(request: Request, state: EmulatorState) -> Response:
    try:
        settings = state.faults.configure(await _body(request))
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    return JSONResponse(asdict(settings))


async def advance_clock(request: Request, state: EmulatorState) -> Response:
    seconds = (await _body(request)).get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise AdminError(400, f"seconds must be a number >= 0, not {seconds!r}")
    state.clock.advance(float(seconds))
    return JSONResponse({"now": format_datetime(int(state.clock.time()), state.zone)})


async def unknown(request: Request, state: EmulatorState) -> Response:
    raise AdminError(404, f"no admin endpoint {request.method} {request.url.path}; see the README")


def routes() -> list[BaseRoute]:
    table: list[tuple[str, AdminHandler, str]] = [
        ("/reset", reset, "POST"),
        ("/seed", seed, "POST"),
        ("/records/{module}", list_records, "GET"),
        ("/records/{module}", add_records, "POST"),
        ("/records/{module}/{record_id}", update_record, "PATCH"),
        ("/records/{module}/{record_id}", delete_record, "DELETE"),
        ("/stats", get_stats, "GET"),
        ("/faults", set_faults, "PUT"),
        ("/clock/advance", advance_clock, "POST"),
    ]
    found = [Route(PREFIX + path, _admin(handler), methods=[method]) for path, handler, method in table]
    return [*found, Route(PREFIX + "/{rest:path}", _admin(unknown), methods=METHODS)]
