"""The ``statistiques`` processor: keeps, per demand and per attribution, the non-nominative facts the territory's
figures are counted from (see :mod:`plugins.statistics.tables`).

Every event goes through :func:`contracts.events.tombstone` first, whether it is live or already a tombstone of a
purged demand: the facts are the same, so the figures of a year do not move when a demand is purged.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from contracts import Envelope
from contracts.enums import TypeHabitatRecherche
from contracts.events import EvenementEfface, tombstone
from hub import ConnectorSettings, ProcessContext, Processor
from plugins.statistics import tables

__all__ = ["Statistiques", "StatistiquesSettings", "bucket", "read_rows", "TYPOLOGIES"]

#: Statistics count rooms with T1 and everything from five rooms as T5+ (seed § 1.1.3).
_BUCKETS = {"C": "T1", "T1": "T1", "T2": "T2", "T3": "T3", "T4": "T4", "T5": "T5+", "T6P": "T5+"}
TYPOLOGIES = ("T1", "T2", "T3", "T4", "T5+")
_HABITAT = {TypeHabitatRecherche.INDIVIDUEL: "individuel", TypeHabitatRecherche.COLLECTIF: "collectif"}

#: A radiation (or its reversal) only writes, whatever the row held: deferred with ``ctx.write``, a batch's radiations
#: reach the database as one executemany (a radiation campaign is thousands of events).
_RADIATION = (tables.demandes.update().where(tables.demandes.c.numero_unique == bindparam("b_nu"))
              .values(date_radiation=bindparam("b_date"), motif_radiation=bindparam("b_motif")))

_DEMAND_CONTENT = ("demande_enregistree.", "demande_modifiee.", "demande_rectifiee.", "demande_renouvelee.")


def bucket(code: str | None) -> str | None:
    return _BUCKETS.get(code) if code else None


def read_rows(conn: Connection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The projection's rows, demands and attributions, in a stable order (what the figures are counted from)."""
    demandes = [dict(r._mapping) for r in conn.execute(select(tables.demandes)
                                                       .order_by(tables.demandes.c.numero_unique))]
    attributions = [dict(r._mapping) for r in conn.execute(select(tables.attributions).order_by(
        tables.attributions.c.numero_unique, tables.attributions.c.commune))]
    return demandes, attributions


class StatistiquesSettings(ConnectorSettings):
    secret_seuil: int = Field(default=5, ge=2, le=100, description="Statistical secrecy: counts of attributions "
                              "from 1 to secret_seuil - 1 are hidden (docs/statistics.md).")
    parc: str | None = Field(default=None, description="The landlords' stock: a CSV file commune;typologie;habitat;"
                             "logements (relais stats --parc overrides it).")


class Statistiques(Processor):
    name = "statistiques"
    version = "0.1.0"
    subscriptions = ("demande_enregistree.*", "demande_modifiee.*", "demande_rectifiee.*", "demande_renouvelee.*",
                     "demande_radiee.*", "demande_reactivee.*", "bail_signe.*", "attribution_reportee.*",
                     "evenement_efface.*")
    settings_model = StatistiquesSettings
    tables = tables.metadata
    projection_version = "2"     # 2: attributions split individuel / collectif

    def rows(self, conn: Connection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return read_rows(conn)

    def process(self, event: Envelope[Any], ctx: ProcessContext):
        facts = tombstone(event)
        kind = facts.type_origine
        if kind.startswith(_DEMAND_CONTENT) and facts.date_enregistrement is not None:
            self._demand(ctx.conn, facts)
        elif kind.startswith("demande_radiee."):
            ctx.write(_RADIATION, {"b_nu": facts.numero_unique, "b_date": facts.date_evenement.isoformat(),
                                   "b_motif": facts.motif_radiation.value if facts.motif_radiation else None})
        elif kind.startswith("demande_reactivee."):
            ctx.write(_RADIATION, {"b_nu": facts.numero_unique, "b_date": None, "b_motif": None})
        elif kind.startswith(("bail_signe.", "attribution_reportee.")) and facts.communes_concernees:
            self._attribution(ctx.conn, facts, kind)
        return ()

    def _update(self, conn: Connection, nu: str, **values: Any) -> None:
        conn.execute(tables.demandes.update().where(tables.demandes.c.numero_unique == nu).values(**values))

    def _demand(self, conn: Connection, f: EvenementEfface) -> None:
        values = {"commune": f.communes_concernees[0] if f.communes_concernees else None,
                  "typologie": bucket(f.typologies[0].value) if f.typologies else None,
                  "habitat": _HABITAT.get(f.type_habitat, "indifferent"),
                  "date_depot": f.date_depot.isoformat() if f.date_depot else None,
                  "date_enregistrement": f.date_enregistrement.isoformat(), "mutation": f.mutation,
                  "taille_menage": f.taille_menage, "tranche_age": f.tranche_age,
                  "tranche_ressources": f.tranche_ressources}
        known = conn.execute(select(tables.demandes.c.numero_unique)
                             .where(tables.demandes.c.numero_unique == f.numero_unique)).first()
        if known is None:
            conn.execute(tables.demandes.insert().values(numero_unique=f.numero_unique, **values))
        else:
            self._update(conn, f.numero_unique, **values)

    def _attribution(self, conn: Connection, f: EvenementEfface, kind: str) -> None:
        commune = f.communes_concernees[0]
        key = (tables.attributions.c.numero_unique == f.numero_unique) & (tables.attributions.c.commune == commune)
        if kind.startswith("bail_signe."):
            values = {"date_bail": f.date_evenement.isoformat(),
                      "date_entree": f.date_entree_dans_les_lieux.isoformat() if f.date_entree_dans_les_lieux
                      else None}
        else:
            values = {"date_attribution": f.date_evenement.isoformat(), "premier_quartile": f.premier_quartile}
            if f.typologies:
                values["typologie"] = bucket(f.typologies[0].value)
        if f.type_habitat in _HABITAT:          # either report may carry the dwelling's kind
            values["habitat"] = _HABITAT[f.type_habitat]
        if f.qpv is not None or kind.startswith("attribution_reportee."):
            values |= {"qpv": f.qpv, "hors_qpv": f.qpv is None}
        elif not conn.execute(select(tables.attributions.c.qpv).where(key)).first():
            values |= {"qpv": None, "hors_qpv": True}
        if conn.execute(select(tables.attributions.c.commune).where(key)).first() is None:
            conn.execute(tables.attributions.insert().values(numero_unique=f.numero_unique, commune=commune,
                                                             **values))
        else:
            conn.execute(tables.attributions.update().where(key).values(**values))
