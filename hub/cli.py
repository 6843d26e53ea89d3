"""The ``relais`` command line: run the hub, feed it, and operate it (history, dead letters, replay, plugins).

Commands print facts for an operator on standard output; logs (JSON or readable) go to standard error.

Exit codes (a script or systemd can rely on them; the README has the table): 0 done; 1 the thing named does not
exist or the work failed at run time (a pull, the gateway's port); 2 a usage or configuration error — one line
``Error: …`` naming the option or setting and the fix; 3 some input was rejected or is still failing (see
``relais dead list``).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import kombu.exceptions
import sqlalchemy.exc
import structlog
import tenacity

from hub.core import metrics
from hub.core.audit import AuditKind
from hub.core.errors import ConfigurationError, RelaisError
from hub.core.journal_schema import DeliveryStatus
from hub.core.logging import configure_logging
from hub import operations, processing_commands
from hub.core.plugins import PluginHost
from hub.progress import SUMMARY_INTERVAL, ProgressDisplay, count_lines
from hub.cli_support import (
    EXIT_FAILED, EXIT_REJECTED, EXIT_UNFINISHED, EXIT_USAGE, Context, OperatorError, pass_ctx,
)
from hub import partners_cli
from hub.console import cli as console_cli
from hub.scaffold import commands as scaffold_commands
from hub.settings import config_file

__all__ = ["main", "cli", "EXIT_FAILED", "EXIT_USAGE", "EXIT_REJECTED"]

log = structlog.get_logger(__name__)

#: Times shown to people (the journal keeps UTC; JSON output stays UTC with its offset).
DISPLAY_ZONE = ZoneInfo("Europe/Paris")

class RelaisGroup(click.Group):
    """The ``relais`` group: a configuration error raised anywhere below is one line and exit 2, another
    deliberate Relais error one line and exit 1 — never a traceback for an operator's mistake."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigurationError as exc:
            raise OperatorError(str(exc), EXIT_USAGE) from None
        except RelaisError as exc:
            raise OperatorError(str(exc), EXIT_FAILED) from None
        except (sqlalchemy.exc.NoSuchModuleError, sqlalchemy.exc.ArgumentError) as exc:
            raise OperatorError(f"journal_url: not a usable database URL ({_first_line(exc)}); e.g. "
                                "postgresql+psycopg://relais@db/relais, or leave it unset for SQLite in home",
                                EXIT_USAGE) from None
        except sqlalchemy.exc.OperationalError as exc:
            raise OperatorError(f"the journal {_redact_url(_setting(ctx, 'journal'))} is unreachable "
                                f"({_first_line(exc.orig or exc)}); check journal_url and that the database runs",
                                EXIT_FAILED) from None
        except kombu.exceptions.OperationalError as exc:
            raise OperatorError(f"the broker {_redact_url(_setting(ctx, 'broker'))} is unreachable "
                                f"({_first_line(exc)}); check broker_url and that RabbitMQ runs", EXIT_FAILED) from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _setting(ctx: click.Context, name: str) -> str:
    """A setting's value for an error message, if the settings were loaded (they were, for a command that
    reached the journal or the broker)."""
    settings = getattr(ctx.obj, "_settings", None)
    return str(getattr(settings, name, "?")) if settings is not None else "?"


@click.group(cls=RelaisGroup)
@click.option("--config", "config", type=click.Path(dir_okay=False), envvar="RELAIS_CONFIG",
              help="TOML settings file (default: ./relais.toml if present).")
@click.option("--as", "operator", envvar="RELAIS_OPERATOR", metavar="NAME",
              help="Your name in the audit trail (default: your account on this system).")
@click.version_option(package_name="relais")
@click.pass_context
def cli(ctx: click.Context, config: str | None, operator: str | None = None) -> None:
    """Relais: the hub of the dispositif de gestion partagée de la demande de logement social."""
    config_file(config)   # a named file that does not exist fails every command, before any work
    ctx.obj = Context(config, _HOST[0], operator)


# --- configuration ----------------------------------------------------------------------------------------------
@cli.group()
def config() -> None:
    """The configuration: check it before a deployment or a restart."""


