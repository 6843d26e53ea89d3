"""Plain-tuple INSERTs for the journal's hot path: the SQL rendered once per dialect, each row's values converted by
the columns' own bind processors, and the rows handed to the driver.

Why: appending a batch through SQLAlchemy Core's ``execute(insert, [dict, ...])`` spends most of its time per row in
parameter processing (``construct_params``, a dict per row, then every column's type looked up again); py-spy put
it at a fifth of the hub's CPU with one subscriber and one processor. Here a row is a tuple built by the caller and
only the columns whose type converts values (``UtcDateTime``) are converted, by the very processor SQLAlchemy would
use, so that what is stored is byte for byte what ``conn.execute(table.insert(), rows)`` stores on SQLite and
PostgreSQL. Statements go through ``Connection.exec_driver_sql``, so transactions, events and the wrapping of
driver errors (``IntegrityError``, ``DataError``: what :mod:`hub.core.isolation` classifies) are SQLAlchemy's as
before; a value a processor refuses is raised as the ``StatementError`` SQLAlchemy would raise. Rows with
``RETURNING`` go several per statement: a multi-row ``VALUES`` on SQLite, one array per column on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, StatementError

__all__ = ["RowInsert"]

#: Rows per multi-row INSERT ... RETURNING on SQLite (32,766 parameters a statement at most).
_ROWS_PER_STATEMENT = 500

_LENGTH = re.compile(r"\(.*\)")


class RowInsert:
    """An INSERT of ``columns`` into ``table`` for one dialect, fed tuples in the order of ``columns``.

    ``ignore_conflicts`` adds ``ON CONFLICT DO NOTHING`` (every unique constraint, as
    :func:`hub.core.stores.common.insert_ignore`); ``returning`` names columns to return for the rows inserted.
    The values of ``preconverted`` columns are given already converted (``convert``): a batch's one timestamp is
    converted once, not once per row. The values of ``repeated`` columns are converted once per distinct value of a
    batch (``params_all``): a burst of decisions has a few dozen commission days for thousands of events."""

    def __init__(self, dialect: Dialect, table: Table, columns: Sequence[str], *, ignore_conflicts: bool = False,
                 returning: Sequence[str] = (), preconverted: Sequence[str] = (), repeated: Sequence[str] = ()):
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in columns)
        self._head = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "
        self._tail = (" ON CONFLICT DO NOTHING" if ignore_conflicts else "") + (
            f" RETURNING {', '.join(quote(c) for c in returning)}" if returning else "")
        # the driver's placeholders: SQLite's ``?``; ``$n`` on PostgreSQL, whose engine uses psycopg's RawCursor
        # (hub.core.stores.engine), ``%s`` with psycopg's own cursor
        marks = {"qmark": ["?"] * len(columns), "numeric_dollar": [f"${i}" for i in range(1, len(columns) + 1)]}
        self._one = "(" + ", ".join(marks.get(dialect.paramstyle, ["%s"] * len(columns))) + ")"
        self.sql = self._head + "VALUES " + self._one + self._tail
        # PostgreSQL: one array per column, so that the statement is the same text for any number of rows (psycopg
        # parses a query's text to find its placeholders, and cannot cache a text that changes with the row count:
        # a quarter of the hub threads' samples on RabbitMQ + PostgreSQL went there). The element types go without
        # their length: an explicit cast to VARCHAR(n) truncates a longer text silently, where the insert into the
        # column refuses it (DataError: the event is isolated, hub.core.isolation). ``%b``: psycopg sends the arrays
        # in binary; in text it escapes every element with a regular expression in Python (measured alone: ~500 us
        # a row for 1 KB bodies, against ~6 us). ``%b`` needs psycopg's own cursor: the engine's RawCursor takes
        # ``$n``, which psycopg sends in text.
        arrays = ", ".join(f"%b::{_LENGTH.sub('', table.c[c].type.compile(dialect=dialect))}[]" for c in columns)
        self._unnest = (f"{self._head}SELECT {names} FROM unnest({arrays}) WITH ORDINALITY AS u({names}, ord) "
                        f"ORDER BY ord{self._tail}") if dialect.name == "postgresql" else None
        processors = {c: table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns}
        self._processors = {c: p for c, p in processors.items() if p is not None}
        #: (index, processor) of the columns whose type converts each row's value before binding
        self._convert: list[tuple[int, Callable[[Any], Any]]] = [
            (i, self._processors[c]) for i, c in enumerate(columns)
            if c in self._processors and c not in preconverted]
        #: the indexes, among ``_convert``'s, of the ``repeated`` columns
        self._repeated = frozenset(i for i, c in enumerate(columns) if c in repeated)

    def params(self, row: Sequence[Any]) -> tuple[Any, ...]:
        """One row's values as the driver takes them."""
        if not self._convert:
            return tuple(row)
        values = list(row)
        try:
            for i, process in self._convert:
                values[i] = process(values[i])
        except Exception as exc:  # what SQLAlchemy raises for a value its type refuses (see hub.core.isolation)
            raise StatementError(f"({type(exc).__module__}.{type(exc).__name__}) {exc}", self.sql, row,
                                 exc) from exc
        return tuple(values)

    def params_all(self, rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Rows' values as the driver takes them (``params``), a ``repeated`` column's equal values converted once.

        Why it is the same: a bind processor's answer depends only on its value, and the remembered answers are
        keyed by the value's type, the value and its ``fold``: aware datetimes in different zones are equal only
        when they are the same instant, which is all that ``UtcDateTime`` binds, but two in the same zone compare
        their wall times and ignore ``fold`` — the two 02:30 of an autumn night in Paris are equal, an hour apart.
        Per-batch memory only: nothing outlives the call."""
        if not self._repeated:
            return [self.params(row) for row in rows]
        memos: dict[int, dict[tuple[type, Any, int], Any]] = {i: {} for i in self._repeated}
        out = []
        for row in rows:
            values = list(row)
            try:
                for i, process in self._convert:
                    memo = memos.get(i)
                    if memo is None:
                        values[i] = process(values[i])
                        continue
                    value = values[i]
                    key = (type(value), value, getattr(value, "fold", 0))
                    try:
                        values[i] = memo[key]
                    except KeyError:
                        values[i] = memo[key] = process(value)
                    except TypeError:   # unhashable: the processor says what is wrong with it
                        values[i] = process(value)
            except Exception as exc:  # as ``params``: what SQLAlchemy raises for a value its type refuses
                raise StatementError(f"({type(exc).__module__}.{type(exc).__name__}) {exc}", self.sql, row,
                                     exc) from exc
            out.append(tuple(values))
        return out

    def convert(self, column: str, value: Any) -> Any:
        """``value`` as the driver takes it in ``column`` (for a ``preconverted`` column)."""
        process = self._processors.get(column)
        return value if process is None else process(value)

    def many(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert rows already converted (``params``), in one ``executemany``."""
        if rows:
            conn.exec_driver_sql(self.sql, list(rows))

    def returning(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Insert rows already converted, several per statement, and return the ``returning`` columns of those
        inserted (in no particular order)."""
        if not rows:
            return []
        if self._unnest is not None:   # rows taken in their order (ORDER BY ord): seqs are handed out in it
            return self._returning_from_arrays(conn, tuple(list(c) for c in zip(*rows)))
        out: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            chunk = rows[start:start + _ROWS_PER_STATEMENT]
            sql = self._head + "VALUES " + ", ".join([self._one] * len(chunk)) + self._tail
            flat = tuple(value for row in chunk for value in row)
            out += [tuple(r) for r in conn.exec_driver_sql(sql, flat)]
        return out

    def _returning_from_arrays(self, conn: Connection, arrays: tuple[list[Any], ...]) -> list[tuple[Any, ...]]:
        """PostgreSQL: the ``unnest`` insert through a psycopg cursor of the transaction's own connection; a driver
        error is raised as SQLAlchemy raises it (``DataError``, ``IntegrityError``…: see hub.core.isolation)."""
        import psycopg   # only ever reached on PostgreSQL
        try:
            with psycopg.Cursor(conn.connection.driver_connection) as cursor:
                cursor.execute(self._unnest, arrays)
                return [tuple(r) for r in cursor.fetchall()]
        except psycopg.Error as exc:
            raise DBAPIError.instance(self._unnest, arrays, exc, psycopg.Error) from exc
