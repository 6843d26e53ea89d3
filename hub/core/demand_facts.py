"""What the journal knows of a demand that the access rules ask about: the event types journaled for it, and who
emitted each (legal entity, connector).

Why a store of its own: the rules on a household's past (the SIAO sees households it oriented, the COMED the DALO
households it decided on) need one indexed query on ``events`` (``ix_events_subject``), kept apart from the
journal's writing. Why the emitter: ``from = "self"`` rules grant on the recipient's own orientations or decisions
only, never another SIAO's or COMED's.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from hub.core.access_rules import DemandFact
from hub.core.journal_schema import events

__all__ = ["DemandFacts"]


class DemandFacts:
    """``DemandFacts(engine)(numero_unique)`` → the distinct (type, SIREN, source) journaled for that demand."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def __call__(self, subject: str) -> frozenset[DemandFact]:
        query = select(events.c.type, events.c.entity_siren, events.c.source).where(events.c.subject == subject) \
            .distinct()
        with self.engine.connect() as conn:
            return frozenset(DemandFact(*row) for row in conn.execute(query))
