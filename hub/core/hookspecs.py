"""The hooks a Relais plugin may implement. This module is the reference; ``docs/hooks.md`` is generated from it.

Every hook takes a ``register`` callback rather than returning values, so that the hub can check each registration
(duplicates are refused with both plugins named) and attribute a failure to the plugin that caused it.
Specs only ever gain arguments; an implementation declares only the arguments it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

__all__ = ["hookspec", "hookimpl", "PROJECT_NAME"]

PROJECT_NAME = "relais"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def relais_register_connectors(register: Callable[[type[Any]], None]) -> None:
    """Register the connector (or processor) classes this plugin provides.

    Called once, when the hub builds its connector registry (at start, and for ``relais plugins``).

    :param register: call ``register(ConnectorClass)`` once per class; ``ConnectorClass`` subclasses
        :class:`hub.Connector`. Registering a name another plugin already registered raises
        :class:`hub.DuplicateRegistration` naming both plugins.
    :return: nothing; results are collected through ``register``. Every plugin's implementation is called; one that
        raises is reported by name and the others are still registered.

    .. versionadded:: 0.1
    """


@hookspec
def relais_register_commands(register: Callable[[Any], None]) -> None:
    """Add sub-commands to the ``relais`` command line.

    Called when the CLI starts, after the built-in commands exist.

    :param register: call ``register(command)`` with a :class:`click.Command` (or group); a name already taken by
        a built-in or another plugin is refused with both owners named.
    :return: nothing. A plugin that raises is reported by name and the CLI still works.

    .. versionadded:: 0.1
    """


@hookspec
def relais_register_routes(register: Callable[[Any], None]) -> None:
    """Add HTTP endpoints to the partner gateway (``relais serve``, ``relais run --http``).

    Called once when the gateway application is built, after its own routes exist. Each router is mounted under
    ``/v1/plugins/<plugin>/``, where ``<plugin>`` is the plugin's entry-point name, so that two plugins can never
    claim the same path. The gateway authenticates nothing on these routes by itself: protect a route that is not
    public with the dependency ``hub.require_api_key("<connector>")``.

    :param register: call ``register(router)`` with a :class:`fastapi.APIRouter`, once per router; anything else
        is refused and reported against the plugin.
    :return: nothing. A plugin whose implementation raises is reported by name; the gateway serves without its
        routes and the other plugins' routes are still mounted.

    .. versionadded:: 0.1
    """


@hookspec
def relais_startup(hub: Any) -> None:
    """The hub has started: the journal is open, connectors are configured, the bus topology is declared.

    Called once per ``relais run`` (and ``--once``), before the first message is processed. Use it to start
    background clients or check a partner's reachability; raising is reported by plugin name and does not stop the
    hub.

    :param hub: the running :class:`hub.core.runtime.Hub`; plugins should use only its public attributes
        (``settings``, ``connectors``).
    :return: nothing.

    .. versionadded:: 0.1
    """


@hookspec
def relais_shutdown(hub: Any) -> None:
    """The hub is stopping cleanly (SIGTERM, Ctrl-C, end of ``--once``); in-flight work is finished or released.

    Called once, after the last delivery and before the journal closes. Raising is reported and ignored.

    :param hub: the stopping hub.
    :return: nothing.

    .. versionadded:: 0.1
    """
