"""What every journal store shares: the clock's UTC instants, the dialect's "insert unless it exists", and the
attempt history kept in ``last_error``.

Why a module of its own: the stores, :mod:`hub.core.polling` and :mod:`hub.core.instances` all need these, and
:mod:`hub.core.journal` (which builds the stores) re-exports them for the code that imported them from there.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from collections.abc import Iterable

from sqlalchemy import ColumnElement, String, Table, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, Engine

__all__ = ["utcnow", "as_utc", "dialect_insert", "insert_ignore", "among", "among_key", "among_value", "attempt_list",
           "last_reason"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the journal stores is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def dialect_insert(engine: Engine, table: Table):
    """An INSERT that knows ``ON CONFLICT``: the one statement SQLite and PostgreSQL spell through their own
    dialect in SQLAlchemy."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def insert_ignore(engine: Engine, table: Table):
    return dialect_insert(engine, table).on_conflict_do_nothing()


def among(column: ColumnElement[Any], values: Iterable[Any], dialect: Dialect) -> ColumnElement[bool]:
    """``column IN values``, the values bound as one parameter: a JSON array read by ``json_each`` on SQLite, an
    array (``= ANY``) on PostgreSQL.

    Why not ``column.in_(values)``: SQLAlchemy renders that list into the SQL at every execution, one bound parameter
    per value (py-spy: 4 % of the hub's CPU for the batches of a few hundred seqs a delivery worker claims and
    records); with one parameter the statement is the same text every time, compiled once and prepared once."""
    return _among(column, bindparam(None, among_value(values, dialect), type_=_among_type(column, dialect)), dialect)


def among_key(column: ColumnElement[Any], key: str, dialect: Dialect) -> ColumnElement[bool]:
    """``among`` in a statement built once: the values are given at each execution under ``key``, as
    ``among_value(values, dialect)``."""
    return _among(column, bindparam(key, type_=_among_type(column, dialect)), dialect)


def among_value(values: Iterable[Any], dialect: Dialect) -> Any:
    values = list(values)
    return values if dialect.name == "postgresql" else json.dumps(values)


def _among_type(column: ColumnElement[Any], dialect: Dialect) -> Any:
    return postgresql.ARRAY(column.type) if dialect.name == "postgresql" else String()


def _among(column: ColumnElement[Any], param: Any, dialect: Dialect) -> ColumnElement[bool]:
    if dialect.name == "postgresql":
        return column == any_(param)
    return column.in_(select(literal_column("value")).select_from(func.json_each(param)).scalar_subquery())


def attempt_list(text: str | None) -> tuple[dict[str, Any], ...]:
    """``last_error`` holds the JSON list of every failed attempt (time, error), so a dead letter can show them."""
    if not text:
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        return ({"error": text},)
    return tuple(value) if isinstance(value, list) else ({"error": text},)


def last_reason(error: str | None) -> str:
    attempts = attempt_list(error)
    return str(attempts[-1].get("error", "?")) if attempts else "?"
