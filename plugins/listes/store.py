"""Reading and writing the lists' projection: a demand's facts as :class:`EtatDemande`, its rankings, the dwellings'
outcomes, the lists' members. Only the processor writes; ``relais listes export`` reads (:mod:`plugins.listes.export`).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from plugins.listes import tables
from plugins.listes.rules import EtatDemande, Issue, Rang

__all__ = ["load", "save", "rangs_of", "issues_for", "ranked_on", "set_members"]


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


# Built once: a processor handles millions of events, and building a statement costs more than running it.
_LOAD = select(tables.demandes).where(tables.demandes.c.numero_unique == bindparam("nu"))
_UPDATE = tables.demandes.update().where(tables.demandes.c.numero_unique == bindparam("nu"))


def load(conn: Connection, numero_unique: str) -> tuple[EtatDemande, dict[str, Any]] | None:
    """The demand's facts, and the extra columns (communes, typologies, score, its lists now) kept beside them."""
    row = conn.execute(_LOAD, {"nu": numero_unique}).first()
    if row is None:
        return None
    etat = EtatDemande(
        numero_unique=row.numero_unique, statut=row.statut, date_depot=_day(row.date_depot),
        criteres=tuple(json.loads(row.criteres)), dalo_declare=row.dalo_declare,
        labels=tuple((n, s, _day(f)) for n, s, f in json.loads(row.labels)), dalo=json.loads(row.dalo),
        contingents=tuple(json.loads(row.contingents)) if row.contingents is not None else None,
        offre_adaptee=_day(row.offre_adaptee), attribue=row.attribue)
    extra = {"communes": json.loads(row.communes), "typologies": json.loads(row.typologies), "score": row.score,
             "grille_version": row.grille_version, "rangs": row.rangs, "membres": json.loads(row.membres)}
    return etat, extra


def save(conn: Connection, etat: EtatDemande, extra: dict[str, Any], existed: bool) -> None:
    values = {
        "statut": etat.statut, "date_depot": etat.date_depot.isoformat() if etat.date_depot else None,
        "criteres": json.dumps(list(etat.criteres)), "dalo_declare": etat.dalo_declare,
        "labels": json.dumps([[n, s, f.isoformat() if f else None] for n, s, f in etat.labels]),
        "dalo": json.dumps(etat.dalo, sort_keys=True),
        "contingents": json.dumps(list(etat.contingents)) if etat.contingents is not None else None,
        "offre_adaptee": etat.offre_adaptee.isoformat() if etat.offre_adaptee else None, "attribue": etat.attribue,
        "communes": json.dumps(extra["communes"]), "typologies": json.dumps(extra["typologies"]),
        "score": extra["score"], "grille_version": extra["grille_version"], "rangs": extra["rangs"],
        "membres": json.dumps(extra["membres"], sort_keys=True)}
    if existed:
        conn.execute(_UPDATE, {"nu": etat.numero_unique, **values})
    else:
        conn.execute(tables.demandes.insert(), {"numero_unique": etat.numero_unique, **values})


def rangs_of(conn: Connection, numero_unique: str) -> list[Rang]:
    t = tables.classements
    return [Rang(date.fromisoformat(r.date_commission), r.rpls, r.commune, r.rang)
            for r in conn.execute(select(t).where(t.c.numero_unique == numero_unique).order_by(t.c.id))]


def issues_for(conn: Connection, rpls: list[str]) -> list[Issue]:
    if not rpls:
        return []
    t = tables.logements
    return [Issue(r.rpls, r.numero_unique, date.fromisoformat(r.date))
            for r in conn.execute(select(t).where(t.c.rpls.in_(sorted(set(rpls)))))]


def ranked_on(conn: Connection, rpls: str) -> list[str]:
    """The households ranked 2nd or later on a dwelling (they may become Poulidor when it goes to another)."""
    t = tables.classements
    return sorted({nu for (nu,) in conn.execute(select(t.c.numero_unique).where(t.c.rpls == rpls, t.c.rang >= 2))})


def set_members(conn: Connection, numero_unique: str, liste: str, member: dict[str, Any] | None,
                existed: bool) -> None:
    t = tables.membres
    where = (t.c.liste == liste, t.c.numero_unique == numero_unique)
    if member is None:
        conn.execute(t.delete().where(*where))
        return
    values = {"depuis": member["depuis"], "motifs": json.dumps(member["motifs"]),
              "contingents": json.dumps(member.get("contingents", []))}
    if existed:
        conn.execute(t.update().where(*where).values(**values))
    else:
        conn.execute(t.insert().values(liste=liste, numero_unique=numero_unique, **values))