@config.command("check")
@pass_ctx
def config_check(ctx: Context) -> None:
    """Validate the configuration (file, RELAIS_* variables, every connector's section) and print the effective
    settings, secrets masked. Exit 2 with the first problem's setting and fix if it is not valid."""
    from hub.core.runtime import validate_connector_sections
    settings = ctx.settings
    host = ctx.host or PluginHost.load()
    sections = validate_connector_sections(host.connector_classes(), settings.connectors)
    path = config_file(ctx.config)
    click.echo(f"# configuration: {path or 'no file'}"
               f"{' + RELAIS_* variables' if any(k.startswith('RELAIS_') for k in os.environ) else ''}: valid")
    effective = settings.model_dump(mode="json", exclude={"connectors"})
    effective["journal_url"] = _redact_url(settings.journal)
    effective["broker_url"] = _redact_url(settings.broker_url)
    _echo_toml(effective)
    for name, (plugin, _cls, conn_settings) in sorted(sections.items()):
        click.echo(f"\n[connectors.{name}]   # plugin {plugin}")
        _echo_toml(conn_settings.model_dump(mode="json"), prefix=f"connectors.{name}.")


def _echo_toml(values: dict[str, Any], prefix: str = "") -> None:
    """Print settings as TOML lines; tables after the plain keys, unset values as comments."""
    tables = {k: v for k, v in values.items() if isinstance(v, dict)}
    for key, value in values.items():
        if key in tables:
            continue
        if value is None:
            click.echo(f"# {key} is not set")
        else:
            click.echo(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    for key, table in tables.items():
        click.echo(f"\n[{prefix}{key}]")
        _echo_toml(table, prefix=f"{prefix}{key}.")


# --- running ----------------------------------------------------------------------------------------------------
def _host_port(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, int] | None:
    if value is None:
        return None
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"{value!r}: expected HOST:PORT, e.g. 127.0.0.1:8080")
    return host, int(port)


@cli.command()
@click.option("--once", is_flag=True,
              help="Process what is waiting (due pulls, inboxes, outbox, due deliveries) and exit.")
@click.option("--http", "http", metavar="HOST:PORT", callback=_host_port,
              help="Also serve the partner HTTP gateway (see `relais serve`).")
@click.option("--progress/--no-progress", default=None,
              help="With --once: progress bar with count, rate and ETA (default: on a terminal; elsewhere a summary "
                   "line every 10 s).")
@click.option("--report-every", type=click.FloatRange(min=0), default=SUMMARY_INTERVAL, show_default=True,
              metavar="SECONDS", help="Without --once: a line saying what was delivered, at most this often (0: none).")
@pass_ctx
def run(ctx: Context, once: bool, http: tuple[str, int] | None = None, progress: bool | None = None,
        report_every: float = SUMMARY_INTERVAL) -> None:
    """Run the hub: watch inboxes, journal, route and deliver. Stops cleanly on SIGTERM or Ctrl-C."""
    stop = threading.Event()
    if once:
        hub = ctx.hub()
    else:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        hub = _hub_when_reachable(ctx, stop)
        if hub is None:
            click.echo("relais: stopped before the journal and the broker answered")
            return
    _report_failures(hub.failures)
    s = hub.settings
    click.echo(f"relais: journal {_redact_url(s.journal)}, bus {_redact_url(s.broker)}, home {s.home}")
    click.echo(f"relais: connectors {', '.join(sorted(hub.connectors)) or 'none'}")
    with hub:
        if once:
            display = None if progress is False else ProgressDisplay("delivering", "events",
                                                                     terminal=True if progress else None)
            try:
                summary = hub.run_once(on_progress=_delivery_progress(hub, display) if display else None)
            except BaseException:
                if display is not None:
                    display.close(summary=False)
                raise
            if display is not None:
                display.close()
            _print_summary(summary)
            if summary.unfinished:
                click.echo(f"Error: {summary.unfinished} delivery(ies) due were not made (another hub process holds "
                           "them, or the run was cut short); run again, or see `relais deliveries`", err=True)
                sys.exit(EXIT_UNFINISHED)
            return
        if s.metrics_port:
            from prometheus_client import start_http_server
            start_http_server(s.metrics_port, addr=s.metrics_host)
            click.echo(f"relais: metrics on http://{s.metrics_host}:{s.metrics_port}/metrics")
        gateway = _start_gateway(hub, http) if http else None
        click.echo("relais: running (Ctrl-C to stop)")
        reporter = None
        if report_every > 0:
            reporter = threading.Thread(target=_report_activity, args=(hub, stop, report_every),
                                        name="activity-report", daemon=True)
            reporter.start()
        try:
            hub.run(stop)
        finally:
            if gateway is not None:
                gateway.stop()
            if reporter is not None:
                reporter.join(timeout=5)
        click.echo("relais: stopped cleanly")


