"""The web console of the people who run the shared device, and the public page of waiting times (issue 19).

Served by the hub itself under ``/console`` (``relais run --http``): server-rendered pages (Jinja2), French, no
build step. People sign in with accounts made by ``relais console users add`` (:mod:`hub.console.cli`), each tied
to a registry partner whose access rules filter everything they see (:mod:`hub.console.scope`); every view of
nominative data is audited. ``/console/public/attente`` needs no sign-in.

Modules: ``accounts`` (people, passwords, sessions, lockout), ``web`` (templates, CSRF, error pages), ``scope``
(what a person may see), ``flows`` and ``svg`` (the flow page's figures and charts), ``sources`` (the processors'
projections), ``routes_*`` (the pages), ``app`` (the sub-application), ``cli`` (``relais console users``).
"""

from typing import Any

__all__ = ["create_console"]


def __getattr__(name: str) -> Any:
    # Why lazy: `relais console users` (the CLI) imports this package and needs neither FastAPI nor Jinja2.
    if name == "create_console":
        from hub.console.app import create_console
        return create_console
    raise AttributeError(f"module 'hub.console' has no attribute {name!r}")
