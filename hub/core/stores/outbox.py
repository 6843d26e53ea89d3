"""The outbox store: events journaled but not yet confirmed by the broker (table ``outbox``).

Why a row per event, written in the event's own transaction: a crash between journaling and publishing leaves the
row, and the relay (:mod:`hub.core.outbox`) publishes it on restart; the row goes once the broker confirmed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import BigInteger, Select, bindparam, delete, func, null, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

from hub.core.journal_schema import events, outbox
from hub.core.stores.common import among_key, among_value
from hub.core.stores.rows import RowInsert

__all__ = ["OutboxStore", "OutboxBatch"]


class OutboxStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._insert = RowInsert(engine.dialect, outbox, ("seq",))   # SQLite; PostgreSQL inserts from an array
        self._locked = {with_body: self._locked_events(with_body) for with_body in (True, False)}   # built once
        # built once too: built per relay batch on PostgreSQL, its pieces (the seqs' ARRAY type and its comparator,
        # the bound parameter) were ~12 objects of cyclic garbage a batch, for young collections of 20 ms to free
        self._delete = delete(outbox).where(among_key(outbox.c.seq, "b_seqs", engine.dialect))

    def add_in(self, conn: Connection, seqs: Sequence[int]) -> None:
        """Inside the append's transaction: these events wait for the broker. On PostgreSQL one array parameter
        (``unnest``), not a row of parameters per event for SQLAlchemy and the driver to process."""
        if not seqs:
            return
        if self.engine.dialect.name == "postgresql":
            conn.execute(outbox.insert().from_select(
                ["seq"], select(func.unnest(bindparam(None, list(seqs), type_=postgresql.ARRAY(BigInteger()))))))
            return
        self._insert.many(conn, [(seq,) for seq in seqs])

    def unpublished(self, limit: int, with_body: bool = True) -> list[tuple[int, str, str | None]]:
        """(seq, type, body) of journaled events not yet confirmed by the broker, oldest first; ``body`` is None
        without ``with_body`` (the in-process bus carries references only: reading 1 KB per event for nothing cost
        the relay a fifth of its time)."""
        body = events.c.body if with_body else null()
        with self.engine.connect() as conn:
            rows = conn.execute(select(events.c.seq, events.c.type, body)
                                .join(outbox, outbox.c.seq == events.c.seq)
                                .order_by(outbox.c.seq).limit(limit))
            return [tuple(r) for r in rows]

    @contextmanager
    def unpublished_batch(self, limit: int, with_body: bool = True) -> Iterator[list[tuple[int, str, str | None]]]:
        """A batch of the outbox, removed from it when the block exits normally (the broker confirmed it); if the
        block raises, the rows stay for the next attempt (see :meth:`lock_batch`)."""
        batch = self.lock_batch(limit, with_body)
        try:
            yield batch.rows
        except BaseException:
            batch.release()
            raise
        batch.remove()

    def lock_batch(self, limit: int, with_body: bool = True) -> "OutboxBatch":
        """A batch of the outbox, oldest first, to be ``remove()``-d once the broker confirmed it, or ``release()``-d.

        On PostgreSQL the rows are locked (SKIP LOCKED) in a transaction that stays open until then, so several hub
        processes relay disjoint batches instead of all publishing the same events, and a relay may read its next
        batch while this one's removal commits in another thread (the next read skips the rows still locked); a
        relay that dies releases its rows with its connection. On SQLite nothing is locked: remove before reading
        again, or the same rows come back."""
        if self.engine.dialect.name != "postgresql":
            return OutboxBatch(self.unpublished(limit, with_body), None, self)
        conn = self.engine.connect()
        try:
            conn.begin()
            rows = [tuple(r) for r in conn.execute(self._locked[with_body], {"b_limit": limit})]
        except BaseException:
            conn.close()
            raise
        return OutboxBatch(rows, conn, self)

    @staticmethod
    def _locked_events(with_body: bool) -> Select:
        """One statement: the oldest outbox rows locked (SKIP LOCKED), then their events read by primary key.

        Why the seqs go through ``= ANY(ARRAY(…))`` rather than a join: with a join the planner chose by the tables'
        statistics, and on a young or churning journal (the outbox's deleted rows not yet vacuumed, no ``ANALYZE``
        yet) it merged with a sequential scan and a sort of the whole ``events`` table — 9 ms per relay read at
        5,000 events, growing with the journal (EXPLAIN ANALYZE, bench/README.md). The array is computed once
        (an init plan) and ``events`` is probed by its primary key whatever the statistics say."""
        body = events.c.body if with_body else null()
        batch = (select(outbox.c.seq).order_by(outbox.c.seq).limit(bindparam("b_limit"))
                 .with_for_update(skip_locked=True))
        return (select(events.c.seq, events.c.type, body)
                .where(events.c.seq == func.any(func.array(batch.scalar_subquery())))
                .order_by(events.c.seq))

    def mark_published(self, seqs: Sequence[int]) -> None:
        if seqs:
            with self.engine.begin() as conn:
                self.delete_in(conn, seqs)

    def delete_in(self, conn: Connection, seqs: Sequence[int]) -> None:
        """Delete these rows of the outbox inside the caller's transaction."""
        conn.execute(self._delete, {"b_seqs": among_value(seqs, self.engine.dialect)})

    def size(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(outbox)).scalar_one()


class OutboxBatch:
    """Rows of the outbox handed to the relay (:meth:`OutboxStore.lock_batch`). ``locked``: held in an open
    transaction (PostgreSQL), so that removing them may wait — nobody else reads them meanwhile."""

    def __init__(self, rows: list[tuple[int, str, str | None]], conn: Connection | None, store: OutboxStore):
        self.rows = rows
        self._conn = conn
        self._store = store

    @property
    def locked(self) -> bool:
        return self._conn is not None

    def remove(self) -> None:
        """The broker confirmed these events: delete their rows (and commit, which releases the lock)."""
        seqs = [seq for seq, _t, _b in self.rows]
        if self._conn is None:
            self._store.mark_published(seqs)
            return
        conn, self._conn = self._conn, None
        try:
            if seqs:
                self._store.delete_in(conn, seqs)
            conn.commit()
        finally:
            conn.close()

    def release(self) -> None:
        """Not published: leave the rows for the next attempt (roll back, which releases the lock)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()   # an open transaction is rolled back when its connection goes back to the pool
