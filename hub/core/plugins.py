"""The plugin host: builds a pluggy manager, loads every plugin from the ``relais`` entry-point group, and is the
only place that calls hooks (a typed facade, one method per hook).

Bundled plugins are loaded through the same entry points a third-party package uses, so they prove the
integrator's path. ``RELAIS_PLUGINS`` (comma-separated allow-list) and ``RELAIS_PLUGINS_BLOCK`` (block-list) select
which entry points load. ``RELAIS_EXTRA_PLUGINS`` (comma-separated module paths) also registers plugin modules that
are importable but not installed — a test plugin for a ``relais`` subprocess, a plugin under development — each
under its module path as name; the allow/block lists do not apply to them, naming them is the choice. A plugin that
fails to import or whose hook raises is recorded with its name and error; the hub keeps running without it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy
import structlog

from hub.core import hookspecs
from hub.core.connector import Connector
from hub.core.errors import ConfigurationError, DuplicateRegistration

__all__ = ["PluginHost", "PluginFailure", "get_plugin_manager", "ENTRY_POINT_GROUP", "EXTRA_PLUGINS_ENV"]

ENTRY_POINT_GROUP = "relais"
EXTRA_PLUGINS_ENV = "RELAIS_EXTRA_PLUGINS"
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PluginFailure:
    plugin: str
    stage: str        # "load" or the hook's name
    error: str


def _names(env_value: str | None) -> set[str] | None:
    if env_value is None or not env_value.strip():
        return None
    return {n.strip() for n in env_value.split(",") if n.strip()}


def get_plugin_manager() -> pluggy.PluginManager:
    """A fresh manager with the hook specs added and nothing loaded (tests build their own from it)."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm


def _dist_label(ep: metadata.EntryPoint) -> str:
    return f"{ep.dist.name} {ep.dist.version}" if ep.dist else "(unknown)"


