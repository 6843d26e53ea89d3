"""The integrator's commands: ``relais new-connector`` (scaffold a connector package) and ``relais serve`` (the
partner HTTP gateway that connectors receive pushed messages through)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from hub.cli_support import pass_ctx
from hub.core.hookspecs import hookimpl
from hub.scaffold.render import ROLES, ScaffoldError, connector_variables, scaffold_connector

__all__ = ["new_connector", "serve", "relais_register_commands"]


@click.command("new-connector")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write the package (default: ./relais-NAME).")
@click.option("--role", type=click.Choice(ROLES), default="bailleur", show_default=True,
              help="The kind of partner: the access rules decide on it what the connector receives.")
@click.option("--force", is_flag=True, help="Write into a directory that is not empty (overwrites).")
def new_connector(name: str, directory: Path | None, role: str, force: bool) -> None:
    """Scaffold connector NAME as its own installable package, with tests that pass out of the box."""
    try:
        variables = connector_variables(name, role)
        target = directory or Path(variables["dist"])
        written = scaffold_connector(name, target, role=role, force=force)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"created {target}/ ({len(written)} files): connector {name!r}, package {variables['package']}")
    click.echo("next:")
    click.echo(f"  cd {target}")
    click.echo("  pip install -e '.[test]'     # in the environment where Relais is installed")
    click.echo("  pytest                       # the scaffold's own tests")
    click.echo(f"  relais plugins               # lists {name}")
    click.echo("then replace the formats in codec.py with your partner's (guide: docs/write-a-connector.md)")

@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@pass_ctx
def serve(ctx, host: str, port: int) -> None:
    """Serve the partner HTTP gateway: POST /v1/inbound/CONNECTOR journals a message (202 once durable).

    Delivery is `relais run`'s job: run it alongside on the same journal, or use `relais run --http HOST:PORT`
    to have one process do both."""
    from hub.gateway import GatewayServer   # FastAPI and uvicorn load only for the command that serves
    with ctx.hub() as hub:
        for f in hub.failures:
            click.echo(f"WARNING plugin {f.plugin} failed at {f.stage}: {f.error} (served without it)", err=True)
        server = GatewayServer(hub, host, port)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        server.start()
        click.echo(f"relais: gateway on http://{host}:{port} (connectors: {', '.join(sorted(hub.connectors))})")
        while not stop.wait(0.5) and server.thread.is_alive():
            pass
        failed = not server.thread.is_alive() and not stop.is_set()
        server.stop()
        if failed:   # e.g. the port is taken: uvicorn said why on stderr
            raise click.ClickException(f"the gateway could not serve on {host}:{port}")
        click.echo("relais: gateway stopped")


@hookimpl
def relais_register_commands(register):
    """The integrator's commands are a built-in plugin of the command line, registered like any plugin's."""
    register(new_connector)
    register(serve)
