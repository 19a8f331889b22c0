"""Column types that keep values honest across SQLite and PostgreSQL.

SQLite has no time zones: :class:`UTCDateTime` stores naive UTC there and hands back aware UTC
datetimes on both databases, and refuses naive datetimes on the way in so a local time can never be
stored as if it were UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

#: JSON everywhere, ``jsonb`` on PostgreSQL so operators can query inside it.
Json: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both databases."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = _aware(value).astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_for_driver(dialect: Dialect) -> Callable[[datetime | None], datetime | str | None]:
    """A :class:`UTCDateTime` value as the driver takes it, without SQLAlchemy's per-value machinery.

    On SQLite that is the text SQLAlchemy itself stores (``2026-06-01 10:00:00.000000``, UTC); on
    PostgreSQL the aware datetime. A naive datetime is refused as :class:`UTCDateTime` refuses it.
    """
    return sqlite_utc if dialect.name == "sqlite" else _aware_or_none


@overload
def sqlite_utc(value: datetime) -> str: ...
@overload
def sqlite_utc(value: None) -> None: ...
@overload
def sqlite_utc(value: datetime | None) -> str | None: ...
def sqlite_utc(value: datetime | None) -> str | None:
    """The text :class:`UTCDateTime` stores on SQLite: ``2026-06-01 10:00:00.000000``, UTC."""
    if value is None:
        return None
    if value.tzinfo is UTC:  # the common case, without building a second datetime
        return value.isoformat(" ", "microseconds")[:-6]
    return _aware(value).astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def copy_utc(value: datetime | None) -> str:
    """An aware datetime as a field of PostgreSQL's ``COPY`` text format (``\\N`` for none)."""
    return "\\N" if value is None else _aware(value).isoformat()


def _aware_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _aware(value)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} given to the state store; pass an aware one")
    return value


def utc_now() -> datetime:
    """The default clock of the store."""
    return datetime.now(UTC)
