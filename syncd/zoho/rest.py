"""The REST calls syncd needs beside the bulk APIs: upsert, delete, changed and deleted records, org."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncd.errors import ConfigError, ZohoAPIError
from syncd.zoho import limits
from syncd.zoho.errors import record_code_is_retryable
from syncd.zoho.fields import FieldMeta
from syncd.zoho.metadata import parse_fields
from syncd.zoho.session import Charge, ZohoSession


@dataclass(frozen=True)
class Org:
    id: str
    zgid: str
    name: str | None = None


@dataclass(frozen=True)
class UpsertOutcome:
    """One record's result, in input order: ``action`` insert/update on success, ``code`` on failure."""

    index: int
    ok: bool
    action: str | None
    record_id: str | None
    code: str
    message: str
    field: str | None = None

    @property
    def retryable(self) -> bool:
        return not self.ok and record_code_is_retryable(self.code)


@dataclass(frozen=True)
class DeleteOutcome:
    """One id's result, in input order. ``INVALID_DATA`` means Zoho holds no record with that id."""

    index: int
    record_id: str
    ok: bool
    code: str
    message: str

    @property
    def unknown(self) -> bool:
        """Zoho has no such record (never had, or it is deleted already)."""
        return not self.ok and self.code == "INVALID_DATA"

    @property
    def retryable(self) -> bool:
        return not self.ok and record_code_is_retryable(self.code)


@dataclass(frozen=True)
class DeletedRecord:
    id: str
    deleted_time: str | None
    type: str
    display_name: str | None = None


