"""``relais console users add|list|disable|reset-password``: the people who sign in to the web console.

A built-in plugin of the command line (``relais_register_commands``), like the registry's commands. Each account
is tied to an active partner of the registry (what the person sees is what that partner may see) and a role
(``operator``: may also retry, discard and reveal dead letters; ``reader``: reads only). Every change is audited
under the operator's name. A password is prompted (twice, hidden) or read from ``--password-file`` (its first
line), never taken on the command line, where it would end in the shell's history.
"""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli_support import EXIT_FAILED, EXIT_USAGE, OperatorError, pass_ctx
from hub.console.accounts import ROLES, AccountError, AccountStore
from hub.core.audit import AuditKind
from hub.core.hookspecs import hookimpl

__all__ = ["console", "relais_register_commands"]


def _password(password_file: Path | None) -> str:
    if password_file is None:
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    lines = password_file.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0]:
        raise OperatorError(f"--password-file {password_file}: the file is empty; write the password on its first "
                            "line", EXIT_USAGE)
    return lines[0]


def _store(hub) -> AccountStore:
    return AccountStore(hub.journal.engine, hub.clock)


@click.group()
def console() -> None:
    """The web console (/console on `relais run --http`): its people."""


@console.group()
def users() -> None:
    """Accounts of the console: each tied to a registry partner and a role (operator, reader)."""


_password_file = click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                              help="Read the password from this file's first line instead of prompting.")


@users.command("add")
@click.argument("email")
@click.option("--partner", "partner_id", required=True, help="The registry partner the person works for.")
@click.option("--role", required=True, type=click.Choice(ROLES),
              help="operator: may retry, discard and reveal dead letters; reader: reads only.")
@_password_file
@pass_ctx
def users_add(ctx, email, partner_id, role, password_file):
    """Create an account (the person signs in at /console with this e-mail)."""
    with ctx.hub() as hub:
        if hub.find_partner(partner_id) is None:
            raise OperatorError(f"--partner {partner_id}: no active partner of that id (see `relais partners list`; "
                                "register it with `relais partners add`)", EXIT_USAGE)
        password = _password(password_file)
        try:
            email = _store(hub).add(email, partner_id, role, password)
        except AccountError as exc:
            raise OperatorError(str(exc), EXIT_USAGE) from None
        ctx.audit(hub, "console users add", f"person:{email}@{partner_id}", kind=AuditKind.ADMIN, reason=f"role={role}")
    click.echo(f"account {email} created for partner {partner_id} (role {role}); sign in at /console")


@users.command("list")
@pass_ctx
def users_list(ctx):
    """Every account: e-mail, partner, role, status."""
    with ctx.hub() as hub:
        rows = _store(hub).list()
    if not rows:
        click.echo("no console account (create one with `relais console users add`)")
    for r in rows:
        click.echo(f"{r['email']:<40} {r['partner']:<24} {r['role']:<9} {r['status']}")


@users.command("disable")
@click.argument("email")
@pass_ctx
def users_disable(ctx, email):
    """The account can no longer sign in; its open sessions end now."""
    with ctx.hub() as hub:
        try:
            _store(hub).disable(email)
        except LookupError as exc:
            raise OperatorError(str(exc.args[0]), EXIT_FAILED) from None
        ctx.audit(hub, "console users disable", f"person:{email.strip().lower()}", kind=AuditKind.ADMIN)
    click.echo(f"account {email.strip().lower()} disabled; its sessions are ended")


@users.command("reset-password")
@click.argument("email")
@_password_file
@pass_ctx
def users_reset_password(ctx, email, password_file):
    """A new password; the account's open sessions end."""
    with ctx.hub() as hub:
        store = _store(hub)
        if store.get(email) is None:
            raise OperatorError(f"no console account {email.strip().lower()!r} (see `relais console users list`)",
                                EXIT_FAILED)
        try:
            store.reset_password(email, _password(password_file))
        except AccountError as exc:
            raise OperatorError(str(exc), EXIT_USAGE) from None
        ctx.audit(hub, "console users reset-password", f"person:{email.strip().lower()}", kind=AuditKind.ADMIN)
    click.echo(f"password of {email.strip().lower()} changed; its sessions are ended")


@hookimpl
def relais_register_commands(register):
    register(console)
