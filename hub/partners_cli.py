"""Commands of the partner registry, the audit trail and the access rules: ``relais partners …``, ``relais audit``,
``relais policy explain``.

A built-in plugin of the command line (``relais_register_commands``), like the operating commands. Every change
of the registry is itself audited, under the operator's name (``relais --as NAME``, else the system account).
A key is printed once, when made: the hub keeps only its hash.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from contracts import REGISTRY
from hub.channels_cli import partners_deliver
from hub.cli_support import EXIT_FAILED, EXIT_USAGE, OperatorError, pass_ctx, parse_when
from hub.core.access_rules import Recipient, recipient_of, recipient_of_partner
from hub.core.audit import AuditKind
from hub.core.hookspecs import hookimpl
from hub.core.private import write_private
from hub.core.partners import Partner, PartnerError, read_rpls_csv
from hub.core.roles import PartnerRole

__all__ = ["partners", "audit_command", "policy", "relais_register_commands"]


def _registry_call(work: Any) -> Any:
    """A registry refusal is the operator's mistake: one line, exit 2 for a bad argument, 1 for an unknown id."""
    try:
        return work()
    except PartnerError as exc:
        raise OperatorError(str(exc), EXIT_FAILED if str(exc).startswith("no partner") else EXIT_USAGE) from None


def _show_key(key: str, key_id: str, partner_id: str, key_file: Path | None = None) -> None:
    """The new key, once: on standard output, or into ``key_file`` (owner-only) so that it never crosses a
    terminal or a CI log."""
    if key_file is not None:
        write_private(key_file, (key + "\n").encode())
        click.echo(f"key {key_id} for partner {partner_id} written to {key_file} (owner-only; the hub keeps only "
                   "its hash)")
        return
    click.echo(f"key {key_id} for partner {partner_id} (shown once, the hub keeps only its hash):")
    click.echo(f"  {key}")
    click.echo("give it to the partner over a safe channel; it sends it in X-Relais-Api-Key or Authorization: Bearer")


def _key_file(f):
    return click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path),
                        help="Write the key to this file (owner-only) instead of printing it.")(f)


def _as_dict(p: Partner, keys: list[dict[str, Any]] | None = None, stock: int | None = None) -> dict[str, Any]:
    out = {"id": p.id, "siren": p.entity.siren if p.entity else None, "nom": p.entity.nom if p.entity else None,
           "role": p.role.value, "connector": p.connector, "communes": sorted(p.communes),
           "emits": list(p.emits) if p.emits is not None else None, "status": p.status}
    if keys is not None:
        out["keys"] = keys
    if stock is not None:
        out["stock_dwellings"] = stock
    return out


def _channel_dict(channel: Any) -> dict[str, Any] | None:
    """How the partner receives, for ``--json``: never the secret."""
    if channel is None:
        return None
    return {"kind": channel.kind, "url": channel.url, "directory": str(channel.directory) if channel.directory
            else None, "concurrency": channel.concurrency, "subscriptions": list(channel.subscriptions)
            if channel.subscriptions is not None else None, "subscriber": channel.subscriber}


@click.group()
def partners() -> None:
    """The partner registry: legal entities, their connector, territory, scopes, keys and delivery channel."""


partners.add_command(partners_deliver)


@partners.command("add")
@click.argument("partner_id")
@click.option("--siren", required=True, help="SIREN of the legal entity (9 digits).")
@click.option("--nom", required=True, help="Raison sociale.")
@click.option("--role", required=True, type=click.Choice([r.value for r in PartnerRole]))
@click.option("--connector", "-c", required=True, help="The connector it speaks through (e.g. bailleurs).")
@click.option("--commune", "communes", multiple=True, metavar="INSEE",
              help="A commune of its territory (repeat); for a réservataire, where it holds reservations.")
@click.option("--emits", multiple=True, metavar="PATTERN",
              help="An event type it may emit (repeat; topic syntax, e.g. siao_label.*); default: its connector's.")
