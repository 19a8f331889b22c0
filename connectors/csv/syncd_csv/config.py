"""The CSV connector's options (``[connectors.NAME]`` with ``type = "csv"``)."""

from __future__ import annotations

import codecs
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from syncd import ConnectorConfig, FieldType


class CsvStream(BaseModel):
    """One stream: one CSV file in the directory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str | None = None
    """The file name inside ``directory``; ``<stream>.csv`` by default."""
    key: list[str] = Field(min_length=1)
    """The column(s) that identify a row."""
    fields: dict[str, FieldType] = {}
    """Types of columns that are not strings: ``{ age = "integer", born = "date" }``."""
    updated_at: str | None = None
    """A timestamp column: reads are incremental by it. Without it, reads compare row fingerprints."""

    @field_validator("file")
    @classmethod
    def _plain_file_name(cls, value: str | None) -> str | None:
        if value is not None and (Path(value).name != value or value in {".", ".."}):
            raise ValueError("must be a file name inside `directory`, without a path")
        return value


class CsvConfig(ConnectorConfig):
    directory: Path
    """The folder holding one CSV file per stream."""
    streams: dict[str, CsvStream] = Field(min_length=1)
    encoding: str = "utf-8-sig"
    """The files' text encoding; the default reads UTF-8 with or without a byte-order mark."""
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    timezone: str = "UTC"
    """The time zone of timestamps written without an offset."""

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def file_of(self, stream: str) -> Path:
        return self.directory / (self.streams[stream].file or f"{stream}.csv")
