"""What the ``relais`` command line and the commands its built-in plugins add share: the command context (settings
read once, the hub built on demand), exit codes, the one-line operator error, date options.

Why a module of its own: :mod:`hub.cli` registers the operation and scaffold commands as built-in plugins (through
``relais_register_commands``, like any plugin's); those modules import this one, never :mod:`hub.cli`, so there is
no import cycle to hide.
"""

from __future__ import annotations

import getpass
import os
from datetime import datetime, timezone
from typing import Any

import click

from hub.core.audit import AuditEntry, AuditKind
from hub.core.logging import configure_logging
from hub.core.plugins import PluginHost
from hub.settings import HubSettings, load_settings

__all__ = ["Context", "pass_ctx", "command_hub", "command_operator", "parse_when", "OperatorError", "EXIT_FAILED",
           "EXIT_USAGE", "EXIT_REJECTED", "EXIT_UNFINISHED"]

EXIT_FAILED = 1     # the named thing does not exist, or the work failed at run time
EXIT_USAGE = 2      # usage or configuration error (click's own usage errors use 2 as well)
EXIT_REJECTED = 3   # some input was rejected, or dead letters are still failing
EXIT_UNFINISHED = 4  # `run --once`: deliveries that were due were not made (see what it says is left)


class OperatorError(click.ClickException):
    """One line ``Error: …`` on standard error and a documented exit code, instead of a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED):
        super().__init__(message)
        self.exit_code = exit_code


class Context:
    def __init__(self, config: str | None, host: PluginHost | None = None, operator: str | None = None):
        self.config = config
        self.host = host
        self._operator = operator
        self._settings: HubSettings | None = None

    @property
    def operator(self) -> str:
        """Who runs the command, as the audit trail names them: ``--as NAME`` (or ``RELAIS_OPERATOR``), else the
        account of the operating system."""
        if self._operator:
            return self._operator
        try:
            return getpass.getuser()
        except (KeyError, OSError):   # no name for this uid (a container): still traceable by uid
            return f"uid{os.getuid()}"

    def audit(self, hub: Any, action: str, target: str | None = None, *, kind: str = AuditKind.READ,
              reason: str | None = None, outcome: str = "done") -> None:
        """Record that this operator read, exported or changed something (before it is shown)."""
        hub.audit.record(AuditEntry(kind=kind, actor=f"operator:{self.operator}", outcome=outcome, action=action,
                                    target=target, reason=reason))

    @property
    def settings(self) -> HubSettings:
        if self._settings is None:
            self._settings = load_settings(self.config)
            configure_logging(self._settings.log_format, self._settings.log_level)
        return self._settings

    def hub(self):
        from hub.core.runtime import Hub
        hub = Hub(self.settings, self.host or PluginHost.load())
        for name, count in sorted(hub.seeded.items()):
            click.echo(f"relais: no configuration given, so this first start copied {count} example file(s) into "
                       f"{hub.connectors[name].context.inbox} (a demo: any relais.toml, --config or RELAIS_* "
                       "variable turns it off; seed_examples = false too)", err=True)
        return hub


pass_ctx = click.make_pass_decorator(Context)


def command_hub():
    """The hub of the running ``relais`` command (its settings, journal and connectors), for a plugin's command:
    ``with command_hub() as hub: …``. Nothing is started: the command reads or writes the journal only."""
    context = click.get_current_context().find_object(Context)
    if context is None:
        raise RuntimeError("command_hub() is for commands run by the relais command line")
    return context.hub()


def command_operator() -> str:
    """Who runs this ``relais`` command, as the audit trail names them (``operator:NAME``: ``--as NAME`` or the
    account of the operating system), for a plugin's command writing ``hub.audit_access(actor=…)``."""
    context = click.get_current_context().find_object(Context)
    if context is None:
        raise RuntimeError("command_operator() is for commands run by the relais command line")
    return f"operator:{context.operator}"


def parse_when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
