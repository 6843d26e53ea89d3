"""The outbox store: events journaled but not yet confirmed by the broker (table ``outbox``).

Why a row per event, written in the event's own transaction: a crash between journaling and publishing leaves the
row, and the relay (:mod:`hub.core.outbox`) publishes it on restart; the row goes once the broker confirmed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import BigInteger, bindparam, delete, func, null, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

from hub.core.journal_schema import events, outbox
from hub.core.stores.common import among
from hub.core.stores.rows import RowInsert

__all__ = ["OutboxStore"]


class OutboxStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._insert = RowInsert(engine.dialect, outbox, ("seq",))   # SQLite; PostgreSQL inserts from an array

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
        """A batch of the outbox, removed from it when the block exits normally (the broker confirmed it).

        On PostgreSQL the rows are locked with SKIP LOCKED for the duration, so several hub processes relay
        disjoint batches instead of all publishing the same events; a relay that dies releases its rows with its
        connection. If the block raises, the rows stay for the next attempt."""
        if self.engine.dialect.name != "postgresql":
            rows = self.unpublished(limit, with_body)
            yield rows
            self.mark_published([seq for seq, _t, _b in rows])
            return
        body = events.c.body if with_body else null()
        with self.engine.begin() as conn:
            # one statement: the outbox rows locked (only them: ``OF outbox``) and their events read together
            rows = [tuple(r) for r in conn.execute(
                select(events.c.seq, events.c.type, body).join(outbox, outbox.c.seq == events.c.seq)
                .order_by(outbox.c.seq).limit(limit).with_for_update(skip_locked=True, of=outbox))]
            yield rows
            if rows:
                conn.execute(delete(outbox).where(among(outbox.c.seq, [seq for seq, _t, _b in rows],
                                                        self.engine.dialect)))

    def mark_published(self, seqs: Sequence[int]) -> None:
        if seqs:
            with self.engine.begin() as conn:
                conn.execute(delete(outbox).where(among(outbox.c.seq, seqs, self.engine.dialect)))

    def size(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(outbox)).scalar_one()
