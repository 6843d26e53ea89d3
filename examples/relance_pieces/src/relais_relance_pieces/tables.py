"""The processor's projection: the documents asked for and not yet received (its tables carry its name)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()

attente = Table(
    "relance_pieces_attente", metadata,
    Column("numero_unique", String(32), primary_key=True),
    Column("type_piece", String(40), primary_key=True),
    Column("date_demande", String(10), nullable=False),
    Column("relances", Integer, nullable=False),
)
