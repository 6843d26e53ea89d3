"""``relais dalo attente``: the DALO households still waiting for rehousing, with their deadline (délai de
relogement), for the COMED and the préfet's services — on standard output, in a file, or in the COMED's outbox (the
daily list: run it from cron, see the README). Every export is a row of the audit trail."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import structlog

from hub import OperatorError, command_hub, command_operator, write_atomically
from plugins.dalo.attente import to_csv, to_json, waiting

__all__ = ["dalo"]

log = structlog.get_logger(__name__)
PARIS = ZoneInfo("Europe/Paris")


@click.group()
def dalo() -> None:
    """DALO households: who still waits for the State to rehouse them."""


@dalo.command("attente")
@click.option("--au", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Count the days left as of this day (YYYY-MM-DD; default today, Europe/Paris).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file (default: standard output).")
@click.option("--outbox", is_flag=True, help="Write to the dalo connector's outbox as attente-DAY.csv|json (the "
                                             "COMED's daily list).")
def attente(as_of: datetime | None, fmt: str, out: Path | None, outbox: bool) -> None:
    """The DALO households decided "prioritaire et urgent" and not rehoused, nearest deadline first; audited."""
    if out is not None and outbox:
        raise OperatorError("give --out FILE or --outbox, not both", 2)
    with command_hub() as hub:
        processor = hub.connectors.get("dalo_attente")
        if processor is None:
            raise OperatorError("the dalo_attente processor is not enabled ([connectors.dalo_attente] enabled = "
                                "true, and the dalo plugin loaded)", 2)
        connector = hub.connectors.get("dalo")
        if outbox and connector is None:
            raise OperatorError("--outbox: the dalo connector is not enabled", 2)
        months = processor.settings.delai_relogement_mois
        today = as_of.date() if as_of is not None else hub.clock().astimezone(PARIS).date()
        with processor.context.read() as conn:
            rows = waiting(conn, today, months)
        destination = f"outbox {connector.name}" if outbox else (f"file {out.name}" if out else "standard output")
        # written before the list leaves: who took it, how many rows — never a numéro unique
        hub.audit_access(actor=command_operator(), action="dalo attente", target=destination,
                         reason=f"rows={len(rows)} format={fmt} au={today.isoformat()} delai={months}")
        text = to_csv(rows) if fmt == "csv" else to_json(rows, today, months)
        if outbox:
            written = write_atomically(connector.context.outbox, f"attente-{today.isoformat()}.{fmt}", text.encode())
            click.echo(str(written))
        elif out is not None:
            out.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
    log.info("dalo_attente_exportee", lignes=len(rows), format=fmt, au=today.isoformat(), destination=destination)
