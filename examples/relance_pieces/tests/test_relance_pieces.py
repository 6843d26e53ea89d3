"""The example processor in a whole in-process hub (the ``relais_hub`` fixture of Relais's pytest plugin), with its
clock fixed: tests never depend on the day they run."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from contracts.events import PieceDemandee, PieceDeposee
from hub.testing import make_event
from relais_relance_pieces.processor import RelancePieces
from relais_relance_pieces.tables import attente

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=timezone.utc)
NU = "06311250000001GT63"


def _asked(day: date, nu: str = NU):
    return make_event(PieceDemandee(numero_unique=nu, type_piece="avis_imposition", date_demande=day),
                      source="guichets")


def _deposited(day: date):
    return make_event(PieceDeposee(numero_unique=NU, piece_id="P-1", type_piece="avis_imposition", date_depot=day,
                                   deposant="demandeur"), source="guichets")


def _hub(relais_hub):
    return relais_hub(RelancePieces, connectors={"relance_pieces": {"delai_jours": 15}}, clock=lambda: NOW)


def _waiting(relais):
    with relais.read() as conn:
        return [tuple(r) for r in conn.execute(select(attente))]


def test_a_document_still_missing_after_the_delay_is_asked_for_again_once(relais_hub):
    relais = _hub(relais_hub)
    relais.emit(_asked(date(2027, 3, 1)))
    relais.run_once()
    assert _waiting(relais) == [(NU, "avis_imposition", "2027-03-01", 0)]
    assert relais.tick(datetime(2027, 3, 15, 12, tzinfo=timezone.utc)).timers_fired == 0
    assert relais.tick(datetime(2027, 3, 16, 23, tzinfo=timezone.utc)).timers_fired == 1
    assert relais.tick(datetime(2027, 4, 30, tzinfo=timezone.utc)).timers_fired == 0   # once
    [reminder] = relais.events(source="relance_pieces")
    assert reminder.type == "piece_demandee.v1" and reminder.subject == NU
    assert (reminder.data.date_demande, reminder.data.date_limite) == (date(2027, 3, 16), date(2027, 3, 31))
    assert _waiting(relais) == [(NU, "avis_imposition", "2027-03-01", 1)]


def test_a_document_deposited_in_time_cancels_the_reminder(relais_hub):
    relais = _hub(relais_hub)
    relais.emit(_asked(date(2027, 3, 1)))
    relais.run_once()
    relais.emit(_deposited(date(2027, 3, 10)))
    relais.run_once()
    assert relais.tick(datetime(2027, 6, 1, tzinfo=timezone.utc)).timers_fired == 0
    assert relais.events(source="relance_pieces") == [] and _waiting(relais) == []


def test_the_projection_rebuilt_from_the_journal_is_the_same(relais_hub):
    relais = _hub(relais_hub)
    relais.emit(_asked(date(2027, 3, 1)), _asked(date(2027, 3, 2), nu="06310250000087GT63"))
    relais.run_once()
    relais.tick(datetime(2027, 3, 16, 23, tzinfo=timezone.utc))
    live = _waiting(relais)
    relais.hub.projections.rebuild("relance_pieces", relais.hub.clock)
    assert _waiting(relais) == live and sorted(r[3] for r in live) == [0, 1]
