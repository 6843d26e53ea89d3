"""A whole hub in the test process, with only the plugins a test names: what ``relais_hub`` gives connector authors.

Embedded by default (SQLite journal and in-process bus in the test's temporary directory, a namespace of its own),
and never influenced by the developer's ``RELAIS_*`` variables or ``relais.toml``: every setting that could point
elsewhere is set explicitly. Pass ``settings={"journal_url": ..., "broker_url": ..., "namespace": ...}`` to run the
same test on PostgreSQL and RabbitMQ.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from contracts import Envelope
from hub.core.connector import Connector, RawMessage
from hub.core.errors import ConfigurationError
from hub.core.hookspecs import hookimpl
from hub.core.plugins import PluginHost
from hub.testing.samples import raw_message

__all__ = ["TestHub", "build_host", "connector_plugin"]


def connector_plugin(*classes: type[Connector]) -> object:
    """A plugin object registering these connector classes: a test's in-process stand-in for a package."""

    class _InProcessPlugin:
        @hookimpl
        def relais_register_connectors(self, register: Callable[[type[Connector]], None]) -> None:
            for cls in classes:
                register(cls)

    return _InProcessPlugin()


def _plugin_name(obj: object) -> str:
    if isinstance(obj, type) and issubclass(obj, Connector):
        return obj.name
    return getattr(obj, "__name__", None) or type(obj).__name__.lower()


def build_host(plugins: Iterable[str | object], *, strict: bool = True) -> PluginHost:
    """A fresh plugin host with exactly these plugins: entry-point names (the installed packages), plugin objects
    or modules, and :class:`hub.Connector` subclasses (wrapped in a plugin). With ``strict``, a named entry point that
    is not installed, or that fails to load, fails the test with the reason."""
    plugins = list(plugins)
    names = [p for p in plugins if isinstance(p, str)]
    host = PluginHost.load(allow=names)
    if strict:
        for name in names:
            failure = next((f for f in host.failures if f.plugin == name), None)
            if failure is not None:
                pytest.fail(f"plugin {name!r} failed at {failure.stage}: {failure.error}", pytrace=False)
            if host.pm.get_plugin(name) is None:
                pytest.fail(f"no plugin {name!r} in the 'relais' entry-point group: is its package installed in this "
                            "environment (pip install -e .)?", pytrace=False)
    for obj in plugins:
        if isinstance(obj, str):
            continue
        plugin = connector_plugin(obj) if isinstance(obj, type) and issubclass(obj, Connector) else obj
        host.register(plugin, name=_plugin_name(obj))
    return host