@click.option("--expires-in-days", type=click.IntRange(min=1), help="The first key expires after this many days.")
@_key_file
@pass_ctx
def partners_add(ctx, partner_id, siren, nom, role, connector, communes, emits, expires_in_days, key_file):
    """Register a partner and issue its first key (printed once)."""
    with ctx.hub() as hub:
        hub.connector(connector)   # an unknown connector: the error lists those loaded
        partner = _registry_call(lambda: hub.partners.add(partner_id, siren=siren, nom=nom, role=role,
                                                          connector=connector, communes=communes,
                                                          emits=list(emits) or None))
        expires = hub.partners.clock() + timedelta(days=expires_in_days) if expires_in_days else None
        issued = hub.partners.issue_key(partner.id, expires_at=expires)
        ctx.audit(hub, "partners add", partner.id, kind=AuditKind.ADMIN)
    click.echo(f"partner {partner.id} added: {nom} (SIREN {partner.entity.siren}), {role} via {connector}")
    _show_key(issued.key, issued.key_id, partner.id, key_file)


@partners.command("list")
@click.option("--connector", "-c")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def partners_list(ctx, connector, as_json):
    """Every registered partner, and the connectors' legacy keys (partner connector:NAME)."""
    with ctx.hub() as hub:
        found = hub.partners.list(connector)
        legacy = sorted(n for n, c in hub.connectors.items() if getattr(c.settings, "api_keys", None)
                        and (connector is None or n == connector))
    if as_json:
        click.echo(json.dumps({"partners": [_as_dict(p) for p in found],
                               "legacy": [f"connector:{n}" for n in legacy]}, indent=2, ensure_ascii=False))
        return
    if not found and not legacy:
        click.echo("no partner registered (see `relais partners add --help`)")
    for p in found:
        click.echo(f"{p.id:<24} {p.status:<8} {p.role.value:<16} {p.connector:<12} SIREN {p.entity.siren}  "
                   f"{p.entity.nom}")
    for name in legacy:
        click.echo(f"connector:{name:<14} legacy   keys of connectors.{name}.api_keys (migrate with "
                   "`relais partners add`)")


@partners.command("show")
@click.argument("partner_id")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def partners_show(ctx, partner_id, as_json):
    """One partner: identity, territory, scopes, its keys (ids and dates, never the keys) and its stock's size."""
    with ctx.hub() as hub:
        partner = _registry_call(lambda: hub.partners.require(partner_id))
        keys = hub.partners.keys(partner_id)
        stock = hub.partners.stock_size(partner_id)
        hub_channel = hub.channels.get(partner_id)
    shown = _as_dict(partner, keys, stock)
    shown["channel"] = _channel_dict(hub_channel)
    if as_json:
        click.echo(json.dumps(shown, default=str, indent=2, ensure_ascii=False))
        return
    click.echo(f"{partner.id}: {shown['nom']} (SIREN {shown['siren']}), {shown['role']} via {partner.connector}, "
               f"{partner.status}")
    click.echo(f"  territory: {', '.join(shown['communes']) or '-'}")
    click.echo(f"  emits: {', '.join(shown['emits']) if shown['emits'] is not None else 'what its connector declares'}")
    click.echo(f"  stock: {stock} dwelling(s) known" + ("" if stock else " (any dwelling accepted)"))
    channel = hub_channel
    click.echo(f"  receives: {channel.describe() if channel else 'nothing (see `relais partners deliver`)'}")
    for k in keys:
        state = "valid" if k["valid"] else "revoked" if k["revoked_at"] else "expired"
        expiry = f", expires {k['expires_at']:%Y-%m-%d %H:%M}" if k["expires_at"] else ""
        click.echo(f"  key {k['key_id']}  {state}  made {k['created_at']:%Y-%m-%d %H:%M}{expiry}")


