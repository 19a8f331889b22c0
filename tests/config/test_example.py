"""config/syncd.example.toml documents every key of the config model, and only those."""

from __future__ import annotations

import re
import tomllib
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from syncd.config import ConnectorConfig, SyncdConfig, load_config

EXAMPLE = Path(__file__).parents[2] / "config" / "syncd.example.toml"
_HEADER = re.compile(r"^#?\s*\[([A-Za-z0-9_.]+)\]\s*$")
_ASSIGNMENT = re.compile(r"^#?\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.+)$")


def model_keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        if model is ConnectorConfig and name == "options":
            continue  # a connector's own options are free-form
        path = prefix + name
        yield path
        if _mentions(info.annotation, SecretStr):
            yield path + "_file"
        yield from _keys_below(info.annotation, path)


def _keys_below(annotation: Any, path: str) -> Iterator[str]:
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from model_keys(annotation, path + ".")
    elif origin is dict:
        yield path + ".*"
        yield from _keys_below(typing.get_args(annotation)[1], path + ".*")
    elif origin in (typing.Union, types.UnionType, typing.Annotated):
        for argument in typing.get_args(annotation):
            yield from _keys_below(argument, path)


def _mentions(annotation: Any, wanted: type) -> bool:
    return annotation is wanted or any(_mentions(arg, wanted) for arg in typing.get_args(annotation))


def example_keys(text: str) -> set[str]:
    """Keys the example sets or shows commented out, with table names generalised to ``*``."""
    keys: set[str] = set()
    section: list[str] = []
    for line in text.splitlines():
        if header := _HEADER.match(line.strip()):
            section = header.group(1).split(".")
            keys.add(_general(section))
        elif assignment := _ASSIGNMENT.match(line.strip()):
            name, value = assignment.groups()
            path = [*section, *name.split(".")]
            keys.add(_general(path))
            inline = tomllib.loads(f"v = {value}")["v"]
            if isinstance(inline, dict):
                keys.update(_general(path) + "." + key for key in inline)
    return keys


def _general(path: list[str]) -> str:
    if path[0] in {"connectors", "pipelines"} and len(path) > 1:
        path = [path[0], "*", *path[2:]]
    if path[0] == "connectors" and len(path) > 2 and path[2] != "type":
        path = path[:2]  # the connector's own option
    if path[0] == "pipelines" and len(path) > 3 and path[2] == "fields":
        path = [*path[:3], "*"]  # a CRM field name, possibly dotted (Account_Name.id)
    return ".".join(path)


def with_prefixes(keys: set[str]) -> set[str]:
    return {".".join(key.split(".")[:n]) for key in keys for n in range(1, key.count(".") + 2)}


def test_the_example_names_every_key_of_the_model_and_no_other() -> None:
    documented = with_prefixes(example_keys(EXAMPLE.read_text()))
    known = with_prefixes(set(model_keys(SyncdConfig)))
    assert sorted(known - documented) == [], "keys the example does not document"
    assert sorted(documented - known) == [], "keys in the example that syncd does not know"


def test_the_example_loads_as_it_stands(tmp_path: Path) -> None:
    config = load_config(EXAMPLE, environ={"HOME": str(tmp_path)})
    assert config.zoho.emulator
    assert set(config.pipelines) == {"accounts", "contacts"}
    assert config.connectors["shop"].options == {"directory": "/var/lib/syncd/shop"}


def test_the_key_scanner_sees_commented_and_inline_keys() -> None:
    text = '[zoho]\n# client_secret_file = "x"\n[pipelines.p.fields]\nA.id = { pipeline = "q", key = "k" }\n'
    assert example_keys(text) == {
        "zoho",
        "zoho.client_secret_file",
        "pipelines.*.fields",
        "pipelines.*.fields.*",
        "pipelines.*.fields.*.pipeline",
        "pipelines.*.fields.*.key",
    }
