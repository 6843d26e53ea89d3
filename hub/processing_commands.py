"""Commands of the computing side: ``relais tick``, ``relais projections``, ``relais timers``.

A built-in plugin of the command line (registered through ``relais_register_commands``, like any plugin's).
"""

from __future__ import annotations

import json
from datetime import date, datetime

import click

from hub.cli_support import EXIT_USAGE, OperatorError, pass_ctx
from hub.core.hookspecs import hookimpl
from hub.core.processing import TERRITORY_ZONE, end_of_day
from hub.progress import ProgressDisplay

__all__ = ["tick", "projections", "timers_command", "relais_register_commands", "parse_instant"]


def parse_instant(value: str | None) -> datetime | None:
    """``YYYY-MM-DD``: the end of that day in the territory's time; ``YYYY-MM-DDTHH:MM``: that time there (or
    at the offset given)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return end_of_day(date.fromisoformat(value))
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    return when if when.tzinfo else when.replace(tzinfo=TERRITORY_ZONE)


@click.command()
@click.option("--at", "at", callback=lambda _c, _p, value: parse_instant(value),
              help="The day (YYYY-MM-DD: until its end, Europe/Paris) or instant to fire timers at; default now.")
@pass_ctx
def tick(ctx, at: datetime | None) -> None:
    """Fire the processors' timers due at a date, and let the processors handle what that derives, with their
    clock at that date. Idempotent: a timer fires once. For cron (daily) and for replaying a day; deliveries to
    partners are made by `relais run`."""
    with ctx.hub() as hub:
        at = at or hub.clock()
        if not hub.processors:
            raise OperatorError("no processor is enabled: nothing has timers (see `relais plugins`)", EXIT_USAGE)
        summary = hub.tick(at)
    processed = sum(summary.delivered.values())
    click.echo(f"relais: tick at {at.astimezone(TERRITORY_ZONE):%Y-%m-%d %H:%M %Z}: {summary.timers_fired} "
               f"timer(s) fired, {processed} event(s) handled by processors")
    failed = sum(summary.failed.values())
    if failed:
        click.echo(f"relais: {failed} event(s) failed in a processor; see `relais deliveries` and `relais dead list`",
                   err=True)


@click.group()
def projections() -> None:
    """The processors' read models (projections): their state, and their rebuild from the journal."""


@projections.command("list")
@pass_ctx
def projections_list(ctx) -> None:
    """Each projection: its version, status, last rebuild."""
    with ctx.hub() as hub:
        rows = hub.projections.status()
    if not rows:
        click.echo("no processor keeps a projection")
    for r in rows:
        rebuilt = f"rebuilt {r['rebuilt_at']:%Y-%m-%d %H:%M} from {r['events']} event(s)" if r.get("rebuilt_at") \
            else "never rebuilt"
        click.echo(f"{r['name']:<16} version {r['version'] or '-'} ({r['status']}), {rebuilt}")


@projections.command("rebuild")
@click.argument("name", required=False)
@click.option("--progress/--no-progress", default=None, help="Progress on standard error (default: on a terminal).")
@pass_ctx
def projections_rebuild(ctx, name: str | None, progress: bool | None) -> None:
    """Empty a projection (or every one) and rebuild it from the journal, in one transaction; a running hub's
    processor waits for it and then goes on from where the journal is."""
    with ctx.hub() as hub:
        names = sorted(hub.projections.processors)
        if name is not None:
            if name not in names:
                raise OperatorError(f"no projection named {name!r}; projections: {', '.join(names) or 'none'}",
                                    EXIT_USAGE)
            names = [name]
        for n in names:
            display = None if progress is False else ProgressDisplay(f"rebuilding {n}", "events",
                                                                     terminal=True if progress else None)
            try:
                count = hub.projections.rebuild(n, hub.clock,
                                                (lambda _n, k: display.update(k)) if display else None)
            finally:
                if display is not None:
                    display.close(summary=False)
            click.echo(f"relais: projection {n} rebuilt from {count} event(s)")


@click.command("timers")
@click.option("--processor", "-p")
@click.option("--demand", "subject", help="Numéro unique.")
@click.option("--status", type=click.Choice(["pending", "fired", "cancelled", "failed"]))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def timers_command(ctx, processor, subject, status, as_json) -> None:
    """The processors' timers, soonest first (pending ones by default)."""
    with ctx.hub() as hub:
        rows = hub.timers.listing(processor=processor, subject=subject, status=status or "pending")
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    if not rows:
        click.echo(f"no {status or 'pending'} timer" + (f" for {subject}" if subject else ""))
        return
    for r in rows:
        due = r["due_at"].astimezone(TERRITORY_ZONE)
        line = f"{due:%Y-%m-%d %H:%M}  {r['processor']:<14} {r['status']:<9} {r['subject'] or '-':<20} {r['key']}"
        if r["last_error"]:
            line += f"  (last error: {r['last_error'][:120]})"
        click.echo(line)


@hookimpl
def relais_register_commands(register):
    for command in (tick, projections, timers_command):
        register(command)