@partners.command("rotate-key")
@click.argument("partner_id")
@click.option("--overlap-days", type=click.FloatRange(min=0), default=7.0, show_default=True,
              help="The previous keys stay valid this long, so that the partner deploys the new one without a gap.")
@_key_file
@pass_ctx
def partners_rotate_key(ctx, partner_id, overlap_days, key_file):
    """Issue a new key (printed once); the partner's previous keys expire after the overlap."""
    with ctx.hub() as hub:
        issued, expiring = _registry_call(
            lambda: hub.partners.rotate_key(partner_id, overlap=timedelta(days=overlap_days)))
        ctx.audit(hub, "partners rotate-key", partner_id, kind=AuditKind.ADMIN)
    _show_key(issued.key, issued.key_id, partner_id, key_file)
    if expiring:
        click.echo(f"previous key(s) {', '.join(expiring)} stay valid for {overlap_days:g} day(s)")


@partners.command("revoke")
@click.argument("partner_id")
@click.option("--key", "key_id", help="Revoke only this key (its id, see `relais partners show`).")
@pass_ctx
def partners_revoke(ctx, partner_id, key_id):
    """Revoke one key, or the partner itself with all its keys (its history stays)."""
    with ctx.hub() as hub:
        revoked = _registry_call(lambda: hub.partners.revoke(partner_id, key_id))
        ctx.audit(hub, "partners revoke" + (f" --key {key_id}" if key_id else ""), partner_id, kind=AuditKind.ADMIN)
    what = f"key {key_id}" if key_id else f"partner {partner_id} and {len(revoked)} key(s)"
    click.echo(f"{what} revoked; a hub process that verified it recently refuses it within 30 s"
               + ("" if key_id else ", and a running hub stops delivering to its channel within 30 s"))


@partners.command("set-emits")
@click.argument("partner_id")
@click.argument("patterns", nargs=-1)
@click.option("--default", "use_default", is_flag=True, help="Back to its role's scope (or its connector's).")
@pass_ctx
def partners_set_emits(ctx, partner_id, patterns, use_default):
    """Set the event types the partner may emit (topic patterns, e.g. 'siao_*.*' or decision_dalo.v1)."""
    if bool(patterns) == use_default:
        raise click.UsageError("give the patterns it may emit, or --default (not both)")
    with ctx.hub() as hub:
        partner = _registry_call(lambda: hub.partners.set_emits(partner_id, None if use_default else patterns))
        ctx.audit(hub, "partners set-emits", partner_id, kind=AuditKind.ADMIN,
                  reason=", ".join(patterns) if patterns else "default")
    shown = ", ".join(partner.emits) if partner.emits is not None else "its role's or its connector's (default)"
    click.echo(f"{partner_id} may emit: {shown}")


@partners.command("cert")
@click.argument("partner_id")
@click.argument("subject")
@pass_ctx
def partners_cert(ctx, partner_id, subject):
    """Let a client certificate (mutual TLS) authenticate the partner: SUBJECT as RFC 4514, e.g.
    'CN=caleol.ophis.fr,O=OPHIS'."""
    with ctx.hub() as hub:
        _registry_call(lambda: hub.partners.add_certificate(partner_id, subject))
        ctx.audit(hub, "partners cert", partner_id, kind=AuditKind.ADMIN, reason=subject)
    click.echo(f"a client certificate with subject {subject!r} now authenticates {partner_id}")


@partners.group("stock")
def partners_stock() -> None:
    """A landlord's dwellings (RPLS identifiers): when known, it decides only on those."""


