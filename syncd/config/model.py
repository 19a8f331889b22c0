"""The typed configuration: what ``syncd.toml`` may say, with defaults and checks.

``config/syncd.example.toml`` documents every key; a test keeps the two in step. Loading (with
``${ENV}``, ``*_file`` and systemd credentials) is in :mod:`syncd.config.loader`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    NonNegativeInt,
    PlainValidator,
    PositiveInt,
    SecretStr,
    Tag,
    field_validator,
    model_validator,
)

from syncd.config.schedule import Interval, Schedule, format_duration, parse_duration, parse_schedule
from syncd.engine.diff import DiffPolicy
from syncd.engine.model import ConflictPolicy, DeletePolicy, Direction, WritePath
from syncd.engine.plan import Budget, CostTable

Location = tuple[str | int, ...]
Problems = list[tuple[Location, str]]

Duration = Annotated[timedelta, PlainValidator(parse_duration)]
ScheduleField = Annotated[Schedule, PlainValidator(parse_schedule)]
Name = Annotated[str, Field(min_length=1)]
Url = Annotated[str, Field(pattern=r"^https?://\S+$")]
_SCALARS = (str, bool, int, float, date, datetime, time)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StateConfig(_Section):
    url: Name  # the loader fills in SQLite under the state directory when the file says nothing


class ZohoConfig(_Section):
    product: Literal["crm", "bigin"] = "crm"
    data_centre: Literal["us", "eu", "in", "au", "cn", "jp", "ca", "sa"] = "us"
    environment: Literal["production", "sandbox", "developer"] = "production"
    api_version: Annotated[str, Field(pattern=r"^v\d+(\.\d+)?$")] = "v8"
    accounts_url: Url | None = None
    api_url: Url | None = None
    upload_url: Url | None = None
    client_id: Name | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    emulator: bool = False
    emulator_seed: Path | None = None  # relative to the configuration file
    # Waiting for a bulk job: the first status poll's delay, doubling up to poll_max, for job_timeout.
    poll_initial: Duration = timedelta(milliseconds=250)
    poll_max: Duration = timedelta(seconds=30)
    job_timeout: Duration = timedelta(hours=6)

    def problems(self) -> Problems:
        found = self._polling_problems()
        if self.emulator_seed is not None and not self.emulator:
            return [
                *found,
                (("zoho", "emulator_seed"), "seeds the embedded emulator: set emulator = true too"),
            ]
        return found + self._access_problems()

    def _polling_problems(self) -> Problems:
        if self.poll_max >= self.poll_initial:
            return []
        return [
            (
                ("zoho", "poll_max"),
                f"must not be shorter than poll_initial ({format_duration(self.poll_initial)})",
            )
        ]

    def _access_problems(self) -> Problems:
        if self.emulator:
            urls = [name for name in ("accounts_url", "api_url", "upload_url") if getattr(self, name)]
            return [
                (("zoho", name), "emulator = true starts the embedded emulator at its own URLs")
                for name in urls
            ]
        return [
            (("zoho", name), f"is required (set {name}, {name}_file or the systemd credential zoho_{name})")
            for name in ("client_id", "client_secret", "refresh_token")
            if getattr(self, name) is None
        ]


class CreditCosts(_Section):
    """Credits per operation; Zoho's published prices by default."""

    bulk_write_job: NonNegativeInt = 500
    bulk_read_job: NonNegativeInt = 50
    rest_upsert_per_10: NonNegativeInt = 1
    call: NonNegativeInt = 1

    def table(self) -> CostTable:
        return CostTable(**self.model_dump())


class CreditsConfig(_Section):
    daily_limit: PositiveInt = 50_000
    reserve: NonNegativeInt = 5_000
    costs: CreditCosts = CreditCosts()

    def budget(self, spent: int) -> Budget:
        return Budget(self.daily_limit, self.reserve, spent)

    def problems(self) -> Problems:
        if self.reserve < self.daily_limit:
            return []
        return [(("credits", "reserve"), f"must be less than daily_limit ({self.daily_limit})")]


