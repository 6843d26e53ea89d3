"""The ``statistiques`` processor's projection: one row per demand and one per attribution, non-nominative.

Why rows and not counters: the figures are asked for any year N (pending at 31 December N-1, attributions in N-1),
so the projection keeps each demand's dates and categories and the figures are counted at request time. The rows
are built from :func:`contracts.events.tombstone` — the same facts a purge leaves — so a purge changes no figure.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table

__all__ = ["metadata", "demandes", "attributions"]

metadata = MetaData()

demandes = Table(
    "statistiques_demandes", metadata,
    Column("numero_unique", String(32), primary_key=True),
    Column("commune", String(5)),              # first wished commune
    Column("typologie", String(3)),            # T1 (rooms included), T2, T3, T4, T5+ — first wished
    Column("habitat", String(12)),             # individuel | collectif | indifferent
    Column("date_depot", String(10)),
    Column("date_enregistrement", String(10)),
    Column("date_radiation", String(10)),      # latest radiation still in force (a reactivation clears it)
    Column("motif_radiation", String(30)),
    Column("mutation", Boolean),
    Column("taille_menage", Integer),
    Column("tranche_age", String(10)),
    Column("tranche_ressources", String(12)),
)

attributions = Table(
    "statistiques_attributions", metadata,
    Column("numero_unique", String(32), primary_key=True),
    Column("commune", String(5), primary_key=True),   # the dwelling's
    Column("date_attribution", String(10)),    # the landlord's report
    Column("date_bail", String(10)),           # the lease signed: what makes it count in a year
    Column("date_entree", String(10)),
    Column("typologie", String(3)),
    Column("habitat", String(12)),             # individuel | collectif (the dwelling's, RPLS); NULL: not reported
    Column("qpv", String(8)),
    Column("hors_qpv", Boolean),
    Column("premier_quartile", Boolean),
)
