"""A bulk write job's request, checked the way Zoho checks it before scheduling the job.

:func:`parse_spec` turns the JSON body into a :class:`WriteSpec` or raises the create-job error
Zoho answers with (``MANDATORY_NOT_FOUND``, ``INVALID_FILE_ID``, ``MODULE_NOT_AVAILABLE``,
``INVALID_FIELD``, ``COLUMN_INDEX_NOT_FOUND``, ``HEADER_LIMIT_EXCEEDED``,
``MANDATORY_FIELDS_NOT_MAPPED``, ``INVALID_CALLBACK_METHOD``, ``LIMIT_EXCEEDED``, ...). The CSV files
are read here already, so a job that is scheduled can always be processed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncd.emulator.records import RecordStore
from syncd.emulator.schema import FieldDef, ModuleDef
from syncd.emulator.upload import Upload, UploadStore
from syncd.emulator.wire import ZohoError, invalid_data, mandatory
from syncd.emulator.write_files import CsvFile, check_encoding, read_csv
from syncd.emulator.write_mapping import (
    MAX_COLUMNS,
    Mapping,
    auto_mappings,
    check_unique_targets,
    column_not_found,
    explicit_mapping,
    header_limit,
)

OPERATIONS = ("insert", "update", "upsert")
MAX_ROWS = 25_000


@dataclass(frozen=True)
class Resource:
    module: ModuleDef
    source: CsvFile
    mappings: tuple[Mapping, ...]
    find_by: FieldDef | None
    ignore_empty: bool
    parent_link: Mapping | None = None  # child resources: the mapping tied to the parent's column


@dataclass(frozen=True)
class WriteSpec:
    operation: str
    resources: tuple[Resource, ...]
    callback: dict[str, Any] | None
    character_encoding: str
    file_id: int


@dataclass(frozen=True)
class _Context:
    store: RecordStore
    uploads: UploadStore
    product: str
    operation: str
    encoding: str | None
    ignore_empty: bool
    count: int


def _operation(body: dict[str, Any]) -> str:
    operation = body.get("operation")
    if operation is None:
        raise mandatory("operation")
    if operation not in OPERATIONS:
        raise invalid_data(
            f"invalid operation {operation!r}; use insert, update or upsert",
            api_name="operation",
            supported_values=list(OPERATIONS),
        )
    return str(operation)


def _callback(body: dict[str, Any]) -> dict[str, Any] | None:
    callback = body.get("callback", body.get("callBack"))
    if callback is None:
        return None
    if not isinstance(callback, dict):
        raise invalid_data("callback must be an object with url and method", api_name="callback")
    method = callback.get("method")
    if not isinstance(method, str) or method.lower() != "post":
        raise ZohoError(
            "INVALID_CALLBACK_METHOD",
            f"invalid callback method {method!r}",
            400,
            {"supported_callback_methods": ["post"]},
        )
    url = callback.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise invalid_data(f"invalid callback url {url!r}", api_name="url")
    return {key: callback[key] for key in ("url", "method") if key in callback}


def _flag(body: dict[str, Any], key: str, where: str) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise invalid_data(f"{key} of {where} must be true or false", api_name=key)
    return value


def _module(item: dict[str, Any], store: RecordStore, product: str) -> ModuleDef:
    given = item.get("module")
    if given is None:
        raise mandatory("module")
    name = given.get("api_name") if isinstance(given, dict) else given
    if not isinstance(name, str) or not name:
        raise mandatory("api_name", "required key api_name is not found in module.")
    module = store.module(product, name)
    if module is None:
        lowered = name.lower()
        module = next((m for m in store.modules(product) if m.api_name.lower() == lowered), None)
    if module is None:
        raise ZohoError(
            "MODULE_NOT_AVAILABLE", f"Requested module '{name}' is not available.", 400, {"api_name": name}
        )
    return module


def _upload(item: dict[str, Any], ctx: _Context) -> Upload:
    given = item.get("file_id")
    if given is None:
        raise mandatory("file_id")
    text = str(given).strip()
    upload = ctx.uploads.get(int(text)) if text.isdigit() else None
    if upload is None or upload.product != ctx.product:
        raise ZohoError("INVALID_FILE_ID", "improper file id", 400, {"api_name": "file_id", "file_id": text})
    return upload


def _file_name(item: dict[str, Any], upload: Upload, ctx: _Context) -> str:
    names = item.get("file_names")
    if names is None:
        if ctx.count > 1:
            raise mandatory("file_names", "required key file_names is not found for a parent-child job.")
        if len(upload.csv_names) != 1:
            raise invalid_data(
                f"the zip holds {len(upload.csv_names)} CSV files; a job for one module takes exactly one "
                "(name each module's CSV in file_names for a parent-child job)",
                api_name="file_id",
                file_names=list(upload.csv_names),
            )
        return upload.csv_names[0]
    if not isinstance(names, list) or len(names) != 1 or not isinstance(names[0], str):
        raise invalid_data("file_names must list the one CSV file of this module", api_name="file_names")
    wanted = names[0]
    found = next((n for n in upload.csv_names if n == wanted or n.rsplit("/", 1)[-1] == wanted), None)
    if found is None:
        raise invalid_data(
            f"the zip holds no file named {wanted}",
            api_name="file_names",
            file_names=list(upload.csv_names),
        )
    return found


def _find_by(item: dict[str, Any], module: ModuleDef, ctx: _Context, first: bool) -> FieldDef | None:
    given = item.get("find_by")
    if given is None:
        if first and ctx.operation != "insert":
            raise mandatory("find_by", "Required key find_by is not available")
        return None
    f = module.field_ci(given) if isinstance(given, str) else None
    if f is None:
        raise ZohoError(
            "INVALID_FIELD", f"invalid find_by {given!r}: no such field", 400, {"api_name": "find_by"}
        )
    if not f.unique:
        raise invalid_data(
            f"invalid find_by {f.api_name}: it must be id or a unique field of {module.api_name}",
            api_name="find_by",
        )
    return f


def _mappings(item: dict[str, Any], module: ModuleDef, source: CsvFile, ctx: _Context) -> list[Mapping]:
    given = item.get("field_mappings")
    if given is None:
        if ctx.count > 1:
            raise mandatory(
                "field_mappings", "required key field_mappings is not found for a parent-child job."
            )
        mappings = auto_mappings(source.header, module, ctx.store, ctx.product)
    else:
        if not isinstance(given, list) or not given:
            raise invalid_data("field_mappings must be a non-empty array", api_name="field_mappings")
        if len(given) > MAX_COLUMNS:
            raise header_limit(len(given))
        columns = len(source.header)
        mappings = [explicit_mapping(m, module, columns, ctx.store, ctx.product) for m in given]
    check_unique_targets(mappings)
    return mappings


def _check_mandatory(module: ModuleDef, mappings: list[Mapping], operation: str) -> None:
    if operation != "insert":
        return
    mapped = {m.field.api_name for m in mappings if m.field is not None}
    missing = [f.api_name for f in module.fields if f.mandatory and f.api_name not in mapped]
    if missing:
        raise ZohoError(
            "MANDATORY_FIELDS_NOT_MAPPED",
            "All mandatory fields are not mapped for the layout",
            400,
            {"api_names": missing, "module": module.api_name},
        )


def _check_find_by_mapped(find_by: FieldDef | None, mappings: list[Mapping]) -> None:
    if find_by is None or any(m.field == find_by and m.index is not None for m in mappings):
        return
    raise mandatory("find_by", f"the find_by field {find_by.api_name} is not mapped to a CSV column")


def _parent_link(module: ModuleDef, mappings: list[Mapping], parent: Resource | None) -> Mapping | None:
    linked = [m for m in mappings if m.parent_column_index is not None]
    if parent is None:
        if linked:
            raise invalid_data(
                "parent_column_index belongs to child resources only", api_name="parent_column_index"
            )
        return None
    if len(linked) != 1:
        raise mandatory(
            "parent_column_index", f"exactly one mapping of {module.api_name} needs parent_column_index."
        )
    link = linked[0]
    if link.field is None or link.field.lookup != parent.module.api_name:
        raise invalid_data(
            f"parent_column_index must be on the field of {module.api_name} that points to "
            f"{parent.module.api_name}",
            api_name=link.api_name,
        )
    pci = link.parent_column_index
    if not isinstance(pci, int) or isinstance(pci, bool) or not 0 <= pci < len(parent.source.header):
        raise column_not_found(link.api_name, pci, len(parent.source.header))
    return link


def _check_family(module: ModuleDef, parent: Resource | None, seen: set[str]) -> None:
    if module.api_name in seen:
        raise invalid_data(
            f"module {module.api_name} appears twice; each module takes one CSV", api_name="module"
        )
    seen.add(module.api_name)
    if parent is not None and module.parent != parent.module.api_name:
        raise invalid_data(
            f"{module.api_name} is not a child of {parent.module.api_name}; the parent module comes first "
            "and the others must be its subforms or linking modules",
            api_name="module",
        )


def _resource(item: Any, ctx: _Context, parent: Resource | None, seen: set[str]) -> tuple[Resource, int]:
    if not isinstance(item, dict):
        raise invalid_data("every entry of resource must be an object", api_name="resource")
    if item.get("type") is None:
        raise mandatory("type")
    if item["type"] != "data":
        raise invalid_data(f"invalid type {item['type']!r}; the value is data", api_name="type")
    module = _module(item, ctx.store, ctx.product)
    _check_family(module, parent, seen)
    upload = _upload(item, ctx)
    source = read_csv(upload.content, _file_name(item, upload, ctx), ctx.encoding)
    if len(source.rows) > MAX_ROWS:
        raise ZohoError(
            "LIMIT_EXCEEDED",
            f"{source.name} has {len(source.rows)} records; a bulk write job takes at most {MAX_ROWS}",
            400,
            {"limit": MAX_ROWS, "file_name": source.name},
        )
    find_by = _find_by(item, module, ctx, parent is None)
    mappings = _mappings(item, module, source, ctx)
    _check_find_by_mapped(find_by, mappings)
    _check_mandatory(module, mappings, ctx.operation)
    link = _parent_link(module, mappings, parent)
    ignore = _flag(item, "ignore_empty", "the resource")
    resource = Resource(
        module, source, tuple(mappings), find_by, ctx.ignore_empty if ignore is None else ignore, link
    )
    return resource, upload.file_id


def parse_spec(body: Any, store: RecordStore, uploads: UploadStore, product: str) -> WriteSpec:
    if not isinstance(body, dict):
        raise invalid_data("the request body must be a JSON object")
    operation = _operation(body)
    callback = _callback(body)
    encoding = body.get("character_encoding")
    if encoding is not None:
        if not isinstance(encoding, str):
            raise invalid_data("character_encoding must be a string", api_name="character_encoding")
        check_encoding(encoding)
    items = body.get("resource")
    if items is None or items == []:
        raise mandatory("resource")
    if not isinstance(items, list):
        raise invalid_data("resource must be an array", api_name="resource")
    ignore = bool(_flag(body, "ignore_empty", "the job"))
    ctx = _Context(store, uploads, product, operation, encoding, ignore, len(items))
    resources: list[Resource] = []
    file_ids: set[int] = set()
    seen: set[str] = set()
    for item in items:
        resource, file_id = _resource(item, ctx, resources[0] if resources else None, seen)
        resources.append(resource)
        file_ids.add(file_id)
    if len(file_ids) > 1:
        raise ZohoError(
            "INVALID_FILE_ID",
            "improper file id: all resources of a job share one file_id",
            400,
            {"api_name": "file_id"},
        )
    return WriteSpec(operation, tuple(resources), callback, encoding or "UTF-8", file_ids.pop())
