"""The journal's tables (SQLAlchemy Core). One schema for SQLite (embedded) and PostgreSQL (at scale).

* ``events`` — the append-only, legally required history of every demand: one row per canonical event, unique on
  the event id and on (source, source message id) so that a redelivered message is absorbed.
* ``outbox`` — events journaled but not yet confirmed published on the bus; written in the same transaction as the
  event, deleted once the broker confirmed. A crash between journal and publish leaves the row, and the relay
  republishes it on restart.
* ``deliveries`` — one row per (subscriber, event): the durable state of each partner's delivery (pending,
  delivering, retrying, delivered, dead, discarded, denied, unrenderable). It is what makes a redelivered bus message harmless
  and what an operator reads to know where an event is. ``attempts`` counts claims (a worker that dies while
  delivering has used an attempt: that is how a message that kills its consumer ends in the dead letters).
  ``next_attempt_at`` of a pending or retrying row says when it needs a bus message again (re-dispatch after a
  crash, an operator retry, a replay, a due retry); NULL means a message is already on its way.
* ``dead_letters`` — inbound messages or records that could not be accepted, kept with the raw bytes and the reason
  (file, line, field path), and outbound deliveries that exhausted their retries. Identical rejected inputs of one
  connector are kept once (``digest``) with how often they came (``occurrences``, ``last_seen_at``).
* ``snapshots`` — for bulk imports: the fingerprint of the last imported version of each record, so that a
  re-import knows what is unchanged.
* ``instances`` — one row per hub process start, with a heartbeat: a delivery claimed by an instance that stopped
  beating (or whose process is gone from its host) is taken back at once, not after the claim's whole lease.
* ``timers`` — what processors asked to be called for at a date ("remind on D-30"), fired once: the row is taken
  in the same transaction that journals what its firing derived.
* ``projections`` — one row per processor read model: the version of its tables and when it was last rebuilt from
  the journal (the tables themselves belong to the processor).
* ``polls`` — one row per connector that pulls from its partner on a timer: its cursor (where the last successful
  pull stopped, in the connector's own terms), when the next pull is due, and a lease so that several hub processes
  take turns instead of all pulling the same thing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    BigInteger, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table, Text, UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["metadata", "events", "outbox", "deliveries", "dead_letters", "snapshots", "polls", "instances",
           "timers", "projections", "DeliveryStatus", "TimerStatus", "UtcDateTime"]


class UtcDateTime(TypeDecorator[datetime]):
    """An instant, stored in UTC on every dialect and read back as an aware UTC datetime.

    Why: SQLite has no time-zone type; SQLAlchemy writes an aware datetime there as its wall-clock time and drops
    the offset, so ``2026-11-20T00:00+01:00`` came back as ``00:00+00:00`` (an hour off, two in summer). Converting
    to UTC before binding makes the stored text unambiguous, and comparisons in SQL compare instants. A naive
    datetime is refused: the journal cannot guess which zone it was meant in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the journal; give it a time zone")
        utc = value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


metadata = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants a BIGINT identity for a journal this size.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class DeliveryStatus:
    PENDING = "pending"          # waiting for its turn (next_attempt_at set: needs dispatching)
    DELIVERING = "delivering"    # claimed by a worker (lease in claimed_at)
    RETRYING = "retrying"        # failed transiently; next_attempt_at says when (NULL: due, re-dispatched)
    DELIVERED = "delivered"
    DEAD = "dead"                # retries exhausted or permanent failure; in dead_letters
    DISCARDED = "discarded"      # an operator gave up on it
    DENIED = "denied"            # the access policy forbids this partner to see it
    UNRENDERABLE = "unrenderable"   # the partner's format cannot carry it (encoder refused): in dead_letters,
    #                                 and — unlike DEAD — the demand's later events go on

    #: States after which later events of the same demand may go.
    SETTLED = (DELIVERED, DISCARDED, DENIED, UNRENDERABLE)
    #: States an operator watches (queue depth, stuck work); the settled ones only grow.
    OPEN = (PENDING, DELIVERING, RETRYING, DEAD)
    ALL = (PENDING, DELIVERING, RETRYING, DELIVERED, DEAD, DISCARDED, DENIED, UNRENDERABLE)


