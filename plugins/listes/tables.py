"""The lists' projection, in the journal's database (owned by the ``listes`` processor, rebuilt from the journal).

Nothing nominative: per demand its status, filing date, wished communes and typologies (the territory filter), the
priority facts (criteria, labels, DALO decisions, contingents), whether it received a suitable offer or a dwelling,
and its last score; the CAL rankings, refusals and dwelling outcomes the Poulidor list is made of; the members of
each list. Dates are ISO text (the projection is rebuilt, never migrated).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text

__all__ = ["metadata", "demandes", "membres", "classements", "refus", "logements"]

metadata = MetaData()

demandes = Table(
    "listes_demandes", metadata,
    Column("numero_unique", String(32), primary_key=True),
    Column("statut", String(20), nullable=False),            # active, radiee, supprimee, inconnue
    Column("date_depot", String(10)),
    Column("communes", Text, nullable=False, default="[]"),   # wished communes (INSEE), JSON
    Column("typologies", Text, nullable=False, default="[]"),
    Column("criteres", Text, nullable=False, default="[]"),   # CCH L441-1 criteria declared, JSON
    Column("dalo_declare", Boolean, nullable=False, default=False),
    Column("labels", Text, nullable=False, default="[]"),     # [[nature, emetteur siren, fin de validité|null]]
    Column("dalo", Text, nullable=False, default="{}"),       # {numero_recours: decision}
    Column("contingents", Text),                              # last contingents_eligibles statement, JSON; null: none
    Column("offre_adaptee", String(10)),                      # day of the first suitable offer
    Column("attribue", Boolean, nullable=False, default=False),   # the household got a dwelling (lease, report)
    Column("score", String(20)),
    Column("grille_version", String(60)),
    Column("rangs", Integer, nullable=False, default=0),      # rankings of rank 2 or more (0: no Poulidor lookup)
    Column("membres", Text, nullable=False, default="{}"),    # its lists now: {liste: {depuis, motifs, contingents}}
)

#: The lists' members, for the exports (a copy of each demand's ``membres``, written only when membership changes).
membres = Table(
    "listes_membres", metadata,
    Column("liste", String(20), primary_key=True),
    Column("numero_unique", String(32), primary_key=True),
    Column("depuis", String(10), nullable=False),
    Column("motifs", Text, nullable=False),                   # JSON list of reason codes (see contracts.events.listes)
    Column("contingents", Text, nullable=False, default="[]"),
)

classements = Table(
    "listes_classements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("numero_unique", String(32), nullable=False),
    Column("date_commission", String(10), nullable=False),
    Column("rpls", String(20), nullable=False),
    Column("commune", String(5), nullable=False),
    Column("rang", Integer, nullable=False),
    Index("ix_listes_classements_demande", "numero_unique"),
    Index("ix_listes_classements_rpls", "rpls"),
)

refus = Table(
    "listes_refus", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("numero_unique", String(32), nullable=False),
    Column("date_refus", String(10), nullable=False),
    Column("rpls", String(20), nullable=False),
    Column("commune", String(5), nullable=False),
    Column("motif", String(40), nullable=False),
    Index("ix_listes_refus_demande", "numero_unique"),
)

#: Who got each dwelling (a signed lease or an attribution report), and when: a ranked household "did not get the
#: dwelling" once it went to another one on or after the commission.
logements = Table(
    "listes_logements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rpls", String(20), nullable=False),
    Column("numero_unique", String(32), nullable=False),
    Column("date", String(10), nullable=False),
    Index("ix_listes_logements_rpls", "rpls"),
)
