"""Finding, validating and calling plugins.

Plugins are the entry points of group ``syncd`` of installed distributions (the built-in CSV and SQL
connectors are loaded exactly like anyone else's). They are loaded lazily, on first use. Each one is
validated on its own (pluggy's signature check and ``check_pending`` for misspelt hooks); a plugin
that fails to import, to validate or to run a hook is logged and reported as unavailable, and the
others go on.

Environment:

* ``SYNCD_LOAD_PLUGINS=csv,sql`` loads only the named plugins (entry point or distribution names);
  an empty value loads none.
* ``SYNCD_TRACE_PLUGINS=1`` logs every hook call, its arguments and the plugins that answered.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import click
import pluggy

from syncd.connector import Capabilities, Connector
from syncd.errors import ConfigError, PluginError
from syncd.plugins import hookspecs
from syncd.plugins.markers import PROJECT

ENTRY_POINT_GROUP = "syncd"
LOAD_VARIABLE = "SYNCD_LOAD_PLUGINS"
TRACE_VARIABLE = "SYNCD_TRACE_PLUGINS"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginInfo:
    """A plugin as ``syncd connectors`` shows it; ``error`` says why it is unavailable."""

    name: str
    distribution: str | None = None
    version: str | None = None
    hooks: tuple[str, ...] = ()
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ConnectorInfo:
    """An installed connector type and where it comes from."""

    name: str
    connector_class: type[Connector[Any]]
    plugin: PluginInfo

    @property
    def capabilities(self) -> Capabilities:
        return self.connector_class.capabilities


def _selected(environ: Mapping[str, str]) -> set[str] | None:
    value = environ.get(LOAD_VARIABLE)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


class PluginManager:
    """syncd's plugins: load them once, then ask for connectors or call hooks in isolation."""

    def __init__(
        self,
        *,
        entry_points: Callable[[], Iterable[EntryPoint]] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._entry_points = entry_points or (lambda: entry_points_of_group(ENTRY_POINT_GROUP))
        self._environ = os.environ if environ is None else environ
        self.hooks = pluggy.PluginManager(PROJECT)
        self.hooks.add_hookspecs(hookspecs)
        self._plugins: dict[str, PluginInfo] = {}
        self._connectors: dict[str, ConnectorInfo] | None = None
        self._commands: dict[str, click.Command] | None = None
        self._loaded = False
        if self._environ.get(TRACE_VARIABLE, "") not in {"", "0"}:
            self.hooks.add_hookcall_monitoring(_trace_before, _trace_after)

    def load(self) -> None:
        """Load the selected entry points (once); broken plugins are recorded, not raised."""
        if self._loaded:
            return
        self._loaded = True
        wanted = _selected(self._environ)
        for point in self._entry_points():
            distribution = point.dist.name if point.dist else None
            if wanted is not None and not wanted & {point.name, distribution}:
                continue
            version = point.dist.version if point.dist else None
            try:
                plugin = point.load()
            except Exception as exc:  # a plugin may fail in any way; that is what isolation is for
                self._broken(PluginInfo(point.name, distribution, version), f"cannot be imported: {exc!r}")
                continue
            self.register(plugin, point.name, distribution=distribution, version=version)

    def register(
        self, plugin: object, name: str, *, distribution: str | None = None, version: str | None = None
    ) -> PluginInfo:
        """Register and validate one plugin object (entry points go through here too)."""
        info = PluginInfo(name, distribution, version)
        self._connectors = None
        try:
            self.hooks.register(plugin, name=name)
        except Exception as exc:  # PluginValidationError, or a name registered twice
            return self._broken(info, f"failed validation: {exc}")
        try:
            self.hooks.check_pending()
        except pluggy.PluginValidationError as exc:
            self.hooks.unregister(name=name)
            return self._broken(info, f"failed validation: {exc}")
        hooks = tuple(sorted(caller.name for caller in self.hooks.get_hookcallers(plugin) or ()))
        info = PluginInfo(name, distribution, version, hooks)
        self._plugins[name] = info
        return info

    def _broken(self, info: PluginInfo, error: str) -> PluginInfo:
        log.error(
            "plugin %r (%s) is unavailable: %s", info.name, info.distribution or "no distribution", error
        )
        broken = PluginInfo(info.name, info.distribution, info.version, info.hooks, error)
        self._plugins[info.name] = broken
        if self.hooks.has_plugin(info.name):
            self.hooks.unregister(name=info.name)
        self._connectors = None
        return broken

    def plugins(self) -> list[PluginInfo]:
        """Every plugin seen, available or not, by name."""
        self.load()
        return sorted(self._plugins.values(), key=lambda info: info.name)

    def call_each(self, hook: str, **kwargs: Any) -> Iterator[tuple[PluginInfo, Exception | None]]:
        """Call ``hook`` on each plugin separately, so one plugin's failure is only its own."""
        self.load()
        caller = getattr(self.hooks.hook, hook)
        names = [impl.plugin_name for impl in reversed(caller.get_hookimpls())]
        for name in names:
            if not self.hooks.has_plugin(name):
                continue
            others = [self.hooks.get_plugin(other) for other in names if other != name]
            single = self.hooks.subset_hook_caller(hook, remove_plugins=others)
            try:
                single(**kwargs)
            except Exception as exc:  # isolate the plugin; the caller decides what it means
                yield self._plugins[name], exc
            else:
                yield self._plugins[name], None

    def connectors(self) -> dict[str, ConnectorInfo]:
        """Installed connector types by name, from every available plugin's ``register_connectors``."""
        if self._connectors is None:
            self._connectors = self._collect_connectors()
        return self._connectors

    def _collect_connectors(self) -> dict[str, ConnectorInfo]:
        found: dict[str, ConnectorInfo] = {}
        offered: list[type[Connector[Any]]] = []
        for plugin, error in self.call_each("register_connectors", register=offered.append):
            error = error or _conflict(found, offered, plugin)
            if error is not None:
                self._broken(plugin, f"register_connectors failed: {error}")
            else:
                found.update({cls.name: ConnectorInfo(cls.name, cls, plugin) for cls in offered})
            offered.clear()
        self._connectors = found
        return found

    def connector_class(self, type_name: str) -> type[Connector[Any]]:
        """The connector class of ``type_name``, or an error saying what is installed or broken."""
        found = self.connectors().get(type_name)
        if found is not None:
            return found.connector_class
        broken = [p for p in self._plugins.values() if not p.available]
        if broken:
            reasons = "; ".join(f"{p.name}: {p.error}" for p in broken)
            raise PluginError(f"no connector of type {type_name!r}; unavailable plugins: {reasons}")
        known = ", ".join(sorted(self.connectors())) or "none"
        raise ConfigError(f"no connector of type {type_name!r} is installed (installed: {known})")

    def commands(self, reserved: Iterable[str] = ()) -> dict[str, click.Command]:
        """Commands plugins add through ``register_commands``; names in ``reserved`` stay syncd's."""
        if self._commands is not None:
            return self._commands
        taken = set(reserved)
        added: dict[str, click.Command] = {}
        for plugin, error in self.call_each("register_commands", cli=(collector := click.Group("syncd"))):
            clash = sorted((set(collector.commands) & taken) | (set(collector.commands) & set(added)))
            if error is None and clash:
                error = ValueError(f"command {clash[0]!r} is already taken")
            if error is not None:
                self._broken(plugin, f"register_commands failed: {error}")
                continue
            added.update(collector.commands)
        self._commands = added
        return added

    def run_finished(self, pipeline: str, report: Any) -> None:
        """Tell every plugin a run finished; a failing plugin is logged and skipped."""
        for plugin, error in self.call_each("run_finished", pipeline=pipeline, report=report):
            if error is not None:
                log.error(
                    "plugin %r failed in run_finished for pipeline %r: %r", plugin.name, pipeline, error
                )


def _conflict(
    found: Mapping[str, ConnectorInfo], offered: list[type[Connector[Any]]], plugin: PluginInfo
) -> Exception | None:
    names: set[str] = set()
    for cls in offered:
        if not _is_connector_class(cls):
            return TypeError(f"{cls!r} is not a syncd.Connector subclass")
        if not getattr(cls, "name", None):
            return TypeError(f"{cls.__qualname__} has no connector name (set `name = ...`)")
        if cls.name in found or cls.name in names:
            other = found[cls.name].plugin.name if cls.name in found else plugin.name
            return ValueError(f"connector type {cls.name!r} is already registered by plugin {other!r}")
        names.add(cls.name)
    return None


def _is_connector_class(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, Connector)


def entry_points_of_group(group: str) -> list[EntryPoint]:
    return sorted(entry_points(group=group), key=lambda point: point.name)


def _trace_before(hook_name: str, hook_impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
    plugins = ", ".join(impl.plugin_name for impl in hook_impls)
    log.info(
        "hook %s(%s) -> plugins: %s", hook_name, ", ".join(f"{k}={v!r}" for k, v in kwargs.items()), plugins
    )


def _trace_after(
    outcome: pluggy.Result[Any],
    hook_name: str,
    hook_impls: Sequence[pluggy.HookImpl],
    kwargs: Mapping[str, Any],
) -> None:
    error = outcome.exception
    log.info("hook %s returned %s", hook_name, f"error {error!r}" if error else repr(outcome.get_result()))


_default: PluginManager | None = None


def get_manager() -> PluginManager:
    """The process-wide plugin manager, created on first use."""
    global _default
    if _default is None:
        _default = PluginManager()
    return _default
