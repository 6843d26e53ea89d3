"""A journal as the release before versioned migrations left it (revision 0001's schema, hub/core/journal_schema.py
at commit 64de1ab), with data in every table: the starting point of the upgrade tests.

Frozen on purpose: the tables are written out here, not imported from ``hub``, so that this stays what that release
created whatever the current code becomes. ``oldest=True`` leaves out what that release itself added to older
journals at start (the ``polls`` and ``instances`` tables, ``deliveries.claimed_by``, the dead letters' digest
columns and index): a journal first created by an earlier release still.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table, Text, UniqueConstraint,
    create_engine,
)

__all__ = ["create_release_0001_journal", "stamp", "EVENT_IDS", "DEMAND_A", "DEMAND_B", "INBOUND_PAYLOAD"]

SEQ = BigInteger().with_variant(Integer(), "sqlite")
INSTANT = DateTime(timezone=True)
LATER_COLUMNS = {"deliveries": ("claimed_by",), "dead_letters": ("digest", "occurrences", "last_seen_at",
                                                                  "payload_bytes")}
LATER_TABLES = ("polls", "instances")
LATER_INDEXES = ("ix_dead_letters_digest",)

DEMAND_A = "0631126000777G6301"
DEMAND_B = "0631126000888G6301"
EVENT_IDS = ("d3fb3fca-9f2f-4d22-bdbf-1209a9f2d8f8", "3145e5f7-e4b9-4ad2-b187-ee358400a900",
             "0de892db-c232-406e-9fa2-632c097bd0cb")
INBOUND_PAYLOAD = b'{"decisions": [{"numero_unique": "not one"}]}'


def _metadata(oldest: bool) -> MetaData:
    md = MetaData()

    def later(table: str, name: str) -> bool:
        return oldest and name in LATER_COLUMNS.get(table, ())

    Table("events", md,
          Column("seq", SEQ, primary_key=True, autoincrement=True),
          Column("id", String(128), nullable=False, unique=True),
          Column("type", String(100), nullable=False),
          Column("source", String(200), nullable=False),
          Column("source_message_id", String(300)),
          Column("subject", String(32)),
          Column("entity_siren", String(9), nullable=False),
          Column("entity_nom", String(200), nullable=False),
          Column("time", INSTANT, nullable=False),
          Column("recorded_at", INSTANT, nullable=False),
          Column("body", Text, nullable=False),
          UniqueConstraint("source", "source_message_id", name="uq_events_source_message"),
          Index("ix_events_subject", "subject", "seq"),
          Index("ix_events_time", "recorded_at"))
    Table("outbox", md, Column("seq", SEQ, primary_key=True, autoincrement=False))
    Table("deliveries", md,
          Column("subscriber", String(64), primary_key=True),
          Column("seq", SEQ, primary_key=True, autoincrement=False),
          Column("subject", String(32)),
          Column("status", String(12), nullable=False),
          Column("attempts", Integer, nullable=False),
          Column("next_attempt_at", INSTANT),
          Column("claimed_at", INSTANT),
          Column("last_error", Text),
          Column("updated_at", INSTANT, nullable=False),
          *([] if later("deliveries", "claimed_by") else [Column("claimed_by", String(64))]),
          Index("ix_deliveries_state", "subscriber", "status", "seq"),
          Index("ix_deliveries_subject", "subscriber", "subject", "seq"),
          Index("ix_deliveries_due", "subscriber", "next_attempt_at"))
    Table("dead_letters", md,
          Column("id", SEQ, primary_key=True, autoincrement=True),
          Column("direction", String(8), nullable=False),
          Column("connector", String(64), nullable=False),
          Column("event_type", String(100)),
          Column("event_seq", BigInteger),
          Column("origin", String(500)),
          Column("line", Integer),
          Column("field", String(300)),
          Column("reason", Text, nullable=False),
          Column("problems", Text),
          Column("payload", LargeBinary),
          Column("attempts", Text),
          Column("status", String(12), nullable=False),
          Column("created_at", INSTANT, nullable=False),
          Column("updated_at", INSTANT, nullable=False),
          *([] if oldest else [Column("digest", String(80)), Column("occurrences", Integer),
                               Column("last_seen_at", INSTANT), Column("payload_bytes", BigInteger),
                               Index("ix_dead_letters_digest", "connector", "digest", "status")]),
          Index("ix_dead_letters_status", "status", "connector", "created_at"))
    Table("snapshots", md,
          Column("source", String(64), primary_key=True),
          Column("key", String(64), primary_key=True),
          Column("fingerprint", String(80), nullable=False),
          Column("updated_at", INSTANT, nullable=False))
    if not oldest:
        Table("polls", md,
              Column("connector", String(64), primary_key=True),
              Column("cursor", String(200)),
              Column("next_due_at", INSTANT, nullable=False),
              Column("leased_until", INSTANT),
              Column("failures", Integer, nullable=False),
              Column("last_ok_at", INSTANT),
              Column("last_error", Text),
              Column("updated_at", INSTANT, nullable=False))
        Table("instances", md,
              Column("id", String(64), primary_key=True),
              Column("host", String(200), nullable=False),
              Column("pid", Integer, nullable=False),
              Column("home", String(500), nullable=False),
              Column("started_at", INSTANT, nullable=False),
              Column("heartbeat_at", INSTANT, nullable=False),
              Column("stopped_at", INSTANT))
    return md


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=timezone.utc)


def _body(event_id: str, subject: str, message: str, rpls: str, commission: str, offset: str) -> str:
    return json.dumps({
        "specversion": "1.0", "id": event_id, "type": "decision_cal.v1", "source": "bailleurs",
        "entity": {"siren": "575004072", "nom": "Thierry SARL Habitat"}, "subject": subject,
        "time": f"{commission}T00:00:00{offset}", "datacontenttype": "application/json", "dataschema": None,
        "sourcemessageid": f"575004072:{message}", "correlationid": None, "causationid": None,
        "data": {"numero_unique": subject, "rpls": rpls, "commune": "63430", "date_commission": commission,
                 "decision": "attribution", "rang": None, "condition_suspensive": None, "motif": None,
                 "sous_motif_irrecevabilite": None}}, separators=(",", ":"))


EVENTS = [   # (seq, id, subject, source message, rpls, date of the commission, offset)
    (1, EVENT_IDS[0], DEMAND_A, "CAL-9722-JFIY", "6323272516", "2026-10-20", "+02:00"),
    (2, EVENT_IDS[1], DEMAND_A, "CAL-6201-GBPR", "6303948038", "2026-11-17", "+01:00"),
    (3, EVENT_IDS[2], DEMAND_B, "CAL-1045-DQUC", "6390470384", "2026-11-05", "+01:00"),
]


def create_release_0001_journal(url: str, *, oldest: bool = False) -> None:
    """Create the previous release's tables at ``url`` and fill them.

    For subscriber ``habisoft``: event 1 delivered, event 2 pending and flagged for dispatch (what a running hub
    delivers next), event 3 dead with its outbound dead letter, and still in the outbox; subscriber ``sne`` is
    denied event 1. Plus an inbound dead letter with its bytes, a bulk-import snapshot, and (unless ``oldest``) a
    scheduled pull's cursor and a stopped hub instance."""
    md = _metadata(oldest)
    engine = create_engine(url)
    t = md.tables
    attempts = json.dumps([{"at": _at(20).isoformat(), "error": "HTTP 500 from habisoft"},
                           {"at": _at(21).isoformat(), "error": "HTTP 500 from habisoft"}])
    try:
        with engine.begin() as conn:
            md.create_all(conn)
            conn.execute(t["events"].insert(), [
                {"seq": seq, "id": eid, "type": "decision_cal.v1", "source": "bailleurs",
                 "source_message_id": f"575004072:{msg}", "subject": subject, "entity_siren": "575004072",
                 "entity_nom": "Thierry SARL Habitat",
                 "time": datetime.fromisoformat(f"{day}T00:00:00{offset}").astimezone(timezone.utc),
                 "recorded_at": _at(18 + seq), "body": _body(eid, subject, msg, rpls, day, offset)}
                for seq, eid, subject, msg, rpls, day, offset in EVENTS])
            conn.execute(t["outbox"].insert(), [{"seq": 3}])
            delivery = {"next_attempt_at": None, "claimed_at": None, "last_error": None}
            conn.execute(t["deliveries"].insert(), [
                {**delivery, "subscriber": "habisoft", "seq": 1, "subject": DEMAND_A, "status": "delivered",
                 "attempts": 1, "updated_at": _at(19)},
                {**delivery, "subscriber": "habisoft", "seq": 2, "subject": DEMAND_A, "status": "pending",
                 "attempts": 0, "next_attempt_at": _at(20), "updated_at": _at(20)},
                {**delivery, "subscriber": "habisoft", "seq": 3, "subject": DEMAND_B, "status": "dead",
                 "attempts": 2, "last_error": attempts, "updated_at": _at(21)},
                {**delivery, "subscriber": "sne", "seq": 1, "subject": DEMAND_A, "status": "denied",
                 "attempts": 0, "updated_at": _at(19)},
            ])
            dead = {"event_type": None, "event_seq": None, "origin": None, "line": None, "field": None,
                    "problems": None, "payload": None, "attempts": None, "status": "open"}
            conn.execute(t["dead_letters"].insert(), [
                {**dead, "direction": "inbound", "connector": "bailleurs", "origin": "cal-2026-11-20.json",
                 "line": 1, "field": "decisions[0].numero_unique", "reason": "numero_unique: not a numéro unique",
                 "payload": INBOUND_PAYLOAD, "created_at": _at(20), "updated_at": _at(20)},
                {**dead, "direction": "outbound", "connector": "habisoft", "event_type": "decision_cal.v1",
                 "event_seq": 3, "reason": "HTTP 500 from habisoft", "attempts": attempts, "created_at": _at(21),
                 "updated_at": _at(21)},
            ])
            conn.execute(t["snapshots"].insert(), [{"source": "sne", "key": DEMAND_B, "fingerprint": "sha256:ab12",
                                                    "updated_at": _at(18)}])
            if not oldest:
                conn.execute(t["polls"].insert(), [{"connector": "sne", "cursor": "2026-11-20", "next_due_at": _at(22),
                                                    "leased_until": None, "failures": 0, "last_ok_at": _at(20),
                                                    "last_error": None, "updated_at": _at(20)}])
                conn.execute(t["instances"].insert(), [{"id": "old-instance", "host": "h", "pid": 1, "home": "/h",
                                                        "started_at": _at(19), "heartbeat_at": _at(20),
                                                        "stopped_at": _at(20)}])
    finally:
        engine.dispose()


def stamp(url: str, revision: str) -> None:
    """Mark the journal as being at ``revision``, as Alembic records it (a journal a release with migrations left;
    a revision this release does not know stands for a newer release's)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS alembic_version "
                                 "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
            conn.exec_driver_sql("DELETE FROM alembic_version")
            conn.exec_driver_sql(f"INSERT INTO alembic_version (version_num) VALUES ('{revision}')")
    finally:
        engine.dispose()
