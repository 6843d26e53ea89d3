"""Hook implementations of the lifecycle plugin: the ``echeances`` processor and the ``relais echeances`` commands."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import click
from sqlalchemy import select

from hub import OperatorError, command_hub, hookimpl
from plugins.lifecycle import tables
from plugins.lifecycle.processor import Echeances

COLUMNS = ("numero_unique", "jour", "canal", "date_anniversaire", "date_radiation_prevue")


@click.group("echeances")
def echeances_command() -> None:
    """The demands' deadlines (renewal notices, radiations, purge) computed by the echeances processor."""


@echeances_command.command("avis")
@click.option("--jour", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day whose list of renewal notices due is wanted (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
def avis_command(jour, fmt: str) -> None:
    """The list of renewal notices that fall due on a day: what the fichier partagé sends, or what is transmitted
    daily to the GIP SNE under the national rules. Numéros uniques and dates only."""
    day: date = jour.date()
    with command_hub() as hub:
        processor = hub.connectors.get("echeances")
        if processor is None:
            raise OperatorError("the echeances processor is not enabled ([connectors.echeances] enabled = true)", 2)
        with processor.context.read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                select(*(tables.avis.c[c] for c in COLUMNS)).where(tables.avis.c.jour == day.isoformat())
                .order_by(tables.avis.c.numero_unique))]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    click.echo(out.getvalue(), nl=False)


@hookimpl
def relais_register_connectors(register):
    register(Echeances)


@hookimpl
def relais_register_commands(register):
    register(echeances_command)


@hookimpl
def relais_register_routes(register):
    from plugins.lifecycle.routes import router   # FastAPI is imported only when the gateway is built
    register(router)
