"""Schema operations that tolerate a journal created before versioned migrations.

Why: journals created by releases before revision 0001 have no ``alembic_version`` table, and some lack what those
releases added at start (their ``hub.core.schema_upgrade`` added missing tables, nullable columns and indexes).
Their first migration must therefore *complete* what exists rather than create it: a missing table is created, a missing
nullable column or index is added, what exists is left alone. Only revisions that a pre-migration journal can meet
use these (0001, and 0002 for journals of the unreleased commit that introduced its tables); later revisions use
``op`` directly. Frozen like the revisions that call it: never change what it does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["create_or_complete_table", "add_column_if_missing", "create_index_if_missing"]


def _inspector() -> sa.Inspector:
    return sa.inspect(op.get_bind())   # a fresh one each time: an inspector caches what it read


def create_or_complete_table(name: str, *elements: sa.SchemaItem) -> None:
    """``op.create_table``, or — the table exists — add the columns among ``elements`` that it lacks."""
    if not _inspector().has_table(name):
        op.create_table(name, *elements)
        return
    for element in elements:
        if isinstance(element, sa.Column):
            add_column_if_missing(name, element)


def add_column_if_missing(table: str, column: sa.Column) -> None:
    existing = {c["name"] for c in _inspector().get_columns(table)}
    if column.name in existing:
        return
    if not column.nullable:
        raise RuntimeError(f"journal table {table} lacks the required column {column.name}: it was not created by "
                           "a release of relais; restore a backup of the journal or recreate it")
    op.add_column(table, column)


def create_index_if_missing(name: str, table: str, columns: list[str]) -> None:
    if name not in {i["name"] for i in _inspector().get_indexes(table)}:
        op.create_index(name, table, columns)