class ConnectorConfig(_Section):
    """``type`` names the connector; every other key is its own option, checked by the connector."""

    type: Name
    options: dict[str, Any] = Field(default_factory=dict, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _collect_options(cls, data: Any) -> Any:
        if isinstance(data, dict) and "options" not in data:
            return {"type": data.get("type"), "options": {k: v for k, v in data.items() if k != "type"}}
        return data


def _scalar(value: Any) -> Any:
    if (
        value is None
        or isinstance(value, _SCALARS)
        or (isinstance(value, list) and all(isinstance(item, _SCALARS) for item in value))
    ):
        return value
    raise ValueError(f"expected a plain value (text, number, boolean, date or a list of them), got {value!r}")


Scalar = Annotated[Any, PlainValidator(_scalar)]


class SourceField(_Section):
    """The CRM field takes the source field ``source``; ``default`` when that is empty."""

    source: Name
    default: Scalar = None


class Constant(_Section):
    """The CRM field always takes ``constant``."""

    constant: Scalar


class PipelineLookup(_Section):
    """A lookup id found through another pipeline's ID map.

    ``Account_Name.id = { pipeline = "accounts", key = "company_id" }``: the CRM id of the record
    that pipeline ``accounts`` synced from the source key held in this record's ``company_id``.
    """

    pipeline: Name
    key: Name


class FindByLookup(_Section):
    """A lookup Zoho resolves itself: the looked-up record whose ``find_by`` field equals ``source``."""

    find_by: Name
    source: Name


_SPEC_KEYS = {"source", "default", "constant", "pipeline", "key", "find_by"}


def _spec_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return type(value).__name__
    if not isinstance(value, dict):
        return None
    for marker, kind in (
        ("constant", "Constant"),
        ("pipeline", "PipelineLookup"),
        ("find_by", "FindByLookup"),
    ):
        if marker in value:
            return kind
    return "SourceField" if "source" in value else None


def _shorthand(value: Any) -> Any:
    return {"source": value} if isinstance(value, str) else value


FieldSpec = Annotated[
    Annotated[SourceField, Tag("SourceField")]
    | Annotated[Constant, Tag("Constant")]
    | Annotated[PipelineLookup, Tag("PipelineLookup")]
    | Annotated[FindByLookup, Tag("FindByLookup")],
    Discriminator(
        _spec_kind,
        custom_error_type="field_mapping",
        custom_error_message=(
            "expected a source field name, or a table with source (and default), constant, "
            "pipeline and key, or find_by and source"
        ),
    ),
    BeforeValidator(_shorthand),
]


def _flatten_fields(fields: Any, prefix: str = "") -> Any:
    """``Account_Name.id = {...}`` written unquoted is a nested table in TOML; take it as one name."""
    if not isinstance(fields, dict):
        return fields
    flat: dict[str, Any] = {}
    for name, spec in fields.items():
        if isinstance(spec, dict) and spec and not spec.keys() & _SPEC_KEYS:
            flat.update(_flatten_fields(spec, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = spec
    return flat


class PipelineConfig(_Section):
    connector: Name
    stream: Name
    module: Name
    direction: Direction = Direction.BOTH
    find_by: Name
    fields: Annotated[dict[str, FieldSpec], BeforeValidator(_flatten_fields), Field(min_length=1)]
    conflict_policy: ConflictPolicy = ConflictPolicy.NEWEST_WINS
    delete_policy: DeletePolicy = DeletePolicy.OFF
    max_delete_share: Annotated[float, Field(ge=0, le=1)] = 0.1
    schedule: ScheduleField = Interval(timedelta(minutes=15))
    full_snapshot_every: Duration = timedelta(days=1)
    path: WritePath = WritePath.AUTO

    @field_validator("fields")
    @classmethod
    def _names_are_not_empty(cls, fields: dict[str, Any]) -> dict[str, Any]:
        if any(not name.strip() for name in fields):
            raise ValueError("a CRM field name may not be empty")
        return fields

    def diff_policy(self, *, allow_mass_delete: bool = False) -> DiffPolicy:
        return DiffPolicy(
            self.direction, self.conflict_policy, self.delete_policy, self.max_delete_share, allow_mass_delete
        )

    def problems(self, name: str, pipelines: set[str], connectors: set[str]) -> Problems:
        at: Location = ("pipelines", name)
        found: Problems = []
        if self.connector not in connectors:
            found.append(
                ((*at, "connector"), f"no connector {self.connector!r} is configured under [connectors]")
            )
        if self.direction is not Direction.PULL and self.find_by != "id" and self.find_by not in self.fields:
            found.append(((*at, "find_by"), f"{self.find_by!r} must be one of the mapped fields (or 'id')"))
        for field, spec in self.fields.items():
            if isinstance(spec, PipelineLookup):
                found.extend(_lookup_problems((*at, "fields", field), field, spec, name, pipelines))
        return found


def _lookup_problems(
    at: Location, field: str, spec: PipelineLookup, own: str, pipelines: set[str]
) -> Problems:
    if spec.pipeline not in pipelines or spec.pipeline == own:
        return [((*at, "pipeline"), f"no other pipeline named {spec.pipeline!r}")]
    if not field.lower().endswith(".id"):
        return [(at, f"a lookup through a pipeline yields a record id: name the column '{field}.id'")]
    return []


Host = Annotated[str, Field(min_length=1)]


class DaemonConfig(_Section):
    """``syncd run``: stopping, leases shared by replicas, the metrics port, Zoho's job callbacks."""

    stop_timeout: Duration = timedelta(seconds=60)
    lease_ttl: Duration = timedelta(minutes=2)
    holder: Name | None = None  # default: hostname:pid
    metrics_host: Host = "127.0.0.1"
    metrics_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    callback_host: Host = "127.0.0.1"
    callback_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    callback_token: SecretStr | None = None
    callback_public_url: Url | None = None

    def problems(self) -> Problems:
        if self.callback_port is None:
            return []
        missing = [name for name in ("callback_token", "callback_public_url") if getattr(self, name) is None]
        return [(("daemon", name), "is required when callback_port is set") for name in missing]


class SyncdConfig(_Section):
    state: StateConfig
    zoho: ZohoConfig
    credits: CreditsConfig = CreditsConfig()
    connectors: dict[str, ConnectorConfig] = {}
    pipelines: dict[str, PipelineConfig] = {}
    daemon: DaemonConfig = DaemonConfig()

    def problems(self) -> Problems:
        """What the sections cannot check alone: references between them, required credentials."""
        found = [*self.zoho.problems(), *self.credits.problems(), *self.daemon.problems()]
        pipelines, connectors = set(self.pipelines), set(self.connectors)
        for name, pipeline in self.pipelines.items():
            found.extend(pipeline.problems(name, pipelines, connectors))
        return found
