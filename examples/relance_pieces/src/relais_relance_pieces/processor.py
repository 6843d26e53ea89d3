"""``relance_pieces``: when a desk or a landlord asks for a document (``piece_demandee``) and the applicant has not
deposited it (``piece_deposee``) within ``delai_jours``, the request is made again — a derived ``piece_demandee``
that every partner receives like the first.

What it shows of the processor API: a projection kept through ``ctx.conn``; a timer per request, moved or cancelled
as events come; ``on_timer`` deriving an event; ``applied`` recording the processor's own decision so that a
rebuild from the journal gives the same projection.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from contracts import Envelope
from contracts.events import PieceDemandee
from hub import ConnectorSettings, ProcessContext, Processor, Timer
from relais_relance_pieces.tables import attente, metadata


class RelanceSettings(ConnectorSettings):
    delai_jours: int = 15            # days the applicant has before the reminder


def _key(numero_unique: str, type_piece: str) -> str:
    return f"{numero_unique}:{type_piece}"


class RelancePieces(Processor):
    name = "relance_pieces"
    version = "0.1.0"
    subscriptions = ("piece_demandee.*", "piece_deposee.*")
    emits = ("piece_demandee.*",)
    settings_model = RelanceSettings
    tables = metadata

    def process(self, event: Envelope[Any], ctx: ProcessContext):
        data = event.data
        where = (attente.c.numero_unique == data.numero_unique) & (attente.c.type_piece == data.type_piece.value)
        ctx.conn.execute(attente.delete().where(where))
        if event.type.startswith("piece_deposee"):
            ctx.cancel(_key(data.numero_unique, data.type_piece.value))
            return ()
        ctx.conn.execute(attente.insert().values(numero_unique=data.numero_unique, type_piece=data.type_piece.value,
                                                 date_demande=data.date_demande.isoformat(), relances=0))
        ctx.schedule(_key(data.numero_unique, data.type_piece.value),
                     data.date_demande + timedelta(days=self.settings.delai_jours),
                     {"personne": data.personne.value})
        return ()

    def on_timer(self, timer: Timer, ctx: ProcessContext):
        numero_unique, type_piece = timer.key.split(":", 1)
        day = timer.due_at.date()
        return [PieceDemandee(numero_unique=numero_unique, type_piece=type_piece, personne=timer.payload["personne"],
                              date_demande=day, date_limite=day + timedelta(days=self.settings.delai_jours))]

    def applied(self, event: Envelope[Any], ctx: ProcessContext) -> None:
        data = event.data
        row = ctx.conn.execute(select(attente.c.relances).where(
            (attente.c.numero_unique == data.numero_unique) & (attente.c.type_piece == data.type_piece.value))).first()
        if row is not None:
            ctx.conn.execute(attente.update().where(
                (attente.c.numero_unique == data.numero_unique) & (attente.c.type_piece == data.type_piece.value))
                .values(relances=row.relances + 1))
