from __future__ import annotations

import subprocess
import sys

import pytest

import syncd
from syncd.cli import COMMANDS, main


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert syncd.__version__ in capsys.readouterr().out


def test_help_lists_the_commands_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "emulator" in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_every_listed_command_imports_as_a_click_command() -> None:
    import click

    from syncd.cli import cli

    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        assert isinstance(cli.get_command(ctx, name), click.Command), name
    assert set(cli.list_commands(ctx)) <= set(COMMANDS)


def test_console_script_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "syncd", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Zoho" in done.stdout
