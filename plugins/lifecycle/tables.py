"""The ``echeances`` processor's projection: each demand's clock, and the daily list of renewal notices due.

Nothing nominative: numéro unique, dates, status, the e-mail consent and the pending warning. Dates are ISO text
(rebuilt from the journal, never migrated; reads the same on SQLite and PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table

__all__ = ["metadata", "demandes", "avis", "listes"]

metadata = MetaData()

#: One row per demand: where it stands and its next deadlines.
demandes = Table(
    "echeances_demandes", metadata,
    Column("numero_unique", String(32), primary_key=True),
    Column("statut", String(12), nullable=False),              # active | radiee | supprimee
    Column("date_depot", String(10)),
    Column("date_enregistrement", String(10)),
    Column("delai_enregistrement_jours", Integer),             # from filing to registration
    Column("enregistrement_tardif", Boolean, nullable=False),  # registered past the desks' deadline
    Column("date_reference", String(10)),                      # registration or last renewal: the year starts there
    Column("courriel", Boolean, nullable=False),               # accepted e-mail notification
    Column("date_avis", String(10)),                           # the renewal notice is due by then
    Column("date_anniversaire", String(10)),
    Column("date_radiation_prevue", String(10)),
    Column("mise_en_demeure_motif", String(20)),               # a warning pending: absence_reponse | irrecevabilite
    Column("mise_en_demeure_date", String(10)),
    Column("date_radiation", String(10)),
    Column("motif_radiation", String(30)),
    Column("reactivable_jusqu_au", String(10)),
    Column("suppression_prevue", String(10)),
)

#: One row per renewal notice due: what the system of record (fichier partagé or GIP SNE) must send, by day.
avis = Table(
    "echeances_avis", metadata,
    Column("numero_unique", String(32), primary_key=True),
    Column("date_anniversaire", String(10), primary_key=True),
    Column("jour", String(10), nullable=False),                # the day the notice falls due
    Column("canal", String(20), nullable=False),
    Column("date_radiation_prevue", String(10), nullable=False),
    Column("liste", String(10)),                               # the day of the hub's list it goes on; NULL: on none
    #                                                            (a partner's notice, or one from before the lists)
    Index("ix_echeances_avis_jour", "jour"),
    Index("ix_echeances_avis_liste", "liste"),
)

#: One row per daily list of notices sent (``avis_renouvellement_liste``): a day has one list.
listes = Table(
    "echeances_listes", metadata,
    Column("jour", String(10), primary_key=True),
    Column("nombre", Integer, nullable=False),
)
