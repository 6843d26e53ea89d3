"""The ``dossier`` processor: keeps each demand's current state and history as events are journaled.

It derives no event; its projection is what ``relais dossier`` (and, later, the console) reads. The history keeps
what changed field by field with the legal entity behind each change — the "every change traced" the law asks
for, in a form a desk agent can read.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from contracts import Envelope
from hub import ProcessContext, Processor
from plugins.dossier import state, tables

__all__ = ["DossierProcessor", "read_dossier"]


class DossierProcessor(Processor):
    name = "dossier"
    version = "0.1.0"
    subscriptions = ("#",)
    tables = tables.metadata
    projection_version = "1"

    def process(self, event: Envelope[Any], ctx: ProcessContext):
        if not event.subject or event.type.startswith("evenement_efface."):
            return ()     # a purged demand's tombstone: the dossier forgot that demand (see ``forget``)
        conn = ctx.conn
        row = conn.execute(select(tables.demandes.c.etat).where(
            tables.demandes.c.numero_unique == event.subject)).first()
        before = json.loads(row.etat) if row is not None else None
        after, changes = state.apply(before, event)
        when = event.time.isoformat()
        values = {"statut": after["statut"], "etat": json.dumps(after, ensure_ascii=False, sort_keys=True),
                  "derniere_modification": when}
        if row is None:
            conn.execute(tables.demandes.insert().values(numero_unique=event.subject, **values))
        else:
            conn.execute(tables.demandes.update().where(tables.demandes.c.numero_unique == event.subject)
                         .values(**values))
        seen = conn.execute(select(tables.historique.c.id).where(tables.historique.c.event_id == event.id)).first()
        if seen is None:
            conn.execute(tables.historique.insert().values(
                numero_unique=event.subject, event_id=event.id, type=event.type, time=when,
                entity_siren=event.entity.siren, entity_nom=event.entity.nom, source=event.source,
                changements=json.dumps(changes, ensure_ascii=False)))
        return ()

    def dossier(self, conn: Connection, numero_unique: str) -> dict[str, Any] | None:
        """The dossier of one demand (see :func:`read_dossier`): how other plugins' routes read it through the
        configured processor, without importing this plugin."""
        return read_dossier(conn, numero_unique)

    def forget(self, subject: str, conn: Connection) -> None:
        """Retention: the state and history hold names, addresses, incomes — all of it goes. The
        ``demande_supprimee`` journaled right after starts a new, non-nominative dossier saying so."""
        conn.execute(tables.historique.delete().where(tables.historique.c.numero_unique == subject))
        conn.execute(tables.demandes.delete().where(tables.demandes.c.numero_unique == subject))


def read_dossier(conn: Connection, numero_unique: str) -> dict[str, Any] | None:
    """The dossier of one demand with its history, oldest first; None if the hub has never seen it."""
    row = conn.execute(select(tables.demandes).where(tables.demandes.c.numero_unique == numero_unique)).first()
    if row is None:
        return None
    history = [
        {"event_id": h.event_id, "type": h.type, "time": h.time, "entite": {"siren": h.entity_siren,
                                                                             "nom": h.entity_nom},
         "source": h.source, "changements": json.loads(h.changements)}
        for h in conn.execute(select(tables.historique).where(tables.historique.c.numero_unique == numero_unique)
                              .order_by(tables.historique.c.id))]
    return {"numero_unique": numero_unique, "statut": row.statut, "derniere_modification":
            row.derniere_modification, "etat": json.loads(row.etat), "historique": history}
