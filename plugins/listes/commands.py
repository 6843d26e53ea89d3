"""``relais listes export NAME``: a list as CSV or JSON, for a territory or a registry partner (``--partner``: only the
households its access rules let it see); every export is written to the audit trail (who, for whom, which list, how
many rows, which filters — never a household's values)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
import structlog

from contracts.enums import ListeGestionPartagee
from hub import OperatorError, command_hub, command_operator
from plugins.listes.export import rows, to_csv, to_json
from plugins.listes.processor import ZONE

__all__ = ["listes"]

log = structlog.get_logger(__name__)


def _communes(_ctx, _param, value: str | None) -> set[str] | None:
    if not value:
        return None
    codes = {c.strip() for c in value.split(",") if c.strip()}
    bad = sorted(c for c in codes if not (len(c) == 5 and c[:2].isalnum() and c[2:].isdigit()))
    if bad:
        raise click.BadParameter(f"{', '.join(bad)}: give INSEE codes of 5 characters, comma-separated "
                                 "(e.g. 63430,63125)")
    return codes


@click.group()
def listes() -> None:
    """The shared device's lists: priority households, délai anormalement long, demandes Poulidor."""


@listes.command("export")
@click.argument("name", type=click.Choice([liste.value for liste in ListeGestionPartagee]))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--communes", callback=_communes, help="Only households wishing one of these communes (INSEE codes, "
                                                     "comma-separated).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file (default: standard output).")
@click.option("--partner", "partner_id", metavar="ID",
              help="For this registry partner: only the households its access rules let it see.")
@click.option("--au", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Count the months of waiting as of this day (YYYY-MM-DD; default today, Europe/Paris).")
def export_command(name: str, fmt: str, communes: set[str] | None, out: Path | None,
                   partner_id: str | None, as_of: datetime | None) -> None:
    """Export a list (CSV with ';', or JSON), oldest entry first; audited."""
    liste = ListeGestionPartagee(name)
    with command_hub() as hub:
        processor = hub.connectors.get("listes")
        if processor is None:
            raise OperatorError("the listes processor is not enabled ([connectors.listes] enabled = true)", 2)
        partner = hub.find_partner(partner_id) if partner_id is not None else None
        if partner_id is not None and partner is None:
            raise OperatorError(f"--partner {partner_id}: no active partner of that id (see `relais partners "
                                "list`)", 2)
        may_read = None if partner is None else \
            (lambda nu, wished: hub.demand_verdict(partner, nu, wished).allowed)
        today = as_of.date() if as_of is not None else hub.clock().astimezone(ZONE).date()
        with processor.context.read() as conn:
            found = rows(conn, liste, communes=communes, may_read=may_read, today=today)
        # written before the list leaves: who took it, for whom, how many rows and which filters — no household's
        # value (the numéros uniques themselves stay out of the trail too)
        filters = f"format={fmt} communes={','.join(sorted(communes)) if communes else 'all'}"
        hub.audit_access(actor=command_operator(), action=f"listes export {liste.value}",
                         target=f"partner:{partner.id}" if partner else "operator view",
                         reason=f"rows={len(found)} {filters}" + (f" role={partner.role.value}" if partner else ""))
    text = to_csv(liste, found) if fmt == "csv" else to_json(liste, found, today)
    log.info("liste_exportee", liste=liste.value, format=fmt, lignes=len(found),
             communes=sorted(communes) if communes else None, partner=partner.id if partner else None,
             fichier=str(out) if out else None)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"relais: {len(found)} demande(s) of list {liste.value} written to {out}", err=True)
