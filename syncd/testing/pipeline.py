"""What the end-to-end checks need: a stream's mapping to a CRM module, a configuration, the CRM's view.

A connector author sets the mapping by overriding the ``pipeline_mapping`` fixture::

    @pytest.fixture
    def pipeline_mapping(self) -> PipelineMapping:
        return PipelineMapping(
            stream="items",
            module="Contacts",
            find_by="Customer_Number",
            fields={"Customer_Number": "id", "Last_Name": "name", "Credit_Limit": "price"},
        )

Without it, :func:`default_mapping` picks the first stream with a one-field integer or text key.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx

from syncd.config import SyncdConfig
from syncd.connector import FieldType, StreamSpec
from syncd.emulator import EmulatorSettings
from syncd.engine.model import Direction

# Where a stream goes by default, by the type of its key: module, its unique find_by field, its name field.
_DEFAULT_MODULES = {
    FieldType.INTEGER: ("Contacts", "Customer_Number", "Last_Name"),
    FieldType.STRING: ("Products", "Product_Code", "Product_Name"),
}


@dataclass(frozen=True)
class PipelineMapping:
    """How the end-to-end checks sync ``stream``: into ``module``, matched by ``find_by``.

    ``fields`` maps CRM field -> source field, as ``[pipelines.X.fields]`` does, and must include
    ``find_by``. ``direction`` defaults to both ways when the stream has write-back, else push.
    """

    stream: str
    module: str
    find_by: str
    fields: Mapping[str, str]
    direction: Direction | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # more [pipelines.X] keys

    def __post_init__(self) -> None:
        if self.find_by not in self.fields:
            raise ValueError(f"pipeline mapping: find_by {self.find_by!r} must be one of the mapped fields")

    def direction_for(self, spec: StreamSpec) -> Direction:
        if self.direction is not None:
            return self.direction
        return Direction.BOTH if spec.capabilities.write else Direction.PUSH

    @property
    def key_field(self) -> str:
        """The source field the CRM's ``find_by`` field holds."""
        return self.fields[self.find_by]


def default_mapping(specs: Sequence[StreamSpec]) -> PipelineMapping | None:
    """The first stream with a one-field integer or text key, into Contacts or Products."""
    for spec in specs:
        mapping = _default_for(spec)
        if mapping is not None:
            return mapping
    return None


def _default_for(spec: StreamSpec) -> PipelineMapping | None:
    if len(spec.key) != 1 or spec.field_map[spec.key[0]].type not in _DEFAULT_MODULES:
        return None
    key = spec.key[0]
    module, find_by, name_field = _DEFAULT_MODULES[spec.field_map[key].type]
    texts = [
        f.name for f in spec.fields if f.type is FieldType.STRING and f.name not in {key, spec.cursor_field}
    ]
    if not texts and spec.field_map[key].type is not FieldType.STRING:
        return None
    return PipelineMapping(spec.name, module, find_by, {find_by: key, name_field: (texts or [key])[0]})


def pipeline_config(
    connector_type: str,
    options: Mapping[str, Any],
    mapping: PipelineMapping,
    spec: StreamSpec,
    *,
    emulator_url: str,
    emulator: EmulatorSettings,
    state: Path,
) -> SyncdConfig:
    """A configuration with one connector and one pipeline, ``contract``, into the emulator."""
    pipeline = {
        "connector": "contract",
        "stream": mapping.stream,
        "module": mapping.module,
        "find_by": mapping.find_by,
        "fields": dict(mapping.fields),
        "direction": mapping.direction_for(spec).value,
        **mapping.options,
    }
    zoho = {
        "accounts_url": emulator_url,
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "refresh_token": emulator.refresh_token,
    }
    config = SyncdConfig.model_validate(
        {
            "state": {"url": f"sqlite:///{state}"},
            "zoho": zoho,
            "connectors": {"contract": {"type": connector_type, "options": dict(options)}},
            "pipelines": {"contract": pipeline},
        }
    )
    problems = config.problems()
    if problems:
        raise ValueError(f"the pipeline mapping does not make a valid configuration: {problems}")
    return config


class EmulatorAdmin:
    """The emulator's admin API, as the end-to-end checks use it to look at and change the CRM."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = httpx.request(method, f"{self.url}/__emulator__{path}", timeout=30, **kwargs)
        answer.raise_for_status()
        return answer

    def records(self, module: str) -> list[dict[str, Any]]:
        lines = self._call("GET", f"/records/{module}").text.splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def add(self, module: str, records: Sequence[Mapping[str, Any]]) -> list[str]:
        """Create records as a CRM user would (REST JSON form); their ids."""
        ids: list[str] = self._call("POST", f"/records/{module}", json={"records": list(records)}).json()[
            "ids"
        ]
        return ids

    def update(self, module: str, record_id: str, values: Mapping[str, Any]) -> None:
        self._call("PATCH", f"/records/{module}/{record_id}", json=dict(values))

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self._call("GET", "/stats").json()
        return stats

    def write_jobs(self) -> int:
        return sum(self.stats()["jobs"].get("write", {}).values())

    def advance_clock(self, seconds: float) -> None:
        self._call("POST", "/clock/advance", json={"seconds": seconds})


def same_value(source: Any, crm: Any) -> bool:
    """Whether a source value and the CRM's JSON for it mean the same (numbers, dates, blank text)."""
    if _blank(source) or _blank(crm):
        return _blank(source) and _blank(crm)
    if isinstance(source, bool) or isinstance(crm, bool):
        return source is crm
    if isinstance(source, int | float | Decimal):
        return _number(source) == _number(crm)
    if isinstance(source, dt.datetime):
        return _utc(source) == _utc(dt.datetime.fromisoformat(str(crm)))
    if isinstance(source, dt.date):
        return source.isoformat() == str(crm)
    return str(source).strip() == str(crm).strip()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)).normalize()
    except InvalidOperation:
        return None


def _utc(value: dt.datetime) -> dt.datetime:
    aware = value if value.utcoffset() is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).replace(microsecond=0)
