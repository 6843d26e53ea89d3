"""Retention (CNIL): deleting a radiated demand's personal data, one year after its radiation, from the whole hub.

Why here and not in the journal: the purge crosses every store — the journal's events, the dead letters, every
processor's projection — in **one** transaction, the one that fires the deadline (a processor's timer calls
``ctx.purge(subject)``, see :mod:`hub.core.processing`); the journal's stores only lend their tables.

What a purge does to the demand (``subject`` = its numéro unique):

* each journaled event keeps its row (id, source, legal entity, time: the audit trail of *who did what when*), but
  its payload becomes a non-nominative tombstone, ``evenement_efface.v1`` (:func:`tombstone`): dates, communes,
  typologies, household size, age and resource bands, the facts the territory's statistics are rebuilt from;
* its dead letters go: inbound ones whose raw bytes name the demand, outbound ones of its events;
* every processor forgets it (``Processor.forget``): the dossier deletes its state and history;
* outbox rows are kept: they are references (a seq), and publishing one now carries the tombstone. Deleting them
  would strand the deliveries waiting for them, and with them the ``demande_supprimee`` that tells partners.

Not reachable from here: messages already published on RabbitMQ and not yet consumed (they are consumed within
the retry horizon), and copies partners hold — which is why ``demande_supprimee`` is routed to them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import Connection

from contracts import REGISTRY, Envelope
from contracts.events import EvenementEfface, SurLogement
from hub.core.journal_schema import dead_letters, events
from hub.core.processing import TERRITORY_ZONE, Processor

__all__ = ["purge_in", "tombstone", "PurgeReport", "TOMBSTONE_TYPE"]

log = structlog.get_logger(__name__)

TOMBSTONE_TYPE = EvenementEfface.event_type

#: Fields whose date says when the fact happened, most telling first (an event's own date beats its envelope's).
_DATE_FIELDS = ("date_enregistrement", "date_signature", "date_attribution", "date_radiation", "date_renouvellement",
                "date_reactivation", "date_commission", "date_modification", "date_suppression", "date_envoi")


class PurgeReport(dict):
    """What one purge changed: ``events`` tombstoned, ``dead_letters`` deleted."""


def _age_band(born: date, on: date) -> str:
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return "moins_30" if age < 30 else "30_49" if age < 50 else "50_64" if age < 65 else "65_plus"


def _resources_band(monthly: int) -> str:
    return ("moins_1000" if monthly < 1000 else "1000_1999" if monthly < 2000 else "2000_2999" if monthly < 3000
            else "3000_plus")


def tombstone(event: Envelope[Any]) -> EvenementEfface:
    """The non-nominative facts of one event: enough to count it in statistics, nothing that names a person."""
    data = event.data
    when = next((getattr(data, f) for f in _DATE_FIELDS if isinstance(getattr(data, f, None), date)),
                event.time.astimezone(TERRITORY_ZONE).date())
    facts: dict[str, Any] = {"numero_unique": event.subject or data.subject(), "type_origine": event.type,
                             "date_evenement": when}
    demande = getattr(data, "demande", None)
    if demande is not None:
        people = [demande.demandeur.ressources, *([demande.cotitulaire.ressources] if demande.cotitulaire else []),
                  *[p.ressources for p in demande.personnes_a_charge if p.ressources is not None]]
        facts |= {"communes_concernees": tuple(demande.souhaits.communes),
                  "typologies": tuple(demande.souhaits.typologies), "type_habitat": demande.souhaits.type_habitat,
                  "date_depot": demande.date_depot, "date_enregistrement": demande.date_enregistrement,
                  "mutation": demande.est_mutation(), "taille_menage": min(demande.taille_menage(), 30),
                  "tranche_age": _age_band(demande.demandeur.date_naissance, when),
                  "tranche_ressources": _resources_band(sum(r.total_mensuel() for r in people))}
    if isinstance(data, SurLogement):
        facts["communes_concernees"] = (data.commune,)
        typologie = getattr(data, "typologie", None)
        facts["typologies"] = (typologie,) if typologie is not None else ()
        facts["qpv"] = getattr(data, "qpv", None)
        facts["premier_quartile"] = getattr(data, "premier_quartile", None)
        facts["date_entree_dans_les_lieux"] = getattr(data, "date_entree_dans_les_lieux", None)
    motif = getattr(data, "motif", None)
    if event.type.startswith("demande_radiee."):
        facts["motif_radiation"] = motif
    return EvenementEfface(**facts)


def purge_in(conn: Connection, subject: str, processors: Mapping[str, Processor], now: datetime) -> PurgeReport:
    """Delete the personal data of one demand everywhere in the hub's database, inside the caller's transaction
    (see the module docstring). Idempotent: a second purge finds only tombstones."""
    rows = conn.execute(select(events.c.seq, events.c.type, events.c.body)
                        .where(events.c.subject == subject).order_by(events.c.seq)).all()
    seqs: list[int] = []
    for seq, event_type, body in rows:
        seqs.append(seq)
        if event_type == TOMBSTONE_TYPE:
            continue
        kept = json.loads(body)
        kept.update(type=TOMBSTONE_TYPE, data=tombstone(REGISTRY.parse(body)).model_dump(mode="json"))
        replaced = REGISTRY.parse(kept)   # what the journal keeps must parse as any journaled event does
        conn.execute(update(events).where(events.c.seq == seq)
                     .values(type=TOMBSTONE_TYPE, body=replaced.model_dump_json()))
    needle = subject.encode()
    inbound = [i for i, payload in conn.execute(select(dead_letters.c.id, dead_letters.c.payload)
                                                .where(dead_letters.c.payload.is_not(None)))
               if needle in bytes(payload)]
    outbound = dead_letters.c.event_seq.in_(seqs) if seqs else False
    removed = conn.execute(delete(dead_letters).where(or_(dead_letters.c.id.in_(inbound), outbound))).rowcount
    for name in sorted(processors):
        processors[name].forget(subject, conn)
    report = PurgeReport(events=len(rows), dead_letters=removed)
    log.info("demande_purged", numero_unique=subject, events=len(rows), dead_letters=removed,
             processors=len(processors))
    return report
