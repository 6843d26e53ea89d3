"""The partner registry and the audit trail (issue 12): partners, their keys, client certificates and stock, and the
append-only audit table.

A journal that a development build of the registry created before this revision existed is completed, not
refused (see :mod:`hub.core.migrations.ddl`).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa

from hub.core.migrations.ddl import create_index_if_missing, create_or_complete_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_or_complete_table(
        "partners",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("siren", sa.String(9), nullable=False),
        sa.Column("nom", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("communes", sa.Text, nullable=False),
        sa.Column("emits", sa.Text),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
    )
    create_index_if_missing("ix_partners_connector", "partners", ["connector"])
    create_or_complete_table(
        "partner_keys",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(300), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT),
        sa.Column("revoked_at", INSTANT),
    )
    create_index_if_missing("ix_partner_keys_partner", "partner_keys", ["partner"])
    create_or_complete_table(
        "partner_certificates",
        sa.Column("subject", sa.String(500), primary_key=True),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
    )
    create_or_complete_table(
        "partner_stock",
        sa.Column("partner", sa.String(64), primary_key=True),
        sa.Column("rpls", sa.String(10), primary_key=True),
        sa.Column("imported_at", INSTANT, nullable=False),
    )
    create_or_complete_table(
        "audit",
        sa.Column("id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(32)),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target", sa.String(300)),
        sa.Column("reason", sa.Text),
    )
    create_index_if_missing("ix_audit_at", "audit", ["at"])
    create_index_if_missing("ix_audit_actor", "audit", ["actor", "at"])


def downgrade() -> None:
    raise NotImplementedError("the journal's schema only moves forward; to go back, restore the backup taken before "
                              "`relais db upgrade`")
