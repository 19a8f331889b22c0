"""Org details and field metadata: ``GET /{product}/{version}/org`` and ``.../settings/fields``.

Field metadata uses the key names of Zoho's v8 ``settings/fields`` answer (crm-oas v8.0 example):
``api_name``, ``data_type``, ``json_type``, ``field_label``, ``display_label``, ``length``,
``system_mandatory``, ``read_only``, ``field_read_only``, ``custom_field``, ``unique`` (``{}`` for
ordinary fields, ``{"casesensitive": "false"}`` for unique ones — the latter shape is from memory of
Zoho's answers, not from the reference), ``pick_list_values`` (``display_value``, ``actual_value``,
``sequence_number``, ``type``, ``id``), ``lookup`` (``{}`` or ``{"api_name", "display_label", "id",
"module": {"api_name", "id"}}``) and ``decimal_place``. Picklist values first seen in writes are listed
after the defined ones, as Zoho adds new values to unrestricted picklists.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from syncd.emulator.api import ApiContext, api_route
from syncd.emulator.paging import ZOHO_PREFIX, module_of
from syncd.emulator.schema import DATA_TYPES, FieldDef, ModuleDef
from syncd.emulator.settings import EDITIONS
from syncd.emulator.state import EmulatorState
from syncd.emulator.wire import ZohoError

FIELD_ID_BASE = 4876876_900_000_000_000  # field ids live apart from record ids (19 digits)
STANDARD_FIELDS = frozenset({"id", "Owner", "Created_By", "Modified_By", "Created_Time", "Modified_Time"})


def _field_id(state: EmulatorState, product: str, module: ModuleDef, position: int) -> str:
    modules = sorted(state.module_ids)
    return str(FIELD_ID_BASE + modules.index((product, module.api_name)) * 1000 + position)


def _picklist(field_id: str, values: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "display_value": value,
            "actual_value": value,
            "sequence_number": n,
            "type": "used",
            "id": f"{field_id}{n:03d}"[-19:],
        }
        for n, value in enumerate(values, start=1)
    ]


def _lookup(ctx: ApiContext, f: FieldDef, field_id: str) -> dict[str, Any]:
    if f.data_type != "lookup" or not f.lookup:
        return {}
    target_id = ctx.state.module_ids.get((ctx.product, f.lookup))
    target: Any = {"api_name": f.lookup, "id": None if target_id is None else str(target_id)}
    if ctx.product == "crm" and ctx.version == "v2":
        target = f.lookup  # API v2 names the module with a bare string, as its bulk API does
    return {"api_name": f.api_name, "display_label": f.label, "id": field_id, "module": target}


def describe_field(ctx: ApiContext, module: ModuleDef, position: int) -> dict[str, Any]:
    state, product = ctx.state, ctx.product
    f = module.fields[position]
    field_id = _field_id(state, product, module, position)
    table = state.records.table(product, module.api_name)
    values = [*f.picklist, *table.new_picklist_values.get(f.api_name, [])]
    return {
        "api_name": f.api_name,
        "data_type": f.data_type,
        "json_type": DATA_TYPES[f.data_type][0],
        "field_label": f.label,
        "display_label": f.label,
        "length": f.length,
        "system_mandatory": f.mandatory,
        "read_only": not f.writable and f.api_name != "Owner",
        "field_read_only": f.system,
        "custom_field": False,
        "unique": {"casesensitive": "false"} if f.unique else {},
        "pick_list_values": _picklist(field_id, values),
        "lookup": _lookup(ctx, f, field_id),
        "decimal_place": f.decimal_places,
        "visible": True,
        "id": field_id,
    }


async def fields(ctx: ApiContext) -> Response:
    name = ctx.request.query_params.get("module")
    if not name:
        raise ZohoError(
            "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", 400, {"param": "module"}
        )
    module = module_of(ctx, name)
    described = [describe_field(ctx, module, i) for i in range(len(module.fields))]
    return JSONResponse({"fields": described})


def _license(state: EmulatorState) -> dict[str, Any]:
    settings = state.settings
    return {
        "paid": settings.edition != "free",
        "paid_type": settings.edition,
        "users_license_purchased": settings.users,
        "trial_type": None,
        "trial_expiry": None,
        "paid_expiry": None,
        "concurrency_limit": EDITIONS[settings.edition][0],
    }


async def org(ctx: ApiContext) -> Response:
    state = ctx.state
    admin = state.records.users[0]
    details = {
        "id": str(state.org_ids[ctx.product]),
        "zgid": str(state.zgids[ctx.product]),
        "company_name": state.settings.org_name,
        "alias": None,
        "primary_email": admin.email,
        "primary_zuid": str(admin.id),
        "time_zone": state.settings.timezone,
        "currency": "US Dollar - USD",
        "currency_symbol": "$",
        "currency_locale": "en_US",
        "iso_code": "USD",
        "country": "United States",
        "country_code": "US",
        "type": "production",
        "license_details": _license(state),
    }
    return JSONResponse({"org": [details]})


def routes() -> list[BaseRoute]:
    return [
        api_route(ZOHO_PREFIX + "/org", org, ["GET"]),
        api_route(ZOHO_PREFIX + "/settings/fields", fields, ["GET"]),
    ]
