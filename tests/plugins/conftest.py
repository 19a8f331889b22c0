"""Small connectors and plugins the plugin-system tests register by hand."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click
import pytest

import syncd
from syncd import (
    Capabilities,
    Change,
    ConnectorConfig,
    Cursor,
    FieldSpec,
    FieldType,
    ReadItem,
    Secret,
    StreamSpec,
    WriteOutcome,
)
from syncd.plugins.manager import PluginManager


class MemoryConfig(ConnectorConfig):
    label: str = "memory"
    password: Secret | None = None


class MemoryConnector(syncd.Connector[MemoryConfig]):
    """Yields the items it is given; for testing what syncd does with a connector's output."""

    name = "memory"
    config_class = MemoryConfig
    capabilities = Capabilities(incremental=True, write=True, deletes=True)
    items: Sequence[object] = ()

    def check(self) -> None:
        pass

    def streams(self) -> list[StreamSpec]:
        fields = (
            FieldSpec("id", FieldType.INTEGER),
            FieldSpec("name"),
            FieldSpec("seen", FieldType.DATETIME),
        )
        return [StreamSpec("people", ("id",), fields, "seen", Capabilities(incremental=True, write=True))]

    def read(self, stream: str, cursor: Cursor | None) -> Iterator[ReadItem]:
        yield from self.items  # type: ignore[misc]

    def write(self, stream: str, changes: Sequence[Change]) -> list[WriteOutcome]:
        return [WriteOutcome.applied(change.key) for change in changes]


class ConnectorsPlugin:
    def __init__(self, *classes: type[syncd.Connector[Any]]) -> None:
        self.classes = classes

    @syncd.hookimpl
    def register_connectors(self, register: Callable[[type[syncd.Connector[Any]]], None]) -> None:
        for cls in self.classes:
            register(cls)


class RaisingPlugin:
    @syncd.hookimpl
    def register_connectors(self, register: Callable[[type[syncd.Connector[Any]]], None]) -> None:
        raise RuntimeError("boom")

    @syncd.hookimpl
    def run_finished(self, pipeline: str, report: Any) -> None:
        raise RuntimeError("notifier down")


class MisspeltPlugin:
    @syncd.hookimpl
    def register_conectors(self, register: Callable[..., None]) -> None:
        pass


class WrongArgumentPlugin:
    @syncd.hookimpl
    def register_connectors(self, register: Callable[..., None], pipeline: str) -> None:
        pass


class CommandsPlugin:
    @syncd.hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command("hello")
        def hello() -> None:
            """Say hello."""
            click.echo("hello from a plugin")


class NotifierPlugin:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    @syncd.hookimpl
    def run_finished(self, pipeline: str, report: Any) -> None:
        self.calls.append((pipeline, report))


@pytest.fixture
def fakes() -> types.ModuleType:
    """This module: the fake connectors and plugins above (test modules cannot import conftest)."""
    return sys.modules[__name__]


@pytest.fixture
def manager() -> PluginManager:
    """A plugin manager that sees no installed entry points: tests register plugins by hand."""
    return PluginManager(entry_points=list, environ={})
