"""What the journal knows of a demand that the access rules ask about: the event types journaled for it.

Why a store of its own: the rules on a household's past (the SIAO sees households it oriented, the COMED DALO
households) need one indexed query on ``events`` (``ix_events_subject``), kept apart from the journal's writing.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from hub.core.journal_schema import events

__all__ = ["DemandTypes"]


class DemandTypes:
    """``DemandTypes(engine)(numero_unique)`` → the set of event types journaled for that demand."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def __call__(self, subject: str) -> frozenset[str]:
        with self.engine.connect() as conn:
            return frozenset(conn.execute(select(events.c.type).where(events.c.subject == subject).distinct())
                             .scalars())