#: What "the journal or the broker does not answer" looks like when the hub starts.
_UNREACHABLE = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, kombu.exceptions.OperationalError,
                ConnectionError, TimeoutError)


def _hub_when_reachable(ctx: Context, stop: threading.Event):
    """``relais run``: a journal or broker that does not answer at start pauses the hub, as an outage does later —
    one line per attempt, tried again with backoff (1 s doubling to 60 s) until it answers or the operator stops
    (then None). A systemd unit started before its database must not die in a restart loop."""
    def say(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        what = "the broker" if isinstance(exc, kombu.exceptions.OperationalError) else "the journal"
        where = _redact_url(_setting_of(ctx, "broker" if what == "the broker" else "journal"))
        click.echo(f"relais: {what} {where} is unreachable ({_first_line(getattr(exc, 'orig', None) or exc)}); "
                   f"retrying in {state.next_action.sleep:.0f}s (Ctrl-C to stop)", err=True)

    retrying = tenacity.Retrying(retry=tenacity.retry_if_exception_type(_UNREACHABLE),
                                 wait=tenacity.wait_exponential(multiplier=1, min=1, max=60),
                                 stop=tenacity.stop_when_event_set(stop), sleep=stop.wait, before_sleep=say,
                                 reraise=True)
    try:
        for attempt in retrying:
            with attempt:
                hub = ctx.hub()
                try:
                    hub.start()
                except BaseException:
                    hub.close()
                    raise
                return hub
    except _UNREACHABLE:
        if stop.is_set():
            return None
        raise
    return None


def _setting_of(ctx: Context, name: str) -> str:
    try:
        return str(getattr(ctx.settings, name))
    except Exception:  # the settings themselves are broken: that error is reported elsewhere
        return "?"


def _delivered_so_far() -> float:
    """Deliveries this process made (the ``relais_events_out_total`` counter): free to read, unlike a count query."""
    return sum(sample.value for family in metrics.EVENTS_OUT.collect() for sample in family.samples
               if sample.name.endswith("_total"))


def _report_activity(hub, stop: threading.Event, every: float) -> None:
    """A running hub's progress for whoever watches it: one line per interval in which something was delivered,
    with the rate and what is still open — silence when idle, so that a quiet hub does not fill a log."""
    last = _delivered_so_far()
    while not stop.wait(every):
        now = _delivered_so_far()
        if now == last:
            continue
        try:
            still_open = sum(hub.journal.delivery_counts(statuses=DeliveryStatus.OPEN).values())
        except Exception as exc:  # the journal away: the hub's own loop says so; the report just skips a beat
            log.warning("activity_report_failed", error_type=type(exc).__name__)
            continue
        click.echo(f"relais: {now - last:,.0f} event(s) delivered in the last {every:g}s "
                   f"({(now - last) / every:,.0f}/s), {still_open:,} open")
        last = now


def _delivery_progress(hub, display: ProgressDisplay) -> Any:
    """``Hub.run_once``'s callback: delivered so far, over that plus what is still open in the journal (counted at
    most once a second: a count query per batch would slow the run it reports on)."""
    state = {"open": None, "at": float("-inf")}

    def report(delivered: int) -> None:
        now = time.monotonic()
        if now - state["at"] >= 1.0:
            state["at"] = now
            state["open"] = sum(hub.journal.delivery_counts(statuses=DeliveryStatus.OPEN).values())
        total = delivered + (state["open"] or 0)
        display.update(delivered, delivered / total if total else None)

    return report


def _start_gateway(hub, address: tuple[str, int]):
    from hub.gateway import GatewayServer
    host, port = address
    server = GatewayServer(hub, host, port)
    server.start()   # raises StartupError (exit 1) if it cannot listen: a hub without its gateway is not running
    click.echo(f"relais: gateway on {server.scheme}://{host}:{port}")
    return server


def _print_summary(summary) -> None:
    for result in summary.polled:
        if result.outcome != "not_due":
            click.echo(f"  pull {_describe_poll(result)}")
    for name, rep in sorted(summary.ingested.items()):
        click.echo(f"  in  {name}: {rep.journaled} event(s) journaled, {rep.duplicates} duplicate(s), "
                   f"{rep.rejected} rejected")
    for name in sorted(summary.delivered):
        click.echo(f"  out {name}: {summary.delivered[name]} delivered, {summary.failed.get(name, 0)} failed")
    for name, left in sorted(summary.left.items()):
        if left.total:
            click.echo(f"  left {name}: {left.due} due, {left.held} held behind a dead letter "
                       f"(`relais dead list -c {name}`), {left.later} retrying later")
    if not summary.ingested and not any(summary.delivered.values()) and not summary.unfinished and \
            all(r.outcome == "not_due" for r in summary.polled):
        click.echo("  nothing was waiting")


@cli.command()
@click.option("--connector", "-c", required=True, help="The connector whose format the files are in.")
@click.option("--as-partner", "partner_id", metavar="PARTNER",
              help="The files are this registered partner's: its legal entity is stamped, its ids scoped, its scopes "
                   "checked (a file outside them is refused whole and not kept).")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def ingest(ctx: Context, connector: str, files: tuple[Path, ...], partner_id: str | None = None) -> None:
    """Journal partner files now (as if dropped in the connector's inbox); delivery happens in `relais run`."""
    from hub.core.connector import RawMessage
    from hub.core.partners import partner_origin
    with ctx.hub() as hub:
        conn = hub.connector(connector)
        partner = hub.partners.get(partner_id) if partner_id else None
        if partner_id and (partner is None or partner.connector != connector or partner.status != "active"):
            raise OperatorError(f"--as-partner {partner_id}: not an active partner of connector {connector!r} (see "
                                f"`relais partners list -c {connector}`)", EXIT_USAGE)
        raws = [RawMessage.from_bytes(f.read_bytes(), origin=partner_origin(partner, str(f)) if partner else str(f))
                for f in files]
        report = hub.ingestor.ingest(conn, raws, partner=partner)
        if partner is not None:
            ctx.audit(hub, f"ingest -c {connector} --as-partner", partner.id, kind=AuditKind.ADMIN,
                      reason=", ".join(f.name for f in files)[:4000])
        click.echo(f"{report.journaled} event(s) journaled, {report.duplicates} duplicate(s), "
                   f"{report.rejected + len(report.scope_refused)} rejected")
        for dl_id in report.dead_letter_ids:
            click.echo(f"  rejected: see `relais dead show {dl_id}`")
        for refused in report.scope_refused:
            click.echo(f"  refused, not kept: {refused['origin']}: {refused['reason']}")
        if report.rejected or report.scope_refused:
            sys.exit(3)


@cli.command("import")
@click.option("--connector", "-c", required=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--progress/--no-progress", default=None,
              help="Progress bar with count, rate and ETA (default: on a terminal; elsewhere a summary line every "
                   "10 s).")
@pass_ctx
def import_(ctx: Context, connector: str, file: Path, progress: bool | None) -> None:
    """Stream a bulk extraction (constant memory); prints imported / updated / unchanged / rejected."""
    from hub.core.connector import Connector
    from hub.core.importer import BulkImporter
    with ctx.hub() as hub:
        conn = hub.connector(connector)
        if type(conn).iter_bulk is Connector.iter_bulk:
            able = sorted(n for n, c in hub.connectors.items() if type(c).iter_bulk is not Connector.iter_bulk)
            raise OperatorError(f"connector {connector!r} has no bulk import (it reads messages: use `relais "
                                f"ingest -c {connector} FILE`); connectors with one: {', '.join(able) or 'none'}",
                                EXIT_USAGE)
        importer = BulkImporter(hub.ingestor, conn, batch_size=hub.settings.batch_size)
        display = None if progress is False else ProgressDisplay(f"importing {file.name}", "records",
                                                                 terminal=True if progress else None)
        total_lines = count_lines(file) if display is not None else None

        def report(records: int, line: int | None) -> None:
            display.update(records, line / total_lines if line and total_lines else None)

        try:
            result = importer.run(file, progress=report if display is not None else None)
        except BaseException:
            if display is not None:
                display.close(summary=False)
            raise
        if display is not None:
            display.update(result.records, 1.0)   # the last chunk, smaller than a batch, is reported here
            display.close()
        click.echo(f"{file.name}: {result.imported} imported, {result.updated} updated, "
                   f"{result.unchanged} unchanged, {result.rejected} rejected "
                   f"({result.records} records in {result.seconds:.1f}s, {result.rate:.0f} records/s)")
        if result.rejected:
            click.echo(f"  rejected records: `relais dead list --connector {connector}`")
            sys.exit(EXIT_REJECTED)


# --- inspecting -------------------------------------------------------------------------------------------------
@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def plugins(ctx: Context, as_json: bool) -> None:
    """List loaded plugins and connectors: version, role, subscriptions, and failures."""
    ctx.settings  # configure logging
    host = ctx.host or PluginHost.load()
    classes = host.connector_classes()
    rows = [{"connector": name, "plugin": plugin, "distribution": host.distributions.get(plugin, "(in process)"),
             "version": cls.version, "role": cls.role.value, "subscribes": list(cls.subscriptions),
             "emits": list(cls.emits)} for name, (plugin, cls) in sorted(classes.items())]
    failures = [f.__dict__ for f in host.failures]
    if as_json:
        click.echo(json.dumps({"connectors": rows, "failures": failures}, indent=2))
        return
    for r in rows:
        click.echo(f"{r['connector']:<16} {r['version']:<8} role={r['role']:<16} plugin={r['plugin']} "
                   f"({r['distribution']})")
        click.echo(f"{'':<16} subscribes: {', '.join(r['subscribes']) or '-'}   emits: {', '.join(r['emits']) or '-'}")
    for f in failures:
        click.echo(f"FAILED plugin {f['plugin']} at {f['stage']}: {f['error']}", err=True)


@cli.command()
@click.argument("numero_unique")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def history(ctx: Context, numero_unique: str, as_json: bool) -> None:
    """Every event of a demand, in order, with its date and the legal entity behind it."""
    with ctx.hub() as hub:
        ctx.audit(hub, "history", numero_unique)
        rows = hub.journal.history(numero_unique)
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    if not rows:
        raise OperatorError(f"no event journaled for {numero_unique}", EXIT_FAILED)
    for r in rows:
        when = r["time"].astimezone(DISPLAY_ZONE)   # stored in UTC; read by people in the territory's time
        click.echo(f"{when:%Y-%m-%d %H:%M%z}  {r['type']:<28} {r['entity_nom']} (SIREN {r['entity_siren']}) "
                   f"via {r['source']}  [{r['id']}]")


@cli.command()
@click.option("--connector", "-c")
@pass_ctx
def deliveries(ctx: Context, connector: str | None) -> None:
    """Where events are, per partner: pending, retrying, delivered, dead, denied."""
    with ctx.hub() as hub:
        counts = hub.journal.delivery_counts(connector)
        outbox = hub.journal.outbox_size()
        if connector is not None and not counts and connector not in hub.subscribers:
            hub.subscriber(connector)   # raises: no connector of that name, with those that exist
    click.echo(f"outbox (journaled, not yet on the bus): {outbox}")
    for (sub, status), n in sorted(counts.items()):
        click.echo(f"{sub:<16} {status:<11} {n}")


@cli.command()
@click.option("--connector", "-c", help="Pull for this connector only (default: every connector that pulls).")
@click.option("--since", "cursor", metavar="CURSOR",
              help="Start from this cursor instead of the stored one (for the SNE: a date, YYYY-MM-DD).")
@click.option("--status", is_flag=True, help="Show each pulling connector's schedule and last result; pull nothing.")
@pass_ctx
def poll(ctx: Context, connector: str | None, cursor: str | None, status: bool) -> None:
    """Pull now from partners that publish "what changed since" (the SNE's services), into their inbox."""
    with ctx.hub() as hub:
        poller = hub.poller
        if connector is not None and connector not in poller.connectors:
            pulling = ", ".join(sorted(poller.connectors)) or "none (configure one, e.g. connectors.sne.endpoint)"
            raise click.UsageError(f"--connector {connector}: this connector does not pull; those that do: {pulling}")
        if not poller:
            click.echo("no connector pulls from its partner")
            return
        if status:
            for row in poller.describe():
                error = f"  last error: {row['last_error']}" if row["last_error"] else ""
                click.echo(f"{row['connector']:<16} every {row['interval_seconds']:g}s  cursor {row['cursor'] or '-'}"
                           f"  next {row['next_due_at']}  last ok {row['last_ok_at'] or 'never'}"
                           f"  failures {row['failures']}{error}")
            return
        names = [connector] if connector else sorted(poller.connectors)
        results = [poller.poll(name, force=True, cursor=cursor) for name in names]
    for result in results:
        click.echo(_describe_poll(result))
    click.echo("fetched messages wait in the inbox: the running hub ingests them, or run `relais run --once`")
    if any(r.outcome != "fetched" for r in results):
        sys.exit(1)


def _describe_poll(result) -> str:
    if result.outcome == "fetched":
        return f"{result.connector}: {result.fetched} message(s) fetched, next from cursor {result.cursor or '-'}"
    if result.outcome == "busy":
        return f"{result.connector}: another hub process is pulling right now; try again in a moment"
    return f"{result.connector}: pull failed ({result.error}); the cursor is kept and the pull retried later"


# --- contracts --------------------------------------------------------------------------------------------------
@cli.group()
def contracts() -> None:
    """The canonical contracts: JSON Schema and AsyncAPI for integrators."""


@contracts.command("export")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("relais-contracts"),
              show_default=True, help="Directory to write into.")
