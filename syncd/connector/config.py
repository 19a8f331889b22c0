"""The connector configuration base: a pydantic model whose secrets never show.

A connector declares its options as a :class:`ConnectorConfig` subclass. Fields typed
:data:`Secret` (pydantic's ``SecretStr``) are redacted in ``repr``, in JSON dumps, in validation
errors, in ``syncd connectors check`` output, and scrubbed from any error text syncd prints.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict, SecretBytes, SecretStr

from syncd.errors import ConfigError

Secret = SecretStr
"""Mark a config field as a secret: ``password: syncd.Secret``."""

REDACTED = "**********"

C = TypeVar("C", bound="ConnectorConfig")


class ConnectorConfig(BaseModel):
    """Base class of every connector's configuration model (unknown keys are errors)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


def load_config(config_class: type[C], options: Mapping[str, Any], *, connector: str) -> C:
    """Validate ``options`` into ``config_class``; errors name the connector and every bad key."""
    try:
        return config_class.model_validate(dict(options))
    except pydantic.ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        keys = ", ".join(_location(error) for error in exc.errors())
        raise ConfigError(
            f"connector {connector!r}: invalid configuration: {problems}", connector=connector, keys=keys
        ) from None


def _location(error: Mapping[str, Any]) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(top level)"


def _describe(error: Mapping[str, Any]) -> str:
    # Only the location and pydantic's message: the input may be a secret, so it is never echoed.
    return f"{_location(error)}: {error['msg']}"


def secret_values(value: object) -> Iterator[str]:
    """Every secret's plain value inside a config model (nested models, mappings and lists)."""
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, SecretBytes):
        yield value.get_secret_value().decode("utf-8", "replace")
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from secret_values(getattr(value, name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from secret_values(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from secret_values(item)


def redacted(config: BaseModel) -> dict[str, Any]:
    """The configuration as JSON-compatible values, secrets replaced by ``**********``."""
    return config.model_dump(mode="json")


def scrub(text: str, config: BaseModel | None) -> str:
    """``text`` with every secret of ``config`` replaced, for errors raised by connector code."""
    if config is None:
        return text
    for secret in sorted(set(secret_values(config)), key=len, reverse=True):
        if secret:
            text = text.replace(secret, REDACTED)
    return text