@partners_stock.command("import")
@click.argument("partner_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--column", help="The CSV column holding the RPLS identifier (default: the first named *rpls*).")
@click.option("--append", is_flag=True, help="Add to the known stock instead of replacing it.")
@pass_ctx
def partners_stock_import(ctx, partner_id, file, column, append):
    """Import the partner's stock from a CSV file (e.g. its lines of the public RPLS extract)."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = file.read_text(encoding="latin-1")   # the public extract is sometimes Windows-encoded
    with ctx.hub() as hub:
        count = _registry_call(lambda: hub.partners.import_stock(partner_id, read_rpls_csv(text, column),
                                                                 replace_all=not append))
        total = hub.partners.stock_size(partner_id)
        ctx.audit(hub, "partners stock import", partner_id, kind=AuditKind.ADMIN, reason=file.name)
    click.echo(f"{count} dwelling(s) imported for {partner_id}; {total} known")


@click.command("audit")
@click.option("--partner", help="Only this actor: a partner id, or operator:NAME.")
@click.option("--kind", type=click.Choice(AuditKind.ALL))
@click.option("--since", help="At or after (YYYY-MM-DD[THH:MM]).")
@click.option("--until", help="Before.")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def audit_command(ctx, partner, kind, since, until, limit, as_json):
    """The audit trail: inbound calls, refusals, reads and exports of nominative data, registry changes."""
    with ctx.hub() as hub:
        rows = hub.audit.entries(actor=partner, kind=kind, since=parse_when(since), until=parse_when(until),
                                 limit=limit)
        ctx.audit(hub, "audit", partner)
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no audit entry matches")
    for r in rows:
        key = f" key {r['key_id']}" if r["key_id"] else ""
        click.echo(f"{r['at']:%Y-%m-%d %H:%M:%S}  {r['kind']:<8} {r['outcome']:<9} {r['actor']}{key}  "
                   f"{r['action']}  {r['target'] or ''}")
        if r["reason"]:
            click.echo(f"{'':<21}{r['reason']}")


@click.group()
def policy() -> None:
    """The access rules: who may receive which demands (the `access_rules` setting, else the shipped rules)."""


@policy.command("explain")
@click.argument("partner_id", metavar="PARTNER")
@click.argument("numero_unique")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def policy_explain(ctx, partner_id, numero_unique, as_json):
    """For each event of a demand: would PARTNER receive it, and by which rule (or why not).

    PARTNER is a registered partner's id, or connector:NAME for a connector's own partner."""
    with ctx.hub() as hub:
        recipient = _recipient(hub, partner_id)
        ctx.audit(hub, "policy explain", numero_unique, reason=f"for {partner_id}")
        rows = hub.journal.history(numero_unique)
        bodies = {seq: body for seq, _type, body in hub.journal.bodies([r["seq"] for r in rows])}
        verdicts = []
        for r in rows:
            verdict = hub.policy.rules.evaluate(recipient, REGISTRY.parse(bodies[r["seq"]]), hub.policy.history)
            verdicts.append({"event_id": r["id"], "type": r["type"], "allowed": verdict.allowed,
                             "rule": verdict.rule, "why": verdict.why})
        source = hub.policy.rules.source
    if not rows:
        raise OperatorError(f"no event journaled for {numero_unique}", EXIT_FAILED)
    if as_json:
        click.echo(json.dumps({"partner": partner_id, "rules": source, "events": verdicts}, indent=2,
                              ensure_ascii=False))
        return
    click.echo(f"{partner_id} ({recipient.role.value}), rules of {source}:")
    for v in verdicts:
        outcome = f"allowed by {v['rule']}" if v["allowed"] else "denied"
        click.echo(f"  {v['type']:<28} [{v['event_id']}] {outcome}: {v['why']}")


def _recipient(hub: Any, partner_id: str) -> Recipient:
    if partner_id.startswith("connector:"):
        return recipient_of(hub.connector(partner_id.split(":", 1)[1]))
    partner = _registry_call(lambda: hub.partners.require(partner_id))
    return recipient_of_partner(partner)


@hookimpl
def relais_register_commands(register):
    """The registry, audit and policy commands are a built-in plugin of the command line."""
    for command in (partners, audit_command, policy):
        register(command)
