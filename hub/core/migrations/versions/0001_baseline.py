"""The journal of the release before versioned migrations (hub/core/journal_schema.py at commit 64de1ab).

A journal that release created has these tables but no ``alembic_version``; some lack the columns and indexes its
start-time additive upgrade added. This revision therefore completes what exists (:mod:`hub.core.migrations.ddl`)
instead of creating it. Frozen: the types are written out here, not imported, so that a later change to
``journal_schema`` cannot change what 0001 means.

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa

from hub.core.migrations.ddl import create_index_if_missing, create_or_complete_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_or_complete_table(
        "events",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(128), nullable=False, unique=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("source_message_id", sa.String(300)),
        sa.Column("subject", sa.String(32)),
        sa.Column("entity_siren", sa.String(9), nullable=False),
        sa.Column("entity_nom", sa.String(200), nullable=False),
        sa.Column("time", INSTANT, nullable=False),
        sa.Column("recorded_at", INSTANT, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.UniqueConstraint("source", "source_message_id", name="uq_events_source_message"),
    )
    create_index_if_missing("ix_events_subject", "events", ["subject", "seq"])
    create_index_if_missing("ix_events_time", "events", ["recorded_at"])

    create_or_complete_table(
        "outbox",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
    )

    create_or_complete_table(
        "deliveries",
        sa.Column("subscriber", sa.String(64), primary_key=True),
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("subject", sa.String(32)),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", INSTANT),
        sa.Column("claimed_at", INSTANT),
        sa.Column("last_error", sa.Text),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.Column("claimed_by", sa.String(64)),
    )
    create_index_if_missing("ix_deliveries_state", "deliveries", ["subscriber", "status", "seq"])
    create_index_if_missing("ix_deliveries_subject", "deliveries", ["subscriber", "subject", "seq"])
    create_index_if_missing("ix_deliveries_due", "deliveries", ["subscriber", "next_attempt_at"])

    create_or_complete_table(
        "dead_letters",
        sa.Column("id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(100)),
        sa.Column("event_seq", sa.BigInteger),
        sa.Column("origin", sa.String(500)),
        sa.Column("line", sa.Integer),
        sa.Column("field", sa.String(300)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("problems", sa.Text),
        sa.Column("payload", sa.LargeBinary),
        sa.Column("attempts", sa.Text),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.Column("digest", sa.String(80)),
        sa.Column("occurrences", sa.Integer),
        sa.Column("last_seen_at", INSTANT),
        sa.Column("payload_bytes", sa.BigInteger),
    )
    create_index_if_missing("ix_dead_letters_status", "dead_letters", ["status", "connector", "created_at"])
    create_index_if_missing("ix_dead_letters_digest", "dead_letters", ["connector", "digest", "status"])

    create_or_complete_table(
        "snapshots",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(80), nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
    )

    create_or_complete_table(
        "polls",
        sa.Column("connector", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.String(200)),
        sa.Column("next_due_at", INSTANT, nullable=False),
        sa.Column("leased_until", INSTANT),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_ok_at", INSTANT),
        sa.Column("last_error", sa.Text),
        sa.Column("updated_at", INSTANT, nullable=False),
    )

    create_or_complete_table(
        "instances",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("home", sa.String(500), nullable=False),
        sa.Column("started_at", INSTANT, nullable=False),
        sa.Column("heartbeat_at", INSTANT, nullable=False),
        sa.Column("stopped_at", INSTANT),
    )


def downgrade() -> None:
    raise NotImplementedError("0001 is the first revision: there is no journal schema before it to go back to")
