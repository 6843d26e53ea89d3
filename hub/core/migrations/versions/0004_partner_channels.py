"""Per-partner delivery channels (issue 17): how a registered partner receives its events — webhook, outbox
directory or pull — in ``partner_channels``.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa

from hub.core.migrations.ddl import create_or_complete_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_or_complete_table(
        "partner_channels",
        sa.Column("partner", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("url", sa.String(2000)),
        sa.Column("secret", sa.String(200)),
        sa.Column("directory", sa.String(1000)),
        sa.Column("concurrency", sa.Integer, nullable=False),
        sa.Column("subscriptions", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("the journal's schema only moves forward; to go back, restore the backup taken before "
                              "`relais db upgrade`")
