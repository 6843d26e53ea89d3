"""``relais commune-csv …``: what the commune's IT staff need before sending a file (no hub, no journal)."""

from __future__ import annotations

from pathlib import Path

import click

from contracts import LegalEntity
from hub import RawMessage, RecordReject, RejectError

from relais_commune_csv.codec import COLUMNS, decode_designations

__all__ = ["commune_csv"]

#: Stamped on events while checking a file offline; never journaled.
CHECK_ENTITY = LegalEntity(siren="216300004", nom="Commune (vérification locale)")


@click.group("commune-csv")
def commune_csv() -> None:
    """The commune_csv connector's tools: the CSV template, and checking a file before sending it."""


@commune_csv.command()
def template() -> None:
    """Print the CSV header the hub expects (paste it in the commune's spreadsheet)."""
    click.echo(";".join(COLUMNS))


@commune_csv.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commune", "communes", multiple=True, required=True, help="A commune of the réservataire (INSEE).")
@click.option("--delimiter", type=click.Choice([";", ","]), default=";", show_default=True)
def check(file: Path, communes: tuple[str, ...], delimiter: str) -> None:
    """Check FILE as the hub would decode it; exit 1 if anything would be rejected."""
    raw = RawMessage.from_bytes(file.read_bytes(), origin=file.name)
    try:
        items = list(decode_designations(raw, source="commune_csv", entity=CHECK_ENTITY, communes=communes,
                                         delimiter=delimiter))
    except RejectError as exc:
        click.echo(f"{file.name}: rejected as a whole: {exc}")
        raise SystemExit(1) from None
    rejects = [i for i in items if isinstance(i, RecordReject)]
    click.echo(f"{file.name}: {len(items) - len(rejects)} designation(s) accepted, {len(rejects)} rejected")
    for reject in rejects:
        click.echo(f"  line {reject.line}: {reject.error.reason}")
    if rejects:
        raise SystemExit(1)