@dataclass
class PluginHost:
    """Loads plugins and calls their hooks, isolating each plugin's failures."""

    pm: pluggy.PluginManager = field(default_factory=get_plugin_manager)
    failures: list[PluginFailure] = field(default_factory=list)
    distributions: dict[str, str] = field(default_factory=dict)   # plugin name → "dist version"

    @classmethod
    def load(cls, allow: Iterable[str] | None = None, block: Iterable[str] | None = None,
             entry_points: bool = True, extra: Iterable[str] | None = None) -> "PluginHost":
        """Load the allowed entry points, then the modules named in ``extra`` (default: ``RELAIS_EXTRA_PLUGINS``)."""
        host = cls()
        allow_set = set(allow) if allow is not None else _names(os.environ.get("RELAIS_PLUGINS"))
        block_set = set(block) if block is not None else (_names(os.environ.get("RELAIS_PLUGINS_BLOCK")) or set())
        if entry_points:
            host._load_entry_points(allow_set, block_set)
        extra_names = list(extra) if extra is not None else sorted(_names(os.environ.get(EXTRA_PLUGINS_ENV)) or ())
        host._load_modules(extra_names)
        host.pm.check_pending()
        return host

    def _load_modules(self, module_paths: Iterable[str]) -> None:
        for path in module_paths:
            if self.pm.get_plugin(path) is not None:
                continue
            try:
                self.pm.register(importlib.import_module(path), name=path)
            except Exception as exc:  # a broken plugin must not take the hub down
                self._fail(path, "load", exc)
                continue
            self.distributions[path] = f"(module {path})"

    def _load_entry_points(self, allow: set[str] | None, block: set[str]) -> None:
        """Register each allowed entry point under its name. Two distributions declaring the same plugin name is
        an error naming both: loading either silently would replace a partner's connector with another's."""
        loaded_from: dict[str, Any] = {}
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if (allow is not None and ep.name not in allow) or ep.name in block:
                continue
            if ep.name in loaded_from:
                first = loaded_from[ep.name]
                if (first.dist and ep.dist and first.dist.name == ep.dist.name) or first.value == ep.value:
                    continue   # the same plugin seen twice (e.g. an editable install listed in two paths)
                raise DuplicateRegistration(
                    f"plugin name {ep.name!r} is declared by distribution {_dist_label(first)} ({first.value}) "
                    f"and by distribution {_dist_label(ep)} ({ep.value}); uninstall one, or rename the third-party "
                    f"plugin's entry point (or skip one with RELAIS_PLUGINS_BLOCK)")
            loaded_from[ep.name] = ep
            if self.pm.get_plugin(ep.name) is not None:
                continue
            try:
                plugin = ep.load()
                self.pm.register(plugin, name=ep.name)
            except Exception as exc:  # a broken plugin must not take the hub down
                self._fail(ep.name, "load", exc)
                continue
            dist = ep.dist
            self.distributions[ep.name] = f"{dist.name} {dist.version}" if dist else "?"

    def register(self, plugin: object, name: str) -> None:
        """Register an in-process plugin (tests, embedding applications)."""
        self.pm.register(plugin, name=name)
        self.pm.check_pending()

    def unregister(self, name: str) -> None:
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)

    def _fail(self, plugin: str, stage: str, exc: BaseException) -> None:
        self.failures.append(PluginFailure(plugin, stage, f"{type(exc).__name__}: {exc}"))
        log.error("plugin_failed", plugin=plugin, stage=stage, error_type=type(exc).__name__, error=str(exc))

    def _call_each(self, hook_name: str, **kwargs: Any) -> None:
        """Call every implementation of a hook separately so that one plugin's exception is attributed to it and
        does not prevent the others from running."""
        hook = getattr(self.pm.hook, hook_name)
        for impl in reversed(hook.get_hookimpls()):
            args = {a: kwargs[a] for a in impl.argnames}
            try:
                impl.function(**args)
            except DuplicateRegistration:
                raise
            except Exception as exc:
                self._fail(impl.plugin_name, hook_name, exc)

    # --- facade: one method per hook ---------------------------------------------------------------------------
    def connector_classes(self) -> dict[str, tuple[str, type[Connector]]]:
        """name → (plugin that registered it, class)."""
        found: dict[str, tuple[str, type[Connector]]] = {}
        current: list[str] = [""]

        def register(cls: type[Connector]) -> None:
            if not (isinstance(cls, type) and issubclass(cls, Connector)):
                raise ConfigurationError(f"plugin {current[0]!r} registered {cls!r}, which is not a hub.Connector subclass")
            name = getattr(cls, "name", None)
            if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
                raise ConfigurationError(f"plugin {current[0]!r}: connector {cls.__qualname__} needs a lowercase identifier as `name`")
            if name in found and found[name][1] is not cls:
                raise DuplicateRegistration(
                    f"connector name {name!r} registered by plugin {found[name][0]!r} ({found[name][1].__qualname__}) "
                    f"and by plugin {current[0]!r} ({cls.__qualname__}); rename one or block a plugin with RELAIS_PLUGINS_BLOCK")
            found[name] = (current[0], cls)

        for impl in reversed(self.pm.hook.relais_register_connectors.get_hookimpls()):
            current[0] = impl.plugin_name
            try:
                impl.function(register=register)
            except DuplicateRegistration:
                raise
            except Exception as exc:
                self._fail(impl.plugin_name, "relais_register_connectors", exc)
        return found

    def register_commands(self, register: Callable[[Any], None]) -> None:
        self._call_each("relais_register_commands", register=register)

    def routers(self) -> dict[str, list[Any]]:
        """plugin name → the HTTP routers it registered through ``relais_register_routes``.

        All or nothing per plugin: a plugin whose implementation raises contributes no router (and is recorded in
        ``failures``), so that the gateway never serves half of a plugin's API."""
        found: dict[str, list[Any]] = {}
        for impl in reversed(self.pm.hook.relais_register_routes.get_hookimpls()):
            collected: list[Any] = []
            try:
                impl.function(register=collected.append)
            except Exception as exc:  # one plugin's broken routes must not take the gateway down
                self._fail(impl.plugin_name, "relais_register_routes", exc)
                continue
            if collected:
                found[impl.plugin_name] = collected
        return found

    def startup(self, hub: Any) -> None:
        self._call_each("relais_startup", hub=hub)

    def shutdown(self, hub: Any) -> None:
        self._call_each("relais_shutdown", hub=hub)