events = Table(
    "events", metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("id", String(128), nullable=False, unique=True),
    Column("type", String(100), nullable=False),
    Column("source", String(200), nullable=False),
    Column("source_message_id", String(300)),
    Column("subject", String(32)),
    Column("entity_siren", String(9), nullable=False),
    Column("entity_nom", String(200), nullable=False),
    Column("time", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("body", Text, nullable=False),
    Column("depth", Integer),     # causation depth of an event a processor derived (NULL: from a partner)
    UniqueConstraint("source", "source_message_id", name="uq_events_source_message"),
    Index("ix_events_subject", "subject", "seq"),
    Index("ix_events_time", "recorded_at"),
)

outbox = Table(
    "outbox", metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=False),
)

deliveries = Table(
    "deliveries", metadata,
    Column("subscriber", String(64), primary_key=True),
    Column("seq", SeqType, primary_key=True, autoincrement=False),
    Column("subject", String(32)),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime()),
    Column("claimed_at", UtcDateTime()),
    Column("last_error", Text),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("claimed_by", String(64)),                     # the hub instance holding the claim (added after 0.1)
    Index("ix_deliveries_state", "subscriber", "status", "seq"),
    Index("ix_deliveries_subject", "subscriber", "subject", "seq"),
    Index("ix_deliveries_due", "subscriber", "next_attempt_at"),
)

dead_letters = Table(
    "dead_letters", metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("direction", String(8), nullable=False),       # inbound | outbound
    Column("connector", String(64), nullable=False),
    Column("event_type", String(100)),
    Column("event_seq", BigInteger),                      # outbound: the journaled event
    Column("origin", String(500)),                        # inbound: file name / URL
    Column("line", Integer),
    Column("field", String(300)),
    Column("reason", Text, nullable=False),
    Column("problems", Text),                             # JSON list of every problem found
    Column("payload", LargeBinary),                       # inbound: the raw bytes, to fix and replay
    Column("attempts", Text),                             # outbound: JSON list of every attempt's error
    Column("status", String(12), nullable=False),         # open | retried | discarded
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # added after 0.1 (nullable: revision 0001 adds them to a journal of 0.1, see hub.core.migrations)
    Column("digest", String(80)),                         # inbound: what identical rejected inputs share
    Column("occurrences", Integer),                       # how many times it came (NULL: once)
    Column("last_seen_at", UtcDateTime()),                # when it last came
    Column("payload_bytes", BigInteger),                  # size of what was received (payload may be NULL)
    Index("ix_dead_letters_status", "status", "connector", "created_at"),
    Index("ix_dead_letters_digest", "connector", "digest", "status"),
)

snapshots = Table(
    "snapshots", metadata,
    Column("source", String(64), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("fingerprint", String(80), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

polls = Table(
    "polls", metadata,
    Column("connector", String(64), primary_key=True),
    Column("cursor", String(200)),                        # the connector's own bookmark; NULL before the first pull
    Column("next_due_at", UtcDateTime(), nullable=False),
    Column("leased_until", UtcDateTime()),      # a process is pulling until then (NULL: nobody)
    Column("failures", Integer, nullable=False),          # consecutive failed pulls
    Column("last_ok_at", UtcDateTime()),
    Column("last_error", Text),
    Column("updated_at", UtcDateTime(), nullable=False),
)

instances = Table(
    "instances", metadata,
    Column("id", String(64), primary_key=True),           # a fresh id per hub process start
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("home", String(500), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("heartbeat_at", UtcDateTime(), nullable=False),  # refreshed every few seconds while it runs
    Column("stopped_at", UtcDateTime()),                  # set when it stopped, cleanly or found dead
)


class TimerStatus:
    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"
    FAILED = "failed"          # its handler kept failing: an operator looks (``relais timers``)


timers = Table(
    "timers", metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("processor", String(64), nullable=False),
    Column("key", String(200), nullable=False),           # the processor's name for it: one timer per key, ever
    Column("subject", String(32)),                        # the demand it is about
    Column("due_at", UtcDateTime(), nullable=False),
    Column("payload", Text),                              # JSON the processor gets back when it fires
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("fired_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("processor", "key", name="uq_timers_processor_key"),
    Index("ix_timers_due", "status", "due_at"),
    Index("ix_timers_subject", "subject"),
)

projections = Table(
    "projections", metadata,
    Column("name", String(64), primary_key=True),         # the processor's name
    Column("version", String(40), nullable=False),        # of its tables; a new version rebuilds them
    Column("status", String(12), nullable=False),         # ready | rebuilding | stale
    Column("rebuilt_at", UtcDateTime()),
    Column("events", BigInteger),                         # events replayed by the last rebuild
    Column("updated_at", UtcDateTime(), nullable=False),
)
