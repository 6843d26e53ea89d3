"""What processors need (commit d1827cc): the causation depth of derived events, timers, projections.

Tolerant of a journal that the commit introducing them created before migrations existed (see
:mod:`hub.core.migrations.ddl`).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa

from hub.core.migrations.ddl import add_column_if_missing, create_index_if_missing, create_or_complete_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    add_column_if_missing("events", sa.Column("depth", sa.Integer))

    create_or_complete_table(
        "timers",
        sa.Column("id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("processor", sa.String(64), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(32)),
        sa.Column("due_at", INSTANT, nullable=False),
        sa.Column("payload", sa.Text),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("fired_at", INSTANT),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.UniqueConstraint("processor", "key", name="uq_timers_processor_key"),
    )
    create_index_if_missing("ix_timers_due", "timers", ["status", "due_at"])
    create_index_if_missing("ix_timers_subject", "timers", ["subject"])

    create_or_complete_table(
        "projections",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("rebuilt_at", INSTANT),
        sa.Column("events", sa.BigInteger),
        sa.Column("updated_at", INSTANT, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("the journal's schema only moves forward; to go back, restore the backup taken before "
                              "`relais db upgrade`")
