"""Hook implementations of the commune_csv plugin: the module its ``relais`` entry point names, and nothing else."""

from __future__ import annotations

from hub import hookimpl


@hookimpl
def relais_register_connectors(register):
    from relais_commune_csv.connector import CommuneCsvConnector
    register(CommuneCsvConnector)


@hookimpl
def relais_register_commands(register):
    from relais_commune_csv.commands import commune_csv
    register(commune_csv)


@hookimpl
def relais_register_routes(register):
    from relais_commune_csv.routes import router   # FastAPI is imported only when the gateway is built
    register(router)
