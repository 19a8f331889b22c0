"""Field metadata (``GET /crm/v{N}/settings/fields?module=M``) parsed into :class:`FieldMeta` and cached."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from syncd.zoho.fields import FieldMeta


def parse_field(raw: Mapping[str, Any]) -> FieldMeta:
    """One entry of the ``fields`` array; unknown keys are ignored, missing ones take defaults."""
    picklist = raw.get("pick_list_values") or []
    lookup = raw.get("lookup") or {}
    lookup_module = lookup.get("module") if isinstance(lookup, Mapping) else None
    if isinstance(lookup_module, Mapping):
        lookup_module = lookup_module.get("api_name")
    return FieldMeta(
        api_name=str(raw["api_name"]),
        data_type=str(raw.get("data_type", "text")),
        length=_int_or_none(raw.get("length")),
        mandatory=bool(raw.get("system_mandatory") or raw.get("mandatory")),
        unique=_is_unique(raw.get("unique")),
        read_only=bool(raw.get("read_only") or raw.get("field_read_only")),
        picklist_values=tuple(
            str(item.get("actual_value", item.get("display_value")))
            for item in picklist
            if isinstance(item, Mapping)
        ),
        lookup_module=str(lookup_module) if lookup_module else None,
        decimal_places=_int_or_none(raw.get("decimal_place")),
    )


def parse_fields(payload: Any) -> dict[str, FieldMeta]:
    items = payload.get("fields", []) if isinstance(payload, Mapping) else []
    return {
        meta.api_name: meta for meta in (parse_field(item) for item in items if isinstance(item, Mapping))
    }


def _is_unique(value: Any) -> bool:
    if isinstance(value, Mapping):
        return bool(value)
    return bool(value)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class FieldCatalog:
    """Field metadata per module, fetched once and kept for ``ttl`` (admins do edit layouts)."""

    def __init__(
        self,
        fetch: Callable[[str], dict[str, FieldMeta]],
        *,
        ttl: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[datetime, dict[str, FieldMeta]]] = {}
        self._lock = threading.Lock()

    def fields(self, module: str) -> dict[str, FieldMeta]:
        with self._lock:
            entry = self._entries.get(module)
            if entry is not None and self._clock() - entry[0] < self._ttl:
                return entry[1]
        fetched = self._fetch(module)
        with self._lock:
            self._entries[module] = (self._clock(), fetched)
        return fetched

    def forget(self, module: str | None = None) -> None:
        with self._lock:
            if module is None:
                self._entries.clear()
            else:
                self._entries.pop(module, None)