class TestHub:
    """A running hub and the handful of things a connector test does with it."""

    __test__ = False   # not a test class, whatever pytest's name matching thinks

    def __init__(self, home: Path, plugins: Iterable[str | object], *, connectors: Mapping[str, Any] | None = None,
                 settings: Mapping[str, Any] | None = None, strict: bool = True,
                 clock: Callable[[], datetime] | None = None):
        from hub.core.runtime import Hub
        from hub.settings import HubSettings
        options: dict[str, Any] = {
            "home": home, "journal_url": f"sqlite:///{home / 'journal.sqlite3'}", "broker_url": "memory://",
            "namespace": f"t{uuid.uuid4().hex[:10]}", "seed_examples": False, "batch_wait": 0.02,
            "metrics_port": None, "connectors": dict(connectors or {}),
        }
        options.update(settings or {})
        home.mkdir(parents=True, exist_ok=True)
        self.host = build_host(plugins, strict=strict)
        try:
            self.hub = Hub(HubSettings(**options), self.host, clock=clock)
        except ConfigurationError as exc:   # a misspelt key in the test's connectors: say which, as the CLI does
            pytest.fail(f"the hub refused its configuration: {exc}", pytrace=False)
        if strict:
            broken = [f for f in self.hub.failures if f.stage in ("settings", "init")]
            if broken:
                self.hub.close()
                pytest.fail("; ".join(f"plugin {f.plugin} failed at {f.stage}: {f.error}" for f in broken),
                            pytrace=False)
        self._closed = False
        self.hub.start()

    # --- what goes in -----------------------------------------------------------------------------------------
    @property
    def settings(self) -> Any:
        return self.hub.settings

    @property
    def failures(self) -> list[Any]:
        return self.hub.failures

    def connector(self, name: str) -> Connector:
        return self.hub.connector(name)

    def ingest(self, connector: str, *messages: bytes | str | Path | RawMessage) -> Any:
        """Journal messages as if ``connector``'s partner had sent them (inbox or HTTP): returns the ingest report
        (``journaled``, ``duplicates``, ``rejected``, ``dead_letter_ids``)."""
        conn = self.hub.connector(connector)
        return self.hub.ingestor.ingest(conn, [raw_message(m) for m in messages])

    def drop(self, connector: str, filename: str, body: bytes | str) -> Path:
        """Put a file in ``connector``'s inbox; the next :meth:`run_once` picks it up."""
        inbox = self.hub.connector(connector).context.inbox
        inbox.mkdir(parents=True, exist_ok=True)
        path = inbox / filename
        path.write_bytes(body.encode() if isinstance(body, str) else body)
        return path

    def emit(self, *events: Envelope[Any]) -> Any:
        """Journal events as another partner's (they are routed to every subscriber but their ``source``)."""
        return self.hub.ingestor.commit(list(events), [])

    def gateway_client(self, **app_options: Any) -> Any:
        """An HTTP client on this hub's partner gateway (FastAPI's ``TestClient``; use it in a ``with`` block so that
        the gateway stops with it): ``client.post("/v1/inbound/<connector>", content=..., headers=...)``."""
        from fastapi.testclient import TestClient

        from hub.gateway import create_app
        return TestClient(create_app(self.hub, **app_options))

    # --- running ----------------------------------------------------------------------------------------------
    def run_once(self) -> Any:
        """Process everything waiting (inboxes, bus, due deliveries); returns the hub's run summary."""
        return self.hub.run_once()

    def run_until(self, condition: Callable[[], bool], timeout: float = 30.0, what: str = "the condition") -> None:
        """Run the hub until ``condition()`` holds (retries come due with time); fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            self.hub.run_once()
            if condition():
                return
            if time.monotonic() > deadline:
                pytest.fail(f"{what} did not happen within {timeout:g}s; deliveries: {self.deliveries()}",
                            pytrace=False)
            time.sleep(0.02)

    def tick(self, at: datetime) -> Any:
        """``relais tick --at``: fire the processors' timers due at ``at`` and let the processors handle what that
        derives, their clock at ``at``; returns the run summary (``timers_fired``)."""
        return self.hub.tick(at)

    # --- what came out ----------------------------------------------------------------------------------------
    def events(self, *, source: str | None = None, type: str | None = None) -> list[Envelope[Any]]:
        """Journaled events in journal order, e.g. ``events(source="my_processor")``: what a processor derived."""
        from sqlalchemy import select

        from contracts import REGISTRY
        from hub.core.journal_schema import events as table
        stmt = select(table.c.body).order_by(table.c.seq)
        if source is not None:
            stmt = stmt.where(table.c.source == source)
        if type is not None:
            stmt = stmt.where(table.c.type == type)
        with self.hub.journal.engine.connect() as conn:
            return [REGISTRY.parse(body) for (body,) in conn.execute(stmt)]

    def read(self) -> Any:
        """A connection to the journal's database, to read a processor's projection: ``with hub.read() as conn:``."""
        return self.hub.journal.engine.connect()

    def outbox(self, connector: str) -> list[Path]:
        """Files a connector delivered into its outbox directory (the default ``deliver``), oldest name first."""
        outbox = self.hub.connector(connector).context.outbox
        if not outbox.is_dir():
            return []
        return sorted(p for p in outbox.iterdir() if p.is_file() and not p.name.startswith(".tmp-"))

    def deliveries(self, connector: str | None = None) -> dict[str, dict[str, int]]:
        """connector → {status: count} from the journal (pending, retrying, delivered, dead, denied…)."""
        counts: dict[str, dict[str, int]] = {}
        for (subscriber, status), n in self.hub.journal.delivery_counts(connector).items():
            counts.setdefault(subscriber, {})[status] = n
        return counts

    def journaled(self, event: Envelope[Any] | str) -> bool:
        """Whether the journal holds this event (by id)."""
        return self.hub.journal.find_event(event if isinstance(event, str) else event.id) is not None

    def delivery_status(self, connector: str, event: Envelope[Any] | str) -> str | None:
        """The state of one event's delivery to one connector, or None when it was not routed there at all."""
        event_id = event if isinstance(event, str) else event.id
        found = self.hub.journal.find_event(event_id)
        for row in (found or {}).get("deliveries", []):
            if row["subscriber"] == connector:
                return row["status"]
        return None

    def dead_letters(self, connector: str | None = None, direction: str | None = None) -> list[dict[str, Any]]:
        return self.hub.journal.dead_letters(connector=connector, direction=direction)

    # --- teardown ---------------------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the hub (idempotent: a test may close it itself to observe shutdown)."""
        if self._closed:
            return
        self._closed = True
        subscribers = list(self.hub.subscriptions)
        bus = self.hub.bus
        self.hub.close()
        if bus.is_amqp:
            _delete_amqp_topology(bus, subscribers)


def _delete_amqp_topology(bus: Any, subscribers: list[str]) -> None:
    """Remove what this hub declared on a real broker, so test runs do not pile up queues."""
    from hub.core.bus import RETRY_TIERS_MS
    ns = bus.topology.namespace
    try:
        with bus.connect() as conn:
            channel = conn.default_channel
            for name in [bus.topology.queue_name(s) for s in subscribers] + \
                        [f"{ns}.retry.{ms}" for ms in RETRY_TIERS_MS] + [f"{ns}.poison"]:
                channel.queue_delete(name)
            for exchange in ("events", "deliver", "retry", "poison"):
                channel.exchange_delete(f"{ns}.{exchange}")
    except Exception:  # best effort: a leftover queue in a unique namespace disturbs no other test
        pass
