"""Hook implementations of the dossier plugin: the processor and the ``relais dossier`` command."""

from __future__ import annotations

import json

import click

from hub import OperatorError, command_hub, hookimpl
from plugins.dossier.processor import DossierProcessor, read_dossier
from plugins.dossier.render import render


@click.command("dossier")
@click.argument("numero_unique")
@click.option("--json", "as_json", is_flag=True, help="The state and history as JSON.")
def dossier_command(numero_unique: str, as_json: bool) -> None:
    """A demand's current state (CERFA content, status, labels, CAL history, attributions) and its full history:
    what changed, field by field, when, and which legal entity."""
    with command_hub() as hub:
        processor = hub.connectors.get("dossier")
        if processor is None:
            raise OperatorError("the dossier processor is not enabled ([connectors.dossier] enabled = true)", 2)
        with processor.context.read() as conn:
            found = read_dossier(conn, numero_unique)
    if found is None:
        raise OperatorError(f"no dossier for {numero_unique}: the hub has journaled no event about it", 1)
    click.echo(json.dumps(found, ensure_ascii=False, indent=2) if as_json else render(found))


@hookimpl
def relais_register_connectors(register):
    register(DossierProcessor)


@hookimpl
def relais_register_commands(register):
    register(dossier_command)
