from __future__ import annotations

import logging
import types
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from syncd import ConfigError, PluginError
from syncd.plugins.manager import PluginManager


def entry_point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group="syncd")


def test_a_registered_plugin_offers_its_connectors(manager: PluginManager, fakes: types.ModuleType) -> None:
    info = manager.register(fakes.ConnectorsPlugin(fakes.MemoryConnector), "mem")
    assert info.available and info.hooks == ("register_connectors",)
    assert manager.connector_class("memory") is fakes.MemoryConnector
    assert manager.connectors()["memory"].plugin.name == "mem"


def test_a_misspelt_hook_makes_only_that_plugin_unavailable(
    manager: PluginManager, fakes: types.ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    manager.register(fakes.ConnectorsPlugin(fakes.MemoryConnector), "good")
    info = manager.register(fakes.MisspeltPlugin(), "typo")
    assert not info.available and "register_conectors" in (info.error or "")
    assert "plugin 'typo' (no distribution) is unavailable" in caplog.text
    assert manager.connector_class("memory") is fakes.MemoryConnector


def test_an_unknown_hook_argument_fails_validation(manager: PluginManager, fakes: types.ModuleType) -> None:
    info = manager.register(fakes.WrongArgumentPlugin(), "args")
    assert not info.available and "pipeline" in (info.error or "")


def test_a_plugin_whose_hook_raises_is_isolated(manager: PluginManager, fakes: types.ModuleType) -> None:
    manager.register(fakes.RaisingPlugin(), "raising")
    manager.register(fakes.ConnectorsPlugin(fakes.MemoryConnector), "good")
    assert list(manager.connectors()) == ["memory"]
    [broken] = [p for p in manager.plugins() if not p.available]
    assert broken.name == "raising" and "boom" in (broken.error or "")


def test_two_plugins_offering_one_connector_name_is_an_error(
    manager: PluginManager, fakes: types.ModuleType
) -> None:
    manager.register(fakes.ConnectorsPlugin(fakes.MemoryConnector), "first")
    manager.register(fakes.ConnectorsPlugin(fakes.MemoryConnector), "second")
    assert manager.connectors()["memory"].plugin.name in {"first", "second"}
    [broken] = [p for p in manager.plugins() if not p.available]
    assert "already registered by plugin" in (broken.error or "")


def test_registering_something_that_is_not_a_connector_is_an_error(
    manager: PluginManager, fakes: types.ModuleType
) -> None:
    manager.register(fakes.ConnectorsPlugin(dict), "odd")  # type: ignore[arg-type]
    assert manager.connectors() == {}
    assert "is not a syncd.Connector subclass" in (manager.plugins()[0].error or "")


def test_an_unknown_connector_type_is_a_config_error_listing_what_is_installed(
    manager: PluginManager, fakes: types.ModuleType
) -> None:
    manager.register(fakes.ConnectorsPlugin(fakes.MemoryConnector), "mem")
    with pytest.raises(ConfigError, match=r"no connector of type 'shop' is installed \(installed: memory\)"):
        manager.connector_class("shop")


def test_with_a_broken_plugin_an_unknown_type_is_a_plugin_error(
    manager: PluginManager, fakes: types.ModuleType
) -> None:
    manager.register(fakes.RaisingPlugin(), "shop")
    with pytest.raises(PluginError, match=r"unavailable plugins: shop: register_connectors failed"):
        manager.connector_class("shop")


def test_entry_points_load_lazily_and_broken_imports_are_reported(fakes: types.ModuleType) -> None:
    points = [entry_point("missing", "no_such_module_anywhere"), entry_point("csv", "syncd_csv")]
    calls: list[int] = []

    def listing() -> list[EntryPoint]:
        calls.append(1)
        return points

    manager = PluginManager(entry_points=listing, environ={})
    assert calls == []
    assert "csv" in manager.connectors()
    assert manager.connectors() is manager.connectors() and calls == [1]
    missing = next(p for p in manager.plugins() if p.name == "missing")
    assert "cannot be imported" in (missing.error or "") and "no_such_module_anywhere" in (
        missing.error or ""
    )


@pytest.mark.parametrize(("selection", "loaded"), [("csv", ["csv"]), ("", []), ("sql, csv", ["csv", "sql"])])
def test_syncd_load_plugins_limits_what_loads(selection: str, loaded: list[str]) -> None:
    points = [entry_point("csv", "syncd_csv"), entry_point("sql", "syncd_sql")]
    manager = PluginManager(entry_points=lambda: points, environ={"SYNCD_LOAD_PLUGINS": selection})
    assert [p.name for p in manager.plugins()] == loaded


def test_installed_builtin_connectors_come_from_their_own_distributions() -> None:
    connectors = PluginManager(environ={}).connectors()
    assert connectors["csv"].plugin.distribution == "syncd-csv"
    assert connectors["sql"].plugin.distribution == "syncd-sql"
    assert connectors["csv"].plugin.version


def test_syncd_trace_plugins_logs_each_hook_call(
    fakes: types.ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    manager = PluginManager(entry_points=list, environ={"SYNCD_TRACE_PLUGINS": "1"})
    notifier = fakes.NotifierPlugin()
    manager.register(notifier, "notify")
    with caplog.at_level(logging.INFO, logger="syncd.plugins.manager"):
        manager.run_finished("contacts", {"created": 3})
    assert "hook run_finished(pipeline='contacts', report={'created': 3}) -> plugins: notify" in caplog.text
    assert "hook run_finished returned" in caplog.text


def test_hook_register_connectors(manager: PluginManager, fakes: types.ModuleType) -> None:
    manager.register(fakes.ConnectorsPlugin(fakes.MemoryConnector), "mem")
    assert manager.connectors()["memory"].capabilities.names() == ("incremental", "write", "deletes")


def test_hook_register_commands(manager: PluginManager, fakes: types.ModuleType) -> None:
    manager.register(fakes.CommandsPlugin(), "commands")
    assert list(manager.commands(reserved=["sync"])) == ["hello"]


def test_plugin_commands_cannot_replace_syncd_commands(
    manager: PluginManager, fakes: types.ModuleType
) -> None:
    manager.register(fakes.CommandsPlugin(), "commands")
    assert manager.commands(reserved=["hello"]) == {}
    assert "'hello' is already taken" in (manager.plugins()[0].error or "")


def test_hook_run_finished(
    manager: PluginManager, fakes: types.ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = fakes.NotifierPlugin()
    manager.register(fakes.RaisingPlugin(), "flaky")
    manager.register(notifier, "notify")
    report: dict[str, Any] = {"outcome": "ok"}
    manager.run_finished("contacts", report)  # the failing notifier does not stop the others
    assert notifier.calls == [("contacts", report)]
    assert "plugin 'flaky' failed in run_finished for pipeline 'contacts'" in caplog.text
