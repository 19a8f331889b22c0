"""The plugin contract: every hook a syncd plugin may implement. docs/hooks.md documents each one.

A plugin is a module (or object) with functions decorated ``@syncd.hookimpl`` whose names are hooks
below; it may accept any subset of a hook's arguments. A misspelt hook or an unknown argument makes
the plugin fail validation: it is reported as unavailable and the rest of syncd goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from syncd.plugins.markers import hookspec

if TYPE_CHECKING:
    import click

    from syncd.connector import Connector


@hookspec
def register_connectors(register: Callable[[type[Connector[Any]]], None]) -> None:
    """Offer connector classes: call ``register(ConnectorClass)`` once for each.

    :param register: takes a :class:`syncd.Connector` subclass; its ``name`` is the ``type``
        operators write in ``[connectors.X]``. Two plugins offering the same name is an error.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``syncd`` command line: ``cli.add_command(my_command)``.

    :param cli: the top-level ``syncd`` click group. Commands of syncd itself cannot be replaced.
    """


@hookspec
def run_finished(pipeline: str, report: Any) -> None:
    """Called after every pipeline run, successful or not, for notifications and audit trails.

    :param pipeline: the pipeline's name.
    :param report: the run's report (counts, rejects, credits spent, outcome). A failing
        implementation is logged and does not affect the run or other plugins.
    """
