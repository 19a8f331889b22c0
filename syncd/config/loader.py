"""Read ``syncd.toml``: parse, resolve references, validate, and say precisely what is wrong.

Every problem becomes one line of a :class:`~syncd.errors.ConfigError`: the file, the dotted key
and the problem, e.g. ``/etc/syncd/syncd.toml: pipelines.contacts.direction: expected one of
'push', 'pull', 'both' (got 'pushh')``. Values of secret-looking keys are never echoed.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from syncd.config.model import SyncdConfig
from syncd.config.resolve import Location, Problems, resolve
from syncd.errors import ConfigError
from syncd.store.database import default_database_url

_SECRET_KEY = re.compile(r"secret|token|password|passwd|credential|private", re.IGNORECASE)
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known key",
}


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> SyncdConfig:
    """Load and check the configuration file at ``path`` (environment: ``os.environ`` by default)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ConfigError(f"{path}: cannot read the configuration file: {reason}") from None
    return parse_config(text, source=path, environ=environ)


def parse_config(text: str, *, source: Path, environ: Mapping[str, str] | None = None) -> SyncdConfig:
    """Check configuration ``text``; ``source`` names it in errors and anchors relative ``*_file`` paths."""
    environ = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None
    problems: Problems = []
    resolved = resolve(raw, environ, source.parent, problems)
    _fail_on(problems, source)
    resolved.setdefault("state", {}).setdefault("url", default_state_url(environ))
    try:
        config = SyncdConfig.model_validate(resolved)
    except ValidationError as error:
        problems = [_problem(detail) for detail in error.errors()]
    else:
        problems = config.problems()
    _fail_on(problems, source)
    return _anchored(config, source.parent)


def _anchored(config: SyncdConfig, directory: Path) -> SyncdConfig:
    """Relative paths in the model are relative to the configuration file."""
    seed = config.zoho.emulator_seed
    if seed is None or seed.is_absolute():
        return config
    zoho = config.zoho.model_copy(update={"emulator_seed": directory / seed})
    return config.model_copy(update={"zoho": zoho})


def default_state_url(environ: Mapping[str, str]) -> str:
    """SQLite in the state directory: systemd's ``$STATE_DIRECTORY``, else the XDG state home."""
    return default_database_url(environ)


def _fail_on(problems: Problems, source: Path) -> None:
    if problems:
        lines = [f"{source}: {dotted(location)}: {problem}" for location, problem in problems]
        raise ConfigError("\n".join(lines))


def dotted(location: Location) -> str:
    """A key path as TOML spells it: ``pipelines.contacts.fields."Account_Name.id"``."""
    parts = [str(part) if _BARE_KEY.match(str(part)) else f'"{part}"' for part in location]
    return ".".join(parts) or "(top level)"


def _problem(detail: ErrorDetails) -> tuple[Location, str]:
    location = tuple(part for part in detail["loc"] if not _is_tag(part))
    message = _MESSAGES.get(detail["type"], detail["msg"])
    message = message.removeprefix("Value error, ")
    if detail["type"] not in _MESSAGES and _may_echo(location, detail.get("input")):
        message += f" (got {detail['input']!r})"
    return location, message


def _is_tag(part: str | int) -> bool:
    # Tagged unions add the member's tag to the location; the operator never wrote it.
    return part in {"SourceField", "Constant", "PipelineLookup", "FindByLookup"}


def _may_echo(location: Location, value: Any) -> bool:
    if not isinstance(value, str | int | float | bool) or len(str(value)) > 80:
        return False
    return not any(_SECRET_KEY.search(str(part)) for part in location)
