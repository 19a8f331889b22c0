"""The ``syncd`` command line.

Each command group lives beside the part it drives (``syncd/emulator/cli.py``, ``syncd/store/cli.py``,
...) and is imported only when it is invoked, so ``syncd --help`` stays fast and a broken optional
part cannot stop the others from working.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from collections.abc import Sequence

import click

from syncd import __version__
from syncd.errors import ConfigError, SyncdError

# command name -> "module:attribute" of its click command. A module that does not exist yet is not
# listed; one that exists but fails to import fails loudly when its command is used.
COMMANDS: dict[str, str] = {
    "sync": "syncd.engine.cli:sync",
    "plan": "syncd.engine.cli:plan",
    "status": "syncd.engine.cli:status",
    "rejects": "syncd.engine.cli:rejects",
    "conflicts": "syncd.engine.cli:conflicts",
    "export": "syncd.engine.cli:export",
    "run": "syncd.daemon.cli:run",
    "connectors": "syncd.plugins.cli:connectors",
    "emulator": "syncd.emulator.cli:emulator",
    "db": "syncd.store.cli:db",
}

EXIT_OK = 0
EXIT_REJECTS = 1
EXIT_CONFIG = 2
EXIT_FAILED = 3


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _plugin_commands() -> dict[str, click.Command]:
    """Commands added by plugins (``register_commands``); they cannot replace syncd's own."""
    from syncd.plugins.manager import get_manager

    return get_manager().commands(reserved=COMMANDS)


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        available = [name for name in COMMANDS if self.get_command(ctx, name) is not None]
        return sorted({*super().list_commands(ctx), *available, *_plugin_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name) or _plugin_commands().get(cmd_name)
        module_name, _, attribute = target.partition(":")
        if not _module_exists(module_name):
            return None
        command = getattr(importlib.import_module(module_name), attribute, None)
        if command is None:  # a module that does not offer this command (yet)
            return None
        if not isinstance(command, click.Command):  # pragma: no cover - a programming error
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="syncd")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Keep business systems and Zoho CRM / Bigin in sync through the Bulk Read and Bulk Write APIs.

    Run `syncd COMMAND --help` for the details of each command.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (0 done, 1 rejects, 2 config error, 3 failed)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = cli.main(args=args, prog_name="syncd", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_FAILED
    except click.ClickException as exc:
        exc.show()
        return EXIT_CONFIG if exc.exit_code == 2 else exc.exit_code
    except ConfigError as exc:
        if debug:
            raise
        click.echo(f"configuration error: {exc}", err=True)
        return EXIT_CONFIG
    except SyncdError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        return EXIT_FAILED
    return result if isinstance(result, int) else EXIT_OK
