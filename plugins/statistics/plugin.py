"""Hook implementations of the statistics plugin: the ``statistiques`` processor and ``relais stats``."""

from __future__ import annotations

from pathlib import Path

import click
from hub import OperatorError, command_hub, hookimpl
from plugins.statistics import charts, export
from plugins.statistics.figures import compute
from plugins.statistics.parc import read_parc
from plugins.statistics.processor import Statistiques, read_rows


@click.command("stats")
@click.option("--year", "year", type=int, required=True, help="Year N of the report: pending at 31/12/N-1, "
              "attributions of N-1.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv", show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="File to write (required for xlsx); default: standard output.")
@click.option("--parc", "parc", type=click.Path(path_type=Path, exists=True), default=None,
              help="The landlords' stock (CSV commune;typologie;habitat;logements); default [connectors."
              "statistiques] parc.")
@click.option("--charts", "charts_dir", type=click.Path(path_type=Path), default=None,
              help="Directory to draw the charts in (PNG and SVG).")
def stats_command(year: int, fmt: str, out: Path | None, parc: Path | None, charts_dir: Path | None) -> None:
    """The territory's figures for year N, per commune and typology, under statistical secrecy (hidden cells: s)."""
    if fmt == "xlsx" and out is None:
        raise OperatorError("--format xlsx writes a file: give --out FILE.xlsx", 2)
    with command_hub() as hub:
        processor = hub.connectors.get("statistiques")
        if processor is None:
            raise OperatorError("the statistiques processor is not enabled ([connectors.statistiques] enabled = "
                                "true)", 2)
        settings = processor.settings
        with processor.context.read() as conn:
            demandes, attributions = read_rows(conn)
    stock_file = parc or (Path(settings.parc) if settings.parc else None)
    stock = read_parc(stock_file) if stock_file else []
    figures = compute(year, demandes, attributions, stock, settings.secret_seuil)
    if fmt == "xlsx":
        export.to_xlsx(figures, out)
    else:
        text = export.to_json(figures) if fmt == "json" else export.to_csv(figures)
        if out is None:
            click.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
    if charts_dir is not None:
        drawn = charts.waiting_time_chart(figures, charts_dir) + charts.demands_vs_attributions_chart(
            demandes, attributions, charts_dir, settings.secret_seuil)
        click.echo(f"relais: {len(drawn)} chart file(s) in {charts_dir}", err=True)


@hookimpl
def relais_register_connectors(register):
    register(Statistiques)


@hookimpl
def relais_register_commands(register):
    register(stats_command)


@hookimpl
def relais_register_routes(register):
    from plugins.statistics.routes import router   # FastAPI is imported only when the gateway is built
    register(router)
