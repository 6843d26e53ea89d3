"""The plugin host: builds a pluggy manager, loads every plugin from the ``relais`` entry-point group, and is the
only place that calls hooks (a typed facade, one method per hook).

Hooks are called through pluggy's own machinery, so wrapper implementations (``wrapper=True``,
``hookwrapper=True``) and ordering (``tryfirst``, ``trylast``) behave as pluggy documents. Failures are still
isolated per plugin: an implementation that raises is recorded against its plugin and the hook is called again
without that plugin, so the others contribute and the failing one contributes nothing.

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
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, TypeVar

import pluggy
import structlog

from hub.core import hookspecs
from hub.core.connector import Connector
from hub.core.errors import ConfigurationError, DuplicateRegistration

__all__ = ["PluginHost", "PluginFailure", "get_plugin_manager", "ENTRY_POINT_GROUP", "EXTRA_PLUGINS_ENV"]

ENTRY_POINT_GROUP = "relais"
EXTRA_PLUGINS_ENV = "RELAIS_EXTRA_PLUGINS"
log = structlog.get_logger(__name__)
T = TypeVar("T")


def _runs(function: Any, frame: Any) -> bool:
    """Whether ``frame`` is a call of this very ``function`` object (not another one sharing its code)."""
    bound = getattr(function, "__self__", None)
    if bound is not None:
        first = frame.f_code.co_varnames[0] if frame.f_code.co_argcount else None
        return first is not None and frame.f_locals.get(first) is bound
    cells = getattr(function, "__closure__", None) or ()
    names = frame.f_code.co_freevars
    return all(frame.f_locals.get(name) is cell.cell_contents for name, cell in zip(names, cells))


def _blame(exc: Exception, plugin: str) -> Exception:
    """Mark an error raised on a plugin's behalf (by a ``register`` callback) as that plugin's."""
    exc.relais_plugin = plugin  # type: ignore[attr-defined]
    return exc


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

    # --- calling hooks: through pluggy, one plugin's failure isolated ---------------------------------------------
    def _plugin_of_frame(self, hook_name: str, frame: Any) -> str | None:
        """The plugin whose implementation of ``hook_name`` this frame is running, if any.

        Two plugins may share an implementation's code (built by one factory, or instances of one class): the
        frame's bound instance or closure values then tell them apart."""
        impls = [impl for impl in getattr(self.pm.hook, hook_name).get_hookimpls()
                 if impl.function.__code__ is frame.f_code]
        if len(impls) > 1:
            impls = [impl for impl in impls if _runs(impl.function, frame)] or impls[:1]
        return impls[0].plugin_name if impls else None

    def _plugin_on_stack(self, hook_name: str) -> str:
        """The plugin whose implementation is calling us right now (a ``register`` callback wants to know who is
        registering, to name it in an error). The nearest implementation frame wins: a wrapper around it does not."""
        frame = sys._getframe(1)
        while frame is not None:
            plugin = self._plugin_of_frame(hook_name, frame)
            if plugin is not None:
                return plugin
            frame = frame.f_back
        return "?"

    def _culprit(self, hook_name: str, exc: BaseException) -> str | None:
        """The plugin an exception raised in a hook call comes from: the innermost implementation frame of its
        traceback (so a wrapper that merely re-raises what it wrapped is not blamed)."""
        named = getattr(exc, "relais_plugin", None)
        if named:
            return named
        found = None
        tb = exc.__traceback__
        while tb is not None:
            found = self._plugin_of_frame(hook_name, tb.tb_frame) or found
            tb = tb.tb_next
        return found

    def _call_isolated(self, hook_name: str, run: Callable[[Callable[..., Any]], T]) -> T:
        """Call a hook through pluggy's own machinery (wrappers, ordering) and isolate a failing plugin.

        ``run(caller)`` calls ``caller(**kwargs)`` and returns what it collected; it must collect into fresh
        containers on each call. If an implementation raises, its failure is recorded against its plugin and the
        hook is called again without it, so the other plugins still contribute, and the failing one contributes
        nothing (all or nothing per plugin)."""
        excluded: list[str] = []
        while True:
            caller = getattr(self.pm.hook, hook_name) if not excluded else self._without(hook_name, excluded)
            try:
                return run(caller)
            except DuplicateRegistration:
                raise
            except Exception as exc:  # one plugin's bug must not take the others (or the hub) down
                culprit = self._culprit(hook_name, exc)
                if culprit is None or culprit in excluded:
                    raise
                self._fail(culprit, hook_name, exc)
                excluded.append(culprit)

    def _without(self, hook_name: str, excluded: list[str]) -> Callable[..., Any]:
        """The hook's caller minus some plugins: pluggy's own execution (``_hookexec``, what ``subset_hook_caller``
        uses) over the remaining implementations, by plugin name — ``subset_hook_caller`` needs hashable plugin
        objects, which pluggy does not otherwise require."""
        impls = [impl for impl in getattr(self.pm.hook, hook_name).get_hookimpls() if impl.plugin_name not in excluded]
        return lambda **kwargs: self.pm._hookexec(hook_name, impls, kwargs, False)

    # --- facade: one method per hook ---------------------------------------------------------------------------
    def connector_classes(self) -> dict[str, tuple[str, type[Connector]]]:
        """name → (plugin that registered it, class)."""
        hook = "relais_register_connectors"

        def run(caller: Callable[..., Any]) -> dict[str, tuple[str, type[Connector]]]:
            found: dict[str, tuple[str, type[Connector]]] = {}

            def register(cls: type[Connector]) -> None:
                plugin = self._plugin_on_stack(hook)
                if not (isinstance(cls, type) and issubclass(cls, Connector)):
                    raise _blame(ConfigurationError(
                        f"plugin {plugin!r} registered {cls!r}, which is not a hub.Connector subclass"), plugin)
                name = getattr(cls, "name", None)
                if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
                    raise _blame(ConfigurationError(
                        f"plugin {plugin!r}: connector {cls.__qualname__} needs a lowercase identifier as `name`"),
                        plugin)
                if name in found and found[name][1] is not cls:
                    raise DuplicateRegistration(
                        f"connector name {name!r} registered by plugin {found[name][0]!r} "
                        f"({found[name][1].__qualname__}) and by plugin {plugin!r} ({cls.__qualname__}); rename one "
                        "or block a plugin with RELAIS_PLUGINS_BLOCK")
                found[name] = (plugin, cls)

            caller(register=register)
            return found

        return self._call_isolated(hook, run)

    def register_commands(self, register: Callable[[Any], None]) -> None:
        """Collect every plugin's commands through the hook, then hand each to ``register``; a command ``register``
        refuses (a name already taken) is recorded against its plugin, the others are still added."""
        hook = "relais_register_commands"

        def run(caller: Callable[..., Any]) -> list[tuple[str, Any]]:
            collected: list[tuple[str, Any]] = []
            caller(register=lambda command: collected.append((self._plugin_on_stack(hook), command)))
            return collected

        for plugin, command in self._call_isolated(hook, run):
            try:
                register(command)
            except Exception as exc:  # a clash names the command; the plugin's other commands still count
                self._fail(plugin, hook, exc)

    def routers(self) -> dict[str, list[Any]]:
        """plugin name → the HTTP routers it registered through ``relais_register_routes``.

        All or nothing per plugin: a plugin whose implementation raises contributes no router (and is recorded in
        ``failures``), so that the gateway never serves half of a plugin's API."""
        hook = "relais_register_routes"

        def run(caller: Callable[..., Any]) -> dict[str, list[Any]]:
            found: dict[str, list[Any]] = {}
            caller(register=lambda router: found.setdefault(self._plugin_on_stack(hook), []).append(router))
            return found

        return self._call_isolated(hook, run)

    def startup(self, hub: Any) -> None:
        self._call_isolated("relais_startup", lambda caller: caller(hub=hub))

    def shutdown(self, hub: Any) -> None:
        self._call_isolated("relais_shutdown", lambda caller: caller(hub=hub))
