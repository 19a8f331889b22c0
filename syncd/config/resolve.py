"""Turn the TOML as written into the values it means: ``${ENV}``, ``*_file`` keys, systemd credentials.

* ``${NAME}`` in any string is replaced by the environment variable (``${NAME:-fallback}`` when it
  may be unset; ``$$`` is a literal ``$``).
* ``client_secret_file = "/path"`` reads ``client_secret`` from that file (trailing newline removed;
  a relative path is relative to the config file). Works for every key, connectors' included.
* Under systemd, ``[zoho]`` credentials not given in the file are read from
  ``$CREDENTIALS_DIRECTORY/zoho_client_id``, ``zoho_client_secret`` and ``zoho_refresh_token``
  (``LoadCredential=`` / ``LoadCredentialEncrypted=`` in the unit).

Problems are collected as ``(key path, problem)`` pairs; values read here never appear in them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

Location = tuple[str | int, ...]
Problems = list[tuple[Location, str]]

_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
ZOHO_CREDENTIALS = ("client_id", "client_secret", "refresh_token")
FILE_SUFFIX = "_file"


def resolve(
    raw: Mapping[str, Any], environ: Mapping[str, str], base_dir: Path, problems: Problems
) -> dict[str, Any]:
    """The configuration with every reference replaced by what it refers to."""
    resolved = _resolve_table(raw, (), environ, base_dir, problems)
    _add_systemd_credentials(resolved, environ, problems)
    return resolved


def _resolve_table(
    table: Mapping[str, Any], at: Location, environ: Mapping[str, str], base_dir: Path, problems: Problems
) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for key, value in table.items():
        value = _resolve_value(value, (*at, key), environ, base_dir, problems)
        if key.endswith(FILE_SUFFIX) and isinstance(value, str) and len(key) > len(FILE_SUFFIX):
            target = key.removesuffix(FILE_SUFFIX)
            if target in table:
                problems.append(((*at, key), f"set either {target} or {key}, not both"))
                continue
            key, value = target, _read_secret(value, (*at, key), base_dir, problems)
        resolved[key] = value
    return resolved


def _resolve_value(
    value: Any, at: Location, environ: Mapping[str, str], base_dir: Path, problems: Problems
) -> Any:
    if isinstance(value, str):
        return _interpolate(value, at, environ, problems)
    if isinstance(value, Mapping):
        return _resolve_table(value, at, environ, base_dir, problems)
    if isinstance(value, list):
        return [
            _resolve_value(item, (*at, index), environ, base_dir, problems)
            for index, item in enumerate(value)
        ]
    return value


def _interpolate(text: str, at: Location, environ: Mapping[str, str], problems: Problems) -> str:
    def substitute(match: re.Match[str]) -> str:
        name, fallback = match.group(1), match.group(2)
        if name is None:
            return "$"
        if name in environ:
            return environ[name]
        if fallback is not None:
            return fallback
        problems.append((at, f"the environment variable {name} is not set"))
        return ""

    return _REFERENCE.sub(substitute, text)


def _read_secret(path_text: str, at: Location, base_dir: Path, problems: Problems) -> str | None:
    path = base_dir / Path(path_text).expanduser()
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        problems.append((at, f"cannot read {path}: {reason}"))
        return None


def _add_systemd_credentials(config: dict[str, Any], environ: Mapping[str, str], problems: Problems) -> None:
    directory = environ.get("CREDENTIALS_DIRECTORY")
    if not directory or not isinstance(config.setdefault("zoho", {}), dict):
        return
    zoho = config["zoho"]
    for name in ZOHO_CREDENTIALS:
        credential = Path(directory) / f"zoho_{name}"
        if name not in zoho and credential.is_file():
            zoho[name] = _read_secret(str(credential), ("zoho", name), Path("/"), problems)
