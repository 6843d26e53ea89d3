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

from sqlalchemy import BigInteger, String, Table, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["utcnow", "as_utc", "dialect_insert", "insert_ignore", "one_of", "attempt_list", "last_reason"]


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


def one_of(engine: Engine, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY($1)``, one array parameter however many values. Why: a
    batch's claim, relay or outcome named up to 500 seqs, each a parameter that SQLAlchemy expanded and the driver
    bound anew at every execution (py-spy: 7 % of the RabbitMQ hub's CPU), and the statement's text changed with
    the count."""
    values = list(values)
    if engine.dialect.name != "postgresql":
        return column.in_(values)
    item = BigInteger() if column.type.python_type is int else String()
    return column == any_(bindparam(None, values, type_=postgresql.ARRAY(item)))


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