class RestApi:
    def __init__(self, session: ZohoSession) -> None:
        self._session = session
        self._endpoints = session.endpoints
        self._org: Org | None = None
        self._lock = threading.Lock()

    # -- org and fields --------------------------------------------------------------------------------

    def org(self) -> Org:
        """The org (cached): its ``zgid`` goes into ``X-CRM-ORG`` on uploads."""
        with self._lock:
            if self._org is None:
                self._org = self._fetch_org()
            return self._org

    def zgid(self) -> str:
        return self.org().zgid

    def _fetch_org(self) -> Org:
        answer = self._session.call("GET", self._endpoints.rest_path("org"), what="read the org")
        orgs = answer.payload.get("org") if isinstance(answer.payload, Mapping) else None
        if not orgs or not isinstance(orgs[0], Mapping):
            raise ZohoAPIError("Zoho's org answer named no org", code="NO_ORG")
        org = orgs[0]
        zgid = org.get("zgid")
        if zgid in (None, ""):
            raise ZohoAPIError("Zoho's org answer has no zgid (needed for X-CRM-ORG)", code="NO_ZGID")
        return Org(id=str(org.get("id", zgid)), zgid=str(zgid), name=org.get("company_name"))

    def fields(self, module: str) -> dict[str, FieldMeta]:
        answer = self._session.call(
            "GET",
            self._endpoints.rest_path("settings", "fields"),
            params={"module": module},
            what=f"read the field metadata of {module}",
            context={"module": module},
        )
        return parse_fields(answer.payload)

    # -- upsert ----------------------------------------------------------------------------------------

    def upsert(
        self,
        module: str,
        records: Sequence[Mapping[str, Any]],
        *,
        duplicate_check_fields: Sequence[str] = (),
        trigger: Sequence[str] | None = (),
    ) -> list[UpsertOutcome]:
        """Upsert in chunks of 100; outcomes in input order. ``trigger=()`` runs no workflows."""
        outcomes: list[UpsertOutcome] = []
        for start in range(0, len(records), limits.UPSERT_CHUNK):
            chunk = records[start : start + limits.UPSERT_CHUNK]
            outcomes.extend(self._upsert_chunk(module, chunk, start, duplicate_check_fields, trigger))
        return outcomes

    def _upsert_chunk(
        self,
        module: str,
        chunk: Sequence[Mapping[str, Any]],
        offset: int,
        duplicate_check_fields: Sequence[str],
        trigger: Sequence[str] | None,
    ) -> list[UpsertOutcome]:
        body: dict[str, Any] = {"data": [dict(record) for record in chunk]}
        if duplicate_check_fields:
            body["duplicate_check_fields"] = list(duplicate_check_fields)
        path = self._endpoints.rest_path(module, "upsert")
        return self._write_chunk("POST", path, module, "upsert", body, offset, trigger)

    def update(
        self, module: str, records: Sequence[Mapping[str, Any]], *, trigger: Sequence[str] | None = ()
    ) -> list[UpsertOutcome]:
        """Update records named by their ``id`` (``PUT /{module}``) in chunks of 100; outcomes in
        input order, ``action`` ``"update"`` on success. Unlike an upsert it may change a unique field
        (a new email address), and never creates a record. Costs as an upsert does."""
        outcomes: list[UpsertOutcome] = []
        for start in range(0, len(records), limits.UPSERT_CHUNK):
            body = {"data": [dict(record) for record in records[start : start + limits.UPSERT_CHUNK]]}
            path = self._endpoints.rest_path(module)
            outcomes.extend(self._write_chunk("PUT", path, module, "update", body, start, trigger))
        return outcomes

    def _write_chunk(
        self,
        method: str,
        path: str,
        module: str,
        operation: str,
        body: dict[str, Any],
        offset: int,
        trigger: Sequence[str] | None,
    ) -> list[UpsertOutcome]:
        if trigger is not None:
            body["trigger"] = list(trigger)
        count = len(body["data"])
        answer = self._session.call(
            method,
            path,
            json=body,
            ok=(200, 201, 207, 400),
            what=f"{operation} {count} {module} records",
            charge=Charge.BOOKED,  # the engine reserves a credit per 10 records
            context={"module": module},
        )
        items = answer.payload.get("data") if isinstance(answer.payload, Mapping) else None
        if not isinstance(items, list) or len(items) != count:
            raise _whole_request_refused(answer.payload, module, answer.status, operation)
        default_action = "update" if operation == "update" else None
        return [_upsert_outcome(offset + i, item, default_action) for i, item in enumerate(items)]

    # -- delete ----------------------------------------------------------------------------------------

    def delete(
        self, module: str, ids: Sequence[str], *, trigger_workflows: bool = False
    ) -> list[DeleteOutcome]:
        """Delete records (to the recycle bin) in chunks of 100 ids; outcomes in input order."""
        outcomes: list[DeleteOutcome] = []
        for start in range(0, len(ids), limits.DELETE_CHUNK):
            chunk = [str(record_id) for record_id in ids[start : start + limits.DELETE_CHUNK]]
            outcomes.extend(self._delete_chunk(module, chunk, start, trigger_workflows))
        return outcomes

    def _delete_chunk(
        self, module: str, chunk: Sequence[str], offset: int, trigger_workflows: bool
    ) -> list[DeleteOutcome]:
        answer = self._session.call(
            "DELETE",
            self._endpoints.rest_path(module),
            params={"ids": ",".join(chunk), "wf_trigger": str(trigger_workflows).lower()},
            ok=(200, 207, 400),
            what=f"delete {len(chunk)} {module} records",
            charge=Charge.BOOKED,  # the engine reserves a credit per call
            context={"module": module},
        )
        items = answer.payload.get("data") if isinstance(answer.payload, Mapping) else None
        if not isinstance(items, list) or len(items) != len(chunk):
            raise _whole_request_refused(answer.payload, module, answer.status, "delete")
        return [
            _delete_outcome(offset + i, record_id, item)
            for i, (record_id, item) in enumerate(zip(chunk, items, strict=True))
        ]

    # -- changes ---------------------------------------------------------------------------------------

    def modified_since(
        self, module: str, since: datetime | None, fields: Sequence[str]
    ) -> Iterator[dict[str, Any]]:
        """Records modified at or after ``since`` (``If-Modified-Since``), following page tokens."""
        if not fields:
            raise ConfigError(f"reading {module} records needs a field list (Zoho v8 requires one)")
        headers = {"If-Modified-Since": _offset_time(since)} if since else {}
        params: dict[str, Any] = {"fields": ",".join(fields), "per_page": limits.REST_PAGE_SIZE, "page": 1}
        while True:
            payload, info = self._page(module, params, headers)
            yield from (record for record in payload if isinstance(record, dict))
            if not info.get("more_records"):
                return
            params = _next_params(params, info)

    def deleted(
        self, module: str, *, since: datetime | None = None, kind: str = "all"
    ) -> Iterator[DeletedRecord]:
        """Deleted records (recycle bin 60 days, permanent 120 days), newest first as Zoho lists them."""
        if kind not in ("all", "recycle", "permanent"):
            raise ConfigError(f"deleted records type must be all, recycle or permanent, not {kind!r}")
        headers = {"If-Modified-Since": _offset_time(since)} if since else {}
        params: dict[str, Any] = {"type": kind, "per_page": limits.REST_PAGE_SIZE, "page": 1}
        while True:
            payload, info = self._page(module, params, headers, suffix="deleted")
            for item in payload:
                if isinstance(item, Mapping) and item.get("id") is not None:
                    yield DeletedRecord(
                        str(item["id"]),
                        item.get("deleted_time"),
                        str(item.get("type", kind)),
                        item.get("display_name"),
                    )
            if not info.get("more_records"):
                return
            params = _next_params(params, info)

    def _page(
        self, module: str, params: Mapping[str, Any], headers: Mapping[str, str], suffix: str | None = None
    ) -> tuple[list[Any], Mapping[str, Any]]:
        path = self._endpoints.rest_path(module, suffix) if suffix else self._endpoints.rest_path(module)
        answer = self._session.call(
            "GET",
            path,
            params=dict(params),
            headers=dict(headers),
            ok=(200, 204, 304),
            what=f"list {suffix or 'modified'} {module} records",
            context={"module": module},
        )
        if answer.status in (204, 304) or not isinstance(answer.payload, Mapping):
            return [], {}
        data = answer.payload.get("data") or []
        info = answer.payload.get("info") or {}
        return (data if isinstance(data, list) else []), (info if isinstance(info, Mapping) else {})


