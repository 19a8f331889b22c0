"""``syncd connectors``: what connectors are installed, and whether one is configured right."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from syncd.config import load_config
from syncd.connector import Connector, StreamSpec, redacted, scrub
from syncd.errors import ConfigError
from syncd.plugins.manager import ConnectorInfo, PluginInfo, get_manager

EXIT_CONFIG = 2
EXIT_FAILED = 3


@click.group("connectors", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the listing as JSON.")
@click.pass_context
def connectors(ctx: click.Context, as_json: bool) -> None:
    """List installed connectors (name, version, distribution, capabilities) and broken plugins."""
    if ctx.invoked_subcommand is not None:
        return
    manager = get_manager()
    found = sorted(manager.connectors().values(), key=lambda info: info.name)
    broken = [plugin for plugin in manager.plugins() if not plugin.available]
    if as_json:
        click.echo(json.dumps(_listing(found, broken), indent=2))
        return
    _print_table(found, broken)


def _listing(found: Sequence[ConnectorInfo], broken: Sequence[PluginInfo]) -> dict[str, Any]:
    return {
        "connectors": [
            {
                "name": info.name,
                "version": info.plugin.version,
                "distribution": info.plugin.distribution,
                "plugin": info.plugin.name,
                "capabilities": list(info.capabilities.names()),
            }
            for info in found
        ],
        "unavailable": [
            {"plugin": p.name, "distribution": p.distribution, "version": p.version, "error": p.error}
            for p in broken
        ],
    }


def _print_table(found: Sequence[ConnectorInfo], broken: Sequence[PluginInfo]) -> None:
    rows = [("NAME", "VERSION", "DISTRIBUTION", "CAPABILITIES")]
    rows += [
        (
            i.name,
            i.plugin.version or "-",
            i.plugin.distribution or "-",
            ", ".join(i.capabilities.names()) or "read",
        )
        for i in found
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        click.echo(
            "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3]])
        )
    if not found:
        click.echo("(no connectors installed)")
    for plugin in broken:
        click.echo(
            f"unavailable: plugin {plugin.name!r} ({plugin.distribution or '-'}): {plugin.error}", err=True
        )


@connectors.command("check")
@click.argument("name")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The syncd TOML file holding a [connectors.NAME] table.",
)
@click.pass_context
def check(ctx: click.Context, name: str, config_path: Path) -> None:
    """Run the check of connector NAME as configured in --config, and show its streams."""
    options = connector_options(config_path, name)
    connector_type = options.pop("type")
    connector_class = get_manager().connector_class(connector_type)
    connector = connector_class.from_options(options, name=name)
    click.echo(f"connector {name!r} (type {connector_type})")
    for line in json.dumps(redacted(connector.config), indent=2, default=str).splitlines():
        click.echo(f"  {line}")
    with connector:
        code = _run_check(connector)
    ctx.exit(code)


def _run_check(connector: Connector[Any]) -> int:
    try:
        connector.check()
        specs = connector.streams()
    except Exception as exc:  # connector code may raise anything; show it, scrubbed of secrets
        click.echo(f"check failed: {scrub(str(exc), connector.config)}", err=True)
        return EXIT_CONFIG if isinstance(exc, ConfigError) else EXIT_FAILED
    click.echo("check: ok")
    for spec in specs:
        click.echo(describe_stream(spec))
    return 0


def describe_stream(spec: StreamSpec) -> str:
    capabilities = ", ".join(spec.capabilities.names()) or "read"
    fields = ", ".join(f"{f.name}:{f.type}" for f in spec.fields)
    cursor = spec.cursor_field or "-"
    return f"stream {spec.name}: key={','.join(spec.key)} cursor={cursor} [{capabilities}] fields: {fields}"


def connector_options(path: Path, name: str) -> dict[str, Any]:
    """The ``[connectors.NAME]`` options of a syncd configuration, with ``${ENV}`` and ``*_file`` resolved,
    and its ``type``."""
    config = load_config(path)
    configured = config.connectors.get(name)
    if configured is None:
        known = ", ".join(sorted(config.connectors)) or "none"
        raise ConfigError(f"{path}: no [connectors.{name}] table (configured: {known})", file=str(path))
    return {**configured.options, "type": configured.type}
