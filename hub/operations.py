"""Operating commands: ``relais dead list|show|retry|discard``, ``relais replay``, ``relais event`` and
``relais db current|upgrade``.

They work on the journal only, so they can run beside a running hub (or several): what they reopen is flagged
for dispatch and the running hubs' next sweep (within a second) sends it. ``relais db`` opens the journal's engine
without building a hub, so that it can show or migrate a journal the hub refuses to start on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from hub.cli_support import EXIT_FAILED, OperatorError, pass_ctx
from hub.cli_support import parse_when as _parse_when
from hub.core import migrations
from hub.core.audit import AuditKind
from hub.core.hookspecs import hookimpl
from hub.core.stores.engine import make_engine
from hub.core.private import write_private

__all__ = ["dead", "replay", "event_state", "db", "relais_register_commands"]


def _filters(f):
    f = click.option("--connector", "-c", help="Only this connector.")(f)
    f = click.option("--type", "event_type", help="Only this event type (e.g. decision_cal.v1).")(f)
    f = click.option("--direction", type=click.Choice(["inbound", "outbound"]))(f)
    f = click.option("--since", help="Created at or after (YYYY-MM-DD[THH:MM]).")(f)
    f = click.option("--until", help="Created before.")(f)
    return f


def _select(hub: Any, ids: tuple[int, ...], select_all: bool, connector, event_type, direction, since, until,
            status: str | None = "open") -> list[dict[str, Any]]:
    filtered = any((connector, event_type, direction, since, until))
    if not ids and not select_all and not filtered:
        raise click.UsageError("name dead letters by ID, or select them with filters or --all")
    rows = hub.journal.dead_letters(status=status, connector=connector, event_type=event_type, direction=direction,
                                    since=_parse_when(since), until=_parse_when(until), ids=list(ids) or None)
    missing = sorted(set(ids) - {r["id"] for r in rows})
    if missing:   # a typo in an id must not pass for "done": nothing is touched
        raise OperatorError(f"no {status} dead letter " + ", ".join(f"#{i}" for i in missing)
                            + " (see `relais dead list --status any`)", EXIT_FAILED)
    if not rows and not select_all:
        raise OperatorError(f"no {status} dead letter matches these filters (see `relais dead list`)", EXIT_FAILED)
    return rows


@click.group()
def dead() -> None:
    """The dead-letter store: rejected inbound messages and deliveries that exhausted their retries."""

@dead.command("list")
@_filters
@click.option("--status", type=click.Choice(["open", "retried", "discarded", "any"]), default="open",
              show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def dead_list(ctx, connector, event_type, direction, since, until, status, as_json):
    """List dead letters (most useful first: the reason and where the problem is)."""
    with ctx.hub() as hub:
        ctx.audit(hub, "dead list", connector)
        rows = hub.journal.dead_letters(status=None if status == "any" else status, connector=connector,
                                        event_type=event_type, direction=direction,
                                        since=_parse_when(since), until=_parse_when(until))
    if as_json:
        click.echo(json.dumps([_public(r) for r in rows], default=str, indent=2))
        return
    if not rows:
        click.echo("no dead letters")
        return
    for r in rows:
        where = ", ".join(x for x in (r["origin"], f"line {r['line']}" if r["line"] else None,
                                      r["field"]) if x)
        click.echo(f"#{r['id']:<5} {r['created_at']:%Y-%m-%d %H:%M} {r['direction']:<8} {r['connector']:<12} "
                   f"{r['status']:<9} {r['event_type'] or '-':<22} {where}")
        click.echo(f"       {r['reason']}")
        if (r.get("occurrences") or 1) > 1:
            click.echo(f"       received {r['occurrences']} times, last {r['last_seen_at']:%Y-%m-%d %H:%M}")

@dead.command("show")
@click.argument("dead_id", type=int)
@click.option("--payload", "payload_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the kept bytes to this file (to fix them and `dead retry --with-file`); audited.")
@click.option("--reveal", is_flag=True, help="Also show the kept bytes (a household's personal values); needs "
                                               "--reason, and is audited.")
@click.option("--reason", help="Why you need the personal values (kept in the audit trail).")
@pass_ctx
def dead_show(ctx, dead_id, payload_out, reveal, reason):
    """Show one dead letter: every problem found, every delivery attempt, and how to get its bytes.

    The kept bytes (personal values) are hidden unless asked with --reveal --reason TEXT."""
    if reveal and not (reason or "").strip():
        raise click.UsageError("--reveal shows a household's personal values: say why with --reason TEXT "
                               "(it is kept in the audit trail)")
    with ctx.hub() as hub:
        rows = hub.journal.dead_letters(status=None, ids=[dead_id])
        if rows:
            if reveal:
                ctx.audit(hub, "dead show --reveal", f"dead letter #{dead_id}", kind=AuditKind.REVEAL, reason=reason)
            else:
                ctx.audit(hub, "dead show" + (" --payload" if payload_out else ""), f"dead letter #{dead_id}",
                          reason=reason)
    if not rows:
        raise OperatorError(f"no dead letter #{dead_id} (see `relais dead list --status any`)", EXIT_FAILED)
    r = rows[0]
    shown = _public(r)
    if reveal and r["payload"] is not None:
        shown["payload"] = r["payload"].decode("utf-8", errors="replace")
    click.echo(json.dumps(shown, default=str, indent=2, ensure_ascii=False))
    if payload_out and r["payload"] is not None:
        write_private(payload_out, r["payload"])   # a household's data: owner-only
        click.echo(f"payload ({len(r['payload'])} bytes) written to {payload_out}")

@dead.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "select_all", is_flag=True, help="Every open dead letter.")
@_filters
@click.option("--with-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use these corrected bytes instead of the kept ones (one inbound dead letter).")
@pass_ctx
def dead_retry(ctx, ids, select_all, connector, event_type, direction, since, until, with_file):
    """Process dead letters again, after their cause was fixed."""
    from hub.core.deadletters import DeadLetterOps
    with ctx.hub() as hub:
        items = _select(hub, ids, select_all, connector, event_type, direction, since, until)
        if with_file and len(items) != 1:
            raise click.UsageError("--with-file replaces the bytes of exactly one dead letter")
        outcome = DeadLetterOps(hub).retry(items, with_file.read_bytes() if with_file else None)
    click.echo(f"{len(outcome.retried)} retried, {len(outcome.still_failing)} still failing, "
               f"{len(outcome.skipped)} skipped")
    for dl_id, reason in outcome.still_failing + outcome.skipped:
        click.echo(f"  #{dl_id}: {reason}")
    if outcome.still_failing:
        sys.exit(3)

@dead.command("discard")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "select_all", is_flag=True)
@_filters
@pass_ctx
def dead_discard(ctx, ids, select_all, connector, event_type, direction, since, until):
    """Give up on dead letters (kept for audit, marked discarded)."""
    from hub.core.deadletters import DeadLetterOps
    with ctx.hub() as hub:
        items = _select(hub, ids, select_all, connector, event_type, direction, since, until)
        done = DeadLetterOps(hub).discard(items)
    click.echo(f"{len(done)} discarded")

@click.command()
@click.option("--connector", "-c", required=True, help="The subscriber to re-send to.")
@click.option("--since", required=True, help="Journaled at or after (YYYY-MM-DD[THH:MM]).")
@click.option("--until", help="Journaled before.")
@pass_ctx
def replay(ctx, connector, since, until):
    """Re-send journaled events to one partner (it lost data, or it is new and catches up).

    Only events the partner subscribes to and the access rules let it see are sent; they go in journal order."""
    from contracts import REGISTRY
    from hub.core.routing import topic_matches
    with ctx.hub() as hub:
        conn = hub.subscriber(connector)   # a connector, or a partner with a channel (partner.<id>)
        if not conn.subscriptions:
            raise click.UsageError(f"connector {connector!r} subscribes to nothing")
        ctx.audit(hub, "replay", f"connector {connector} since {since}" + (f" until {until}" if until else ""))
        seqs, denied = hub.journal.ensure_deliveries(
            connector, _parse_when(since), until=_parse_when(until),
            types=lambda t: topic_matches(conn.subscriptions, t),
            allowed=lambda e: hub.policy.allowed(conn, e), parse=REGISTRY.parse)
    click.echo(f"{len(seqs)} event(s) queued again for {connector}; the running hub delivers them "
               "(or run `relais run --once`)")
    if denied:
        click.echo(f"{denied} event(s) not sent: the access rules do not let {connector} see them")

@click.command("event")
@click.argument("event_id")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def event_state(ctx, event_id, as_json):
    """Where one event is: journaled when, on the bus or not yet, and its state at every subscriber."""
    with ctx.hub() as hub:
        ctx.audit(hub, "event", event_id)
        found = hub.journal.find_event(event_id)
    if found is None:
        raise OperatorError(f"no event {event_id} in the journal", EXIT_FAILED)
    if as_json:
        click.echo(json.dumps(found, default=str, indent=2))
        return
    click.echo(f"{found['id']}  {found['type']}  demand {found['subject'] or '-'}  from {found['source']}")
    click.echo(f"journaled {found['recorded_at']:%Y-%m-%d %H:%M:%S} (seq {found['seq']}), "
               + ("published on the bus" if found["published"] else "waiting in the outbox for the bus"))
    if not found["deliveries"]:
        click.echo("no subscriber takes this event")
    for d in found["deliveries"]:
        line = f"  {d['subscriber']:<16} {d['status']:<11} attempts {d['attempts']}"
        if d["next_attempt_at"] and d["status"] == "retrying":
            line += f", next {d['next_attempt_at']:%Y-%m-%d %H:%M:%S}"
        click.echo(line)
        if d["last_error"]:
            click.echo(f"  {'':<16} last error: {d['last_error'][-1].get('error', '?')}")



@click.group()
def db() -> None:
    """The journal's schema revision: where it is, and upgrading it to this release's."""


def _journal_engine(ctx):
    settings = ctx.settings
    return make_engine(settings.journal, connect_timeout=settings.journal_timeout,
                       statement_timeout=settings.journal_statement_timeout)


@db.command("current")
@pass_ctx
def db_current(ctx):
    """Show the journal's revision, the one this release needs, and whether the journal is behind or ahead."""
    engine = _journal_engine(ctx)
    try:
        state = migrations.journal_revision(engine)
    finally:
        engine.dispose()
    click.echo(f"journal revision: {state.label}")
    click.echo(f"this release:     {state.head}")
    migrations.refuse_ahead(state)
    if state.empty:
        click.echo(f"status:           empty; created at {state.head} when the hub or `relais db upgrade` opens it")
    elif state.behind:
        click.echo(f"status:           behind by {len(state.pending)} revision(s) ({', '.join(state.pending)}); "
                   "run `relais db upgrade` (a start applies them too unless journal_auto_upgrade = false)")
    else:
        click.echo("status:           up to date")


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx):
    """Apply the journal's pending schema migrations (under a lock: safe beside starting hubs). Back the journal up
    first: migrations only move forward."""
    engine = _journal_engine(ctx)
    try:
        done = migrations.upgrade(engine)
    finally:
        engine.dispose()
    if done is None:
        click.echo(f"journal already at revision {migrations.head()}: nothing to do")
    elif done.created:
        click.echo(f"journal created at revision {done.to_revision}")
    else:
        click.echo(f"journal upgraded from revision {done.from_label} to {done.to_revision}")


@hookimpl
def relais_register_commands(register):
    """The operating commands are a built-in plugin of the command line, registered like any plugin's."""
    for command in (dead, replay, event_state, db):
        register(command)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k != "payload"}
    for key in ("problems", "attempts"):
        if out.get(key):
            try:
                out[key] = json.loads(out[key])
            except ValueError:
                pass
    out["payload_bytes"] = len(row["payload"]) if row.get("payload") is not None else 0
    return out
