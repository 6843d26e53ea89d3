"""Retention (CNIL): deleting a radiated demand's personal data, one year after its radiation, from the whole hub.

Why here and not in the journal: the purge crosses every store — the journal's events, the dead letters, every
processor's projection — in **one** transaction, the one that fires the deadline (a processor's timer calls
``ctx.purge(subject)``, see :mod:`hub.core.processing`); the journal's stores only lend their tables.

What a purge does to the demand (``subject`` = its numéro unique):

* each journaled event keeps its row (id, source, legal entity, time: the audit trail of *who did what when*), but
  its payload becomes a non-nominative tombstone, ``evenement_efface.v1`` (:func:`tombstone`): dates, communes,
  typologies, household size, age and resource bands (:func:`contracts.events.tombstone`), the facts the
  territory's statistics are rebuilt from;
* its dead letters go: inbound ones whose raw bytes name the demand, outbound ones of its events;
* every processor forgets it (``Processor.forget``): the dossier deletes its state and history;
* outbox rows are kept: they are references (a seq), and publishing one now carries the tombstone. Deleting them
  would strand the deliveries waiting for them, and with them the ``demande_supprimee`` that tells partners.

Not reachable from here: messages already published on RabbitMQ and not yet consumed (they are consumed within
the retry horizon), and copies partners hold — which is why ``demande_supprimee`` is routed to them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

import structlog
from sqlalchemy import LargeBinary, bindparam, delete, or_, select, text, update
from sqlalchemy.engine import Connection

from contracts import REGISTRY
from contracts.events import EvenementEfface, tombstone
from hub.core.journal_schema import dead_letters, events
from hub.core.processing import Processor

__all__ = ["purge_in", "PurgeReport", "TOMBSTONE_TYPE"]

log = structlog.get_logger(__name__)

TOMBSTONE_TYPE = EvenementEfface.event_type


class PurgeReport(dict):
    """What one purge changed: ``events`` tombstoned, ``dead_letters`` deleted."""


def purge_in(conn: Connection, subject: str, processors: Mapping[str, Processor], now: datetime) -> PurgeReport:
    """Delete the personal data of one demand everywhere in the hub's database, inside the caller's transaction
    (see the module docstring). Idempotent: a second purge finds only tombstones."""
    rows = conn.execute(select(events.c.seq, events.c.type, events.c.body)
                        .where(events.c.subject == subject).order_by(events.c.seq)).all()
    seqs: list[int] = []
    for seq, event_type, body in rows:
        seqs.append(seq)
        if event_type == TOMBSTONE_TYPE:
            continue
        kept = json.loads(body)
        kept.update(type=TOMBSTONE_TYPE, data=tombstone(REGISTRY.parse(body)).model_dump(mode="json"))
        replaced = REGISTRY.parse(kept)   # what the journal keeps must parse as any journaled event does
        conn.execute(update(events).where(events.c.seq == seq)
                     .values(type=TOMBSTONE_TYPE, body=replaced.model_dump_json()))
    # the raw bytes are searched by the database (no payload travels): position() on PostgreSQL's bytea, instr() on
    # SQLite's blobs
    contains = (text("position(:needle in payload) > 0") if conn.dialect.name == "postgresql"
                else text("instr(payload, :needle) > 0")).bindparams(bindparam("needle", subject.encode(),
                                                                               type_=LargeBinary))
    inbound = [i for (i,) in conn.execute(select(dead_letters.c.id)
                                          .where(dead_letters.c.payload.is_not(None), contains))]
    outbound = dead_letters.c.event_seq.in_(seqs) if seqs else False
    removed = conn.execute(delete(dead_letters).where(or_(dead_letters.c.id.in_(inbound), outbound))).rowcount
    for name in sorted(processors):
        processors[name].forget(subject, conn)
    report = PurgeReport(events=len(rows), dead_letters=removed)
    log.info("demande_purged", numero_unique=subject, events=len(rows), dead_letters=removed,
             processors=len(processors))
    return report
