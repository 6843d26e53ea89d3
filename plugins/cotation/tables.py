"""The cotation processor's projection, in the journal's database.

``cotation_faits``: per demand, what scoring needs and nothing more — the facts read from the CERFA content (dates
of birth for the age criteria, never names, addresses nor incomes), the counts of refusals, visits without
follow-up and unanswered offers, the priority labels, the DALO decisions, and its status (active, radiated…).
It is rebuilt from the journal.

``cotation_scores``: per demand, the last score emitted (its fingerprint and its ``cotation_calculee`` payload).
It is what was *derived*, not an input: a rebuild replays the inputs only, so this table is kept across
``relais projections rebuild`` (see :meth:`CotationProcessor.reset_projection`); only a new projection version
drops it, after which the next computation of each demand emits its score once more.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text

__all__ = ["metadata", "faits", "scores"]

metadata = MetaData()

faits = Table(
    "cotation_faits", metadata,
    Column("numero_unique", String(32), primary_key=True),
    Column("statut", String(20), nullable=False),             # active, radiee, supprimee, inconnue
    Column("faits", Text),                                    # FaitsCotation of the CERFA content (JSON), no counts
    Column("refus", Integer, nullable=False, default=0),
    Column("visites_sans_suite", Integer, nullable=False, default=0),
    Column("non_reponses", Integer, nullable=False, default=0),
    Column("labels", Text, nullable=False, default="[]"),    # JSON list of [nature, emetteur siren]
    Column("dalo", Text, nullable=False, default="{}"),      # JSON {numero_recours: decision}
    Column("entite", Text),                                   # legal entity of the last input (JSON), for timers
    Column("timer", String(200)),                             # key of the pending seniority timer
    Column("demande_recue", Boolean, nullable=False, default=False),
)

scores = Table(
    "cotation_scores", metadata,
    Column("numero_unique", String(32), primary_key=True),
    Column("empreinte", Text, nullable=False),    # grid version, total and points per criterion: what "changed" means
    Column("score", String(20), nullable=False),
    Column("grille_version", String(60), nullable=False),
    Column("date_calcul", String(10), nullable=False),
    Column("payload", Text, nullable=False),      # the cotation_calculee payload emitted (JSON)
)