@click.option("--update-snapshots", is_flag=True,
              help="Maintainers: allow writing into the package's committed snapshots (contracts/schemas/).")
def contracts_export(out: Path, update_snapshots: bool) -> None:
    """Write a JSON Schema per event type and the AsyncAPI 3 document of the hub's channels."""
    from contracts.compat import IncompatibleSchemaChange
    from contracts.export import SNAPSHOT_DIR, export_all
    if out.resolve() == SNAPSHOT_DIR.resolve() and not update_snapshots:
        raise OperatorError(f"{out} holds the committed snapshots that guard the published contracts; export "
                            "elsewhere (--out DIR), or pass --update-snapshots to regenerate them on purpose",
                            EXIT_USAGE)
    try:
        written = export_all(out)
    except IncompatibleSchemaChange as exc:
        raise OperatorError(f"{exc}; nothing was written", EXIT_FAILED) from None
    click.echo(f"{len(written)} file(s) written to {out}")


def _redact_url(url: str) -> str:
    """The URL with its password masked (a URL without one is shown as it is)."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url


def _report_failures(failures) -> None:
    for f in failures:
        click.echo(f"WARNING plugin {f.plugin} failed at {f.stage}: {f.error} (the hub runs without it)", err=True)


_HOST: list[PluginHost | None] = [None]
_PREPARED = [False]


def _register_plugin_commands() -> None:
    host = _HOST[0] = PluginHost.load()
    for name, module in BUILTIN_COMMAND_PLUGINS.items():
        if host.pm.get_plugin(name) is None:
            host.register(module, name=name)
    builtin = set(cli.commands)

    def register(command: Any) -> None:
        if not isinstance(command, click.Command):
            raise ConfigurationError(f"relais_register_commands expects a click.Command, got {type(command).__name__}")
        if command.name in cli.commands:
            owner = "a built-in command" if command.name in builtin else "another plugin"
            raise ConfigurationError(f"command {command.name!r} is already defined by {owner}")
        cli.add_command(command)

    host.register_commands(register)


def _early_logging() -> None:
    """Logging for plugin loading, before the settings are validated: the environment's level and format if they
    are valid values (an invalid one is reported by the settings, as one line, once a command reads them)."""
    fmt = os.environ.get("RELAIS_LOG_FORMAT", "auto")
    level = os.environ.get("RELAIS_LOG_LEVEL", "info")
    configure_logging(fmt if fmt in ("auto", "json", "console") else "auto",
                      level if level in ("debug", "info", "warning", "error") else "info")


#: Commands of Relais itself that are plugins of the command line, registered like any plugin's.
BUILTIN_COMMAND_PLUGINS = {"relais.operations": operations, "relais.scaffold": scaffold_commands,
                           "relais.processing": processing_commands, "relais.partners": partners_cli,
                           "relais.console": console_cli}


def prepare() -> click.Group:
    """Add the built-in plugins' and the installed plugins' commands to the group (once): ``main`` and in-process
    tests use it."""
    if not _PREPARED[0]:
        _PREPARED[0] = True
        _register_plugin_commands()
    return cli


def main() -> None:
    _early_logging()
    try:
        prepare()
    except ConfigurationError as exc:   # a plugin's commands clash: nothing can run
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    cli(standalone_mode=True)
