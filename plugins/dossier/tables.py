"""The dossier's projection tables, in the journal's database (owned by the ``dossier`` processor).

Times are stored as ISO 8601 text with their offset: the projection is rebuilt from the journal, never migrated, and
text reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

__all__ = ["metadata", "demandes", "historique"]

metadata = MetaData()

#: One row per demand: its current state as a JSON document (see ``plugins.dossier.state``).
demandes = Table(
    "dossier_demandes", metadata,
    Column("numero_unique", String(32), primary_key=True),
    Column("statut", String(20), nullable=False),
    Column("etat", Text, nullable=False),
    Column("derniere_modification", String(40), nullable=False),
)

#: One row per event of a demand, in journal order: what changed, when, by which legal entity.
historique = Table(
    "dossier_historique", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("numero_unique", String(32), nullable=False),
    Column("event_id", String(128), nullable=False, unique=True),
    Column("type", String(100), nullable=False),
    Column("time", String(40), nullable=False),
    Column("entity_siren", String(9), nullable=False),
    Column("entity_nom", String(200), nullable=False),
    Column("source", String(200), nullable=False),
    Column("changements", Text, nullable=False),      # JSON list of {champ, avant, apres}, or of key facts
    Index("ix_dossier_historique_demande", "numero_unique", "id"),
)
