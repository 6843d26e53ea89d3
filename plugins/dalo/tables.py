"""The ``dalo_attente`` projection: one row per DALO household (its last "prioritaire et urgent" decision, whether it
was rehoused), and the exit in force of every demand that left (rehoused, radiated, deleted) — so that a decision
journaled after the exit finds the household already out — in the journal's database, rebuilt from the journal.
Nothing nominative: numbers and dates only."""

from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, String, Table

__all__ = ["menages", "metadata", "sorties"]

metadata = MetaData()

menages = Table(
    "dalo_attente_menages", metadata,
    Column("numero_unique", String(32), primary_key=True),
    Column("numero_recours", String(50), nullable=False),
    Column("date_decision", String(10), nullable=False),      # ISO day of the COMED's decision
    Column("date_limite", String(10)),                        # the deadline the COMED gave, if it gave one
    Column("typologie_dalo", String(2)),                      # ListeTypologieLogementDalo code, if given
    Column("statut", String(12), nullable=False),             # en_attente, relogee, radiee, sans_objet, supprimee
    Column("date_sortie", String(10)),                        # when it stopped waiting
    Index("ix_dalo_attente_statut", "statut"),
)

sorties = Table(
    "dalo_attente_sorties", metadata,
    Column("numero_unique", String(32), primary_key=True),
    Column("statut", String(12), nullable=False),             # relogee, radiee, supprimee
    Column("date_sortie", String(10), nullable=False),
)
