"""The SQL connector's options (``[connectors.NAME]`` with ``type = "sql"``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from syncd import ConnectorConfig, Secret


class SqlStream(BaseModel):
    """One stream: one table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str
    table_schema: str | None = None
    """The database schema holding the table (PostgreSQL schema, MySQL database); the default one if unset."""
    key: list[str] = Field(min_length=1)
    """The column(s) identifying a row; they need a primary key or unique constraint for write-back."""
    updated_at: str | None = None
    """An updated-at column: reads are incremental by it (with ``overlap_seconds`` of overlap)."""
    deleted: str | None = None
    """A soft-delete column (a flag or a timestamp): rows where it is set are read as tombstones."""
    columns: list[str] | None = None
    """The columns to sync; all columns of supported types by default."""


class SqlConfig(ConnectorConfig):
    url: Secret
    """A SQLAlchemy URL, such as ``postgresql+psycopg://user:pass@host/db``; it is a secret."""
    streams: dict[str, SqlStream] = Field(min_length=1)
    overlap_seconds: float = Field(default=300.0, ge=0)
    """Incremental reads start this long before the cursor, for transactions that commit late."""
    batch_size: int = Field(default=1000, ge=1, le=100_000)
    """Rows per page when reading and per statement when writing."""
    timezone: str = "UTC"
    """The time zone of timestamp columns without one."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value
