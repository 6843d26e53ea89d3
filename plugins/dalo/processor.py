"""The ``dalo_attente`` processor: which DALO households still wait for the State to rehouse them.

It derives no event; it keeps one row per household the COMED declared "prioritaire et urgent" (its appeal, decision
date, the deadline the COMED gave if any) and notes when it stops waiting: a lease or an attribution report
(rehoused), a radiation, a later decision on the same appeal that is not "prioritaire et urgent" (cleared). The
list with each deadline is read by ``relais dalo attente`` (:mod:`plugins.dalo.commands`), the délai coming from the
territory's setting at read time, so that changing it needs no rebuild.

Why it also keeps every demand's exit (``sorties``), DALO or not yet: events arrive from different partners in any
order — a landlord's lease or a radiation may be journaled before the COMED's decision file comes in. A decision
then finds the demand already out and lists the household as rehoused or radiated, not as waiting.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from contracts import Envelope
from contracts.enums import MotifRadiation, SensDecisionDalo
from hub import ProcessContext, Processor
from plugins.dalo import tables
from plugins.dalo.settings import DaloAttenteSettings

__all__ = ["DaloAttenteProcessor"]

SUBSCRIPTIONS = ("decision_dalo.*", "bail_signe.*", "attribution_reportee.*", "demande_radiee.*",
                 "demande_reactivee.*", "demande_supprimee.*")


class DaloAttenteProcessor(Processor):
    name = "dalo_attente"
    version = "0.1.0"
    subscriptions = SUBSCRIPTIONS
    settings_model = DaloAttenteSettings
    tables = tables.metadata
    projection_version = "2"   # 2: the exits of demands not (yet) DALO are kept

    def process(self, event: Envelope[Any], ctx: ProcessContext):
        conn, data, kind = ctx.conn, event.data, event.type.split(".")[0]
        row = conn.execute(select(tables.menages).where(
            tables.menages.c.numero_unique == event.subject)).first()
        if kind == "decision_dalo":
            self._decision(conn, row, data)
            return ()
        if kind in ("bail_signe", "attribution_reportee"):
            day = data.date_signature if kind == "bail_signe" else data.date_attribution
            self._left(conn, row, event.subject, "relogee", day.isoformat())
        elif kind == "demande_radiee":
            rehoused = data.motif is MotifRadiation.ATTRIBUTION_BAIL_SIGNE
            self._left(conn, row, event.subject, "relogee" if rehoused else "radiee", data.date_radiation.isoformat())
        elif kind == "demande_reactivee":
            conn.execute(delete(tables.sorties).where(tables.sorties.c.numero_unique == event.subject,
                                                      tables.sorties.c.statut == "radiee"))
            if row is not None and row.statut == "radiee":
                self._set(conn, row.numero_unique, statut="en_attente", date_sortie=None)
        elif kind == "demande_supprimee":
            day = event.time.date().isoformat()
            self._exit(conn, event.subject, "supprimee", day)
            if row is not None:
                self._set(conn, row.numero_unique, statut="supprimee", date_sortie=day)
        return ()

    def _decision(self, conn: Connection, row: Any, data: Any) -> None:
        if data.decision is SensDecisionDalo.PRIORITAIRE_ET_URGENT:
            # a demand already out (its exit journaled first) is listed as out, never as waiting
            out = conn.execute(select(tables.sorties).where(
                tables.sorties.c.numero_unique == data.numero_unique)).first()
            values = {"numero_recours": data.numero_recours, "date_decision": data.date_decision.isoformat(),
                      "date_limite": data.date_limite_relogement.isoformat() if data.date_limite_relogement
                      else None, "typologie_dalo": data.typologie_dalo.value if data.typologie_dalo else None,
                      "statut": out.statut if out else "en_attente", "date_sortie": out.date_sortie if out else None}
            if row is None:
                conn.execute(insert(tables.menages).values(numero_unique=data.numero_unique, **values))
            else:
                self._set(conn, data.numero_unique, **values)
        elif row is not None and row.numero_recours == data.numero_recours and row.statut == "en_attente":
            # the same appeal decided again otherwise (sans objet: rehoused or withdrawn; rejet on review…)
            self._set(conn, data.numero_unique, statut="sans_objet", date_sortie=data.date_decision.isoformat())

    def _left(self, conn: Connection, row: Any, numero_unique: str, statut: str, day: str) -> None:
        """The demand left (rehoused or radiated): kept for a decision yet to come, and a waiting household out."""
        self._exit(conn, numero_unique, statut, day)
        if row is not None and row.statut == "en_attente":
            self._set(conn, row.numero_unique, statut=statut, date_sortie=day)

    @staticmethod
    def _exit(conn: Connection, numero_unique: str, statut: str, day: str) -> None:
        """The demand's exit in force: a lease stays one (a reactivation undoes only a radiation)."""
        found = conn.execute(select(tables.sorties.c.statut).where(
            tables.sorties.c.numero_unique == numero_unique)).scalar()
        if found is None:
            conn.execute(insert(tables.sorties).values(numero_unique=numero_unique, statut=statut, date_sortie=day))
        elif found != "relogee" or statut == "supprimee":
            conn.execute(update(tables.sorties).where(tables.sorties.c.numero_unique == numero_unique)
                         .values(statut=statut, date_sortie=day))

    @staticmethod
    def _set(conn: Connection, numero_unique: str, **values: Any) -> None:
        conn.execute(update(tables.menages).where(tables.menages.c.numero_unique == numero_unique).values(**values))

    def forget(self, subject: str, conn: Connection) -> None:
        """Retention: a purged demand leaves no row (its numéro unique and appeal number identify a household)."""
        conn.execute(delete(tables.menages).where(tables.menages.c.numero_unique == subject))
        conn.execute(delete(tables.sorties).where(tables.sorties.c.numero_unique == subject))
