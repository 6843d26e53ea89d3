"""Bring an existing journal's tables up to the current schema, additively: missing tables, columns and indexes.

Why not only ``create_all``: it creates missing *tables* and leaves an existing table as it is, so a journal created
by an earlier release would lack the columns a later one reads. The journal's schema only ever gains nullable
columns and indexes (a breaking change would be a real migration), so adding what is missing is enough, and it runs
at every start, under the same lock as table creation. Versioned migrations (Alembic) are the intended successor.
"""

from __future__ import annotations

import structlog
from sqlalchemy import Index, MetaData, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex

__all__ = ["upgrade_additively"]

log = structlog.get_logger(__name__)


def upgrade_additively(conn: Connection, metadata: MetaData) -> list[str]:
    """Create missing tables, add missing nullable columns and missing indexes; returns what was added."""
    metadata.create_all(conn)
    inspector = inspect(conn)
    preparer = conn.dialect.identifier_preparer
    added: list[str] = []
    for table in metadata.sorted_tables:
        existing = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in existing:
                continue
            if not column.nullable:
                raise RuntimeError(f"journal table {table.name} lacks the required column {column.name}: this "
                                   "journal needs a migration, not an additive upgrade")
            ddl = (f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {preparer.format_column(column)} "
                   f"{column.type.compile(dialect=conn.dialect)}")
            conn.exec_driver_sql(ddl)
            added.append(f"{table.name}.{column.name}")
        indexes = {i["name"] for i in inspect(conn).get_indexes(table.name)}
        for index in table.indexes:
            if isinstance(index, Index) and index.name not in indexes:
                conn.execute(CreateIndex(index))
                added.append(f"index {index.name}")
    if added:
        log.info("journal_schema_upgraded", added=added)
    return added
