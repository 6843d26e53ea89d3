"""The web console's people: accounts, sessions and failed sign-ins (issue 19, :mod:`hub.core.console_schema`).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa

from hub.core.migrations.ddl import create_index_if_missing, create_or_complete_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_or_complete_table(
        "console_users",
        sa.Column("email", sa.String(254), primary_key=True),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
    )
    create_or_complete_table(
        "console_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("last_seen_at", INSTANT, nullable=False),
        sa.Column("ended_at", INSTANT),
    )
    create_index_if_missing("ix_console_sessions_email", "console_sessions", ["email"])
    create_or_complete_table(
        "console_login_failures",
        sa.Column("id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
    )
    create_index_if_missing("ix_console_failures_email", "console_login_failures", ["email", "at"])
    create_index_if_missing("ix_console_failures_client", "console_login_failures", ["client", "at"])


def downgrade() -> None:
    raise NotImplementedError("the journal's schema only moves forward; to go back, restore the backup taken before "
                              "`relais db upgrade`")
