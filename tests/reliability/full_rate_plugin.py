"""Test plugin for the full-rate crash test: a processor and a partner that cost the hub next to nothing, so that a
``relais run`` subprocess moves thousands of events a second when it is killed.

* ``ledger`` (a processor on CAL decisions) writes one row per event it handles, in its transaction: after any crash
  the table must hold every journaled event exactly once;
* ``sink`` (a partner) appends each event id to a file with one ``write`` on an ``O_APPEND`` descriptor (the kernel
  keeps it when the process is killed): every journaled event must be there at least once, and a copy only for an
  event delivered and not yet recorded when the process died (at-least-once, absorbed by a partner that knows its
  event ids).

Loaded in ``relais`` subprocesses with ``RELAIS_EXTRA_PLUGINS=tests.reliability.full_rate_plugin``.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table

from contracts import Envelope
from hub import Connector, OutboundMessage, PartnerRole, Processor, hookimpl

SINK_FILE = "received.txt"

_tables = MetaData()
ledger_seen = Table("ledger_seen", _tables, Column("row", Integer, primary_key=True, autoincrement=True),
                    Column("event_id", String(128), nullable=False), Column("subject", String(32)))
_record = ledger_seen.insert()


class Ledger(Processor):
    """One row per handled event (no unique key on purpose: a second handling would show as a second row)."""

    name = "ledger"
    subscriptions = ("decision_cal.*",)
    tables = _tables

    def process(self, event: Envelope[Any], ctx: Any):
        ctx.conn.execute(_record, {"event_id": event.id, "subject": event.subject})
        return ()


class Sink(Connector):
    """A partner that accepts at once and keeps what it received in ``outbox/sink/received.txt``."""

    name = "sink"
    version = "0.0.1"
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)

    def __init__(self, settings: Any, context: Any) -> None:
        super().__init__(settings, context)
        context.outbox.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(context.outbox / SINK_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def deliver(self, event: Envelope[Any], message: OutboundMessage) -> None:
        os.write(self._fd, f"{event.id} {event.subject}\n".encode())

    def close(self) -> None:
        os.close(self._fd)


@hookimpl
def relais_register_connectors(register):
    register(Ledger)
    register(Sink)
