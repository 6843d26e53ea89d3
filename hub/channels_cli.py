"""``relais partners deliver``: how a registered partner receives its events (webhook, outbox directory, pull).

Why the hub makes the signing secret: a secret an operator invents is guessable; the hub draws 32 random bytes,
prints it once (or writes it owner-only to ``--secret-file``, so that it never crosses a terminal or a CI log) and
keeps it to sign with. It is never logged nor shown again: a lost secret is replaced by running the command again.
"""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli_support import EXIT_FAILED, EXIT_USAGE, OperatorError, pass_ctx
from hub.core.audit import AuditKind
from hub.core.channels import MAX_CONCURRENCY, ChannelKind, subscriber_name
from hub.core.partners import PartnerError
from hub.core.private import write_private

__all__ = ["partners_deliver"]


@click.command("deliver")
@click.argument("partner_id")
@click.option("--webhook", "url", metavar="URL", help="POST each event to this URL, signed (Relais-Signature).")
@click.option("--outbox", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Write each event as a file into this directory (atomically, owner-only).")
@click.option("--pull", is_flag=True, help="The partner fetches its events: GET /v1/partners/me/events.")
@click.option("--none", "stop", is_flag=True, help="The partner receives nothing any more.")
@click.option("--secret-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Webhook: write the new signing secret to this file (owner-only) instead of printing it.")
@click.option("--keep-secret", is_flag=True, help="Webhook: keep the current signing secret (a new URL only).")
@click.option("--concurrency", type=click.IntRange(1, MAX_CONCURRENCY), default=1, show_default=True,
              help="Webhook: requests in flight at most to this partner.")
@click.option("--subscribe", "patterns", multiple=True, metavar="PATTERN",
              help="Event types it receives (repeat; topic syntax, e.g. decision_cal.*); default: its connector's "
                   "subscriptions, else every event its access rules let it see.")
@pass_ctx
def partners_deliver(ctx, partner_id, url, directory, pull, stop, secret_file, keep_secret, concurrency, patterns):
    """Choose how the partner receives the events that concern it (takes effect when the hub restarts)."""
    chosen = [name for name, given in (("--webhook", url), ("--outbox", directory), ("--pull", pull),
                                       ("--none", stop)) if given]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --webhook URL, --outbox DIR, --pull, --none"
                               + (f" (got {', '.join(chosen)})" if chosen else ""))
    if (secret_file or keep_secret) and not url:
        raise click.UsageError("--secret-file and --keep-secret are for --webhook")
    with ctx.hub() as hub:
        try:
            partner = hub.partners.require(partner_id)
            if stop:
                removed = hub.channels.remove(partner_id)
                ctx.audit(hub, "partners deliver --none", partner_id, kind=AuditKind.ADMIN)
                click.echo(f"{partner_id} receives nothing any more" if removed else
                           f"{partner_id} had no delivery channel")
                return
            previous = hub.channels.get(partner_id)
            secret = None
            if keep_secret:
                if previous is None or previous.secret is None:
                    raise PartnerError(f"--keep-secret: {partner_id} has no webhook secret yet; leave it out")
                secret = previous.secret
            kind = ChannelKind.WEBHOOK if url else ChannelKind.OUTBOX if directory else ChannelKind.PULL
            channel = hub.channels.set(partner.id, kind, url=url, secret=secret,
                                       directory=directory.expanduser().absolute() if directory else None,
                                       concurrency=concurrency, subscriptions=patterns or None)
        except PartnerError as exc:
            raise OperatorError(str(exc), EXIT_FAILED if str(exc).startswith("no partner") else EXIT_USAGE) \
                from None
        ctx.audit(hub, f"partners deliver --{kind}", partner_id, kind=AuditKind.ADMIN,
                  reason=channel.describe())
    click.echo(f"{partner_id} receives by {channel.describe()} as subscriber {subscriber_name(partner_id)}; "
               "restart `relais run` for it to take effect")
    if kind == ChannelKind.WEBHOOK and not keep_secret:
        _show_secret(channel.secret or "", partner_id, secret_file)


def _show_secret(secret: str, partner_id: str, secret_file: Path | None) -> None:
    if secret_file is not None:
        write_private(secret_file, (secret + "\n").encode())
        click.echo(f"signing secret for {partner_id} written to {secret_file} (owner-only; not shown again)")
        return
    click.echo(f"signing secret for {partner_id} (shown once; give it to the partner over a safe channel):")
    click.echo(f"  {secret}")
    click.echo("the partner checks each POST's Relais-Signature header with it (docs/partners.md, Receiving events)")