def _next_params(params: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
    following = dict(params)
    token = info.get("next_page_token")
    if token:
        following.pop("page", None)
        following["page_token"] = token
    else:
        following["page"] = int(info.get("page") or following.get("page", 1)) + 1
    return following


def _offset_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ConfigError("If-Modified-Since needs a timezone-aware time")
    return moment.replace(microsecond=0).isoformat()


def _upsert_outcome(index: int, item: Any, default_action: str | None = None) -> UpsertOutcome:
    item = item if isinstance(item, Mapping) else {}
    details = item.get("details") if isinstance(item.get("details"), Mapping) else {}
    assert isinstance(details, Mapping)
    ok = str(item.get("status", "")).lower() == "success"
    record_id = details.get("id")
    return UpsertOutcome(
        index=index,
        ok=ok,
        action=item.get("action") or (default_action if ok else None),
        record_id=str(record_id) if ok and record_id is not None else None,
        code=str(item.get("code", "UNKNOWN")),
        message=str(item.get("message", "")),
        field=None if ok else details.get("api_name"),
    )


def _delete_outcome(index: int, record_id: str, item: Any) -> DeleteOutcome:
    item = item if isinstance(item, Mapping) else {}
    details = item.get("details") if isinstance(item.get("details"), Mapping) else {}
    assert isinstance(details, Mapping)
    answered_id = str(details.get("id", record_id))
    ok = str(item.get("status", "")).lower() == "success" and answered_id == record_id
    return DeleteOutcome(
        index=index,
        record_id=record_id,
        ok=ok,
        code=str(item.get("code", "UNKNOWN")),
        message=str(item.get("message", "")),
    )


def _whole_request_refused(payload: Any, module: str, status: int, operation: str) -> ZohoAPIError:
    body = payload if isinstance(payload, Mapping) else {}
    code = str(body.get("code", "UNEXPECTED_ANSWER"))
    return ZohoAPIError(
        f"Zoho refused the {module} {operation}: {code} ({body.get('message', 'no per-record results')})",
        code=code,
        http_status=status,
        details=body.get("details") if isinstance(body.get("details"), Mapping) else None,
        module=module,
    )
