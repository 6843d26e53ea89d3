"""The cotation processor: facts kept from journaled events, a score emitted only when it changes, monthly
seniority and grid versions by timers, radiated demands no longer scored."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.enums import (
    AuteurModification, MotifRadiation, MotifRefus, NatureLabel, SensDecisionDalo, SuiteVisite,
)
from contracts.events import (
    DecisionDalo, DemandeEnregistree, DemandeModifiee, DemandeRadiee, DemandeReactivee, DemandeSupprimee,
    LabelPrioritairePose, RefusDemandeur, VisiteEffectuee,
)
from plugins.cotation import DEFAULT_GRID, FaitsCotation, complete_months, default_grid, faits_depuis_demande, score, tables
from plugins.cotation.processor import next_month_anniversary
from tests.contracts.contracts_factories import NUMERO, RPLS, demande_exemple
from tests.plugins.cotation.processor_support import GUICHET, Clock, derived, journal, make_hub, with_sections

DAY = date(2026, 11, 30)
TYPE = "cotation_calculee.v1"


def registered(numero: str = NUMERO) -> DemandeEnregistree:
    demande = demande_exemple()
    return DemandeEnregistree(numero_unique=numero, demande=demande, date_enregistrement=demande.date_depot)


def expected_total(event: DemandeEnregistree, on: date = DAY, **counts) -> float:
    return float(score(faits_depuis_demande(event, **counts), default_grid(), on).total)


def refus(adaptee: bool | None = True, motif: MotifRefus = MotifRefus.LOYER_CHARGES) -> RefusDemandeur:
    return RefusDemandeur(numero_unique=NUMERO, rpls=RPLS, commune="63430", date_refus=DAY, motif=motif,
                          offre_adaptee=adaptee)


def test_a_registration_is_scored_with_its_breakdown_and_grid(hub_settings):
    clock = Clock(DAY)
    event = registered()
    with make_hub(hub_settings, clock) as hub:
        journal(hub, event)
        [emitted] = derived(hub, TYPE)
    assert emitted["score"] == expected_total(event)
    assert emitted["grille_version"] == "thiers_dore_montagne.v1" and emitted["date_calcul"] == DAY.isoformat()
    assert round(sum(line["points"] for line in emitted["lignes"]), 2) == emitted["score"]


def test_only_a_changed_score_is_emitted(hub_settings):
    clock = Clock(DAY)
    event = registered()
    same = DemandeModifiee(numero_unique=NUMERO, demande=event.demande, champs_modifies=(),
                           auteur=AuteurModification.DEMANDEUR, date_modification=DAY)
    with make_hub(hub_settings, clock) as hub:
        journal(hub, event)
        journal(hub, same, refus(adaptee=None), refus(adaptee=False))   # nothing scored changed
        assert len(derived(hub, TYPE)) == 1
        journal(hub, refus())                                           # a suitable offer refused: -2
        journal(hub, refus(motif=MotifRefus.SANS_REPONSE))              # unanswered: -2
        journal(hub, VisiteEffectuee(numero_unique=NUMERO, rpls=RPLS, commune="63430", date_visite=DAY,
                                     suite=SuiteVisite.ABSENT))         # did not turn up: -2
        scores = [e["score"] for e in derived(hub, TYPE)]
    first = expected_total(event)
    assert scores == [first, first - 2, first - 4, first - 6]


def test_dalo_from_a_label_or_a_comed_decision(hub_settings):
    clock = Clock(DAY)
    event = registered()
    base = expected_total(event)
    decision = DecisionDalo(numero_unique=NUMERO, numero_recours="063-2026-001", date_depot_recours=DAY,
                            date_decision=DAY, decision=SensDecisionDalo.PRIORITAIRE_ET_URGENT)
    with make_hub(hub_settings, clock) as hub:
        journal(hub, event)
        journal(hub, decision)
        journal(hub, LabelPrioritairePose(numero_unique=NUMERO, nature=NatureLabel.DALO, emetteur=GUICHET,
                                          date_decision=DAY))          # DALO already counted: no change
        journal(hub, decision.model_copy(update={"decision": SensDecisionDalo.SANS_OBJET}))   # the label stays
        scores = [e["score"] for e in derived(hub, TYPE)]
    assert scores == [base, base + 50]


def test_a_radiated_demand_is_no_longer_scored_and_a_reactivated_one_again(hub_settings):
    clock = Clock(DAY)
    event = registered()
    with make_hub(hub_settings, clock) as hub:
        journal(hub, event)
        journal(hub, DemandeRadiee(numero_unique=NUMERO, date_radiation=DAY, motif=MotifRadiation.RENONCIATION))
        journal(hub, refus())
        assert len(derived(hub, TYPE)) == 1
        assert [t for t in hub.timers.listing(processor="cotation", status="pending")] == []   # its seniority timer was cancelled
        journal(hub, DemandeReactivee(numero_unique=NUMERO, date_reactivation=DAY))
        assert [e["score"] for e in derived(hub, TYPE)] == [expected_total(event), expected_total(event) - 2]
        assert len(hub.timers.listing(processor="cotation", status="pending")) == 1
        journal(hub, DemandeSupprimee(numero_unique=NUMERO, date_suppression=DAY, motif="conservation_echue"))

        with hub.journal.engine.connect() as conn:
            row = conn.execute(tables.faits.select()).one()
        assert row.statut == "supprimee" and row.faits is None       # nothing nominative kept once purged


def test_seniority_is_recomputed_monthly_by_a_timer(hub_settings):
    clock = Clock(DAY)
    event = registered()
    depot = event.demande.date_depot
    with make_hub(hub_settings, clock) as hub:
        journal(hub, event)
        [timer] = hub.timers.listing(processor="cotation", status="pending")
        due = next_month_anniversary(depot, DAY)
        assert timer["key"] == f"anciennete:{NUMERO}:{due.isoformat()}"
        hub.tick(hub.clock() + timedelta(days=40))
        scores = [e["score"] for e in derived(hub, TYPE)]
        assert scores == [expected_total(event), expected_total(event, on=due)]
        assert Decimal(str(scores[1])) - Decimal(str(scores[0])) == Decimal("0.4")
        [pending] = hub.timers.listing(processor="cotation", status="pending")
        assert pending["key"] == f"anciennete:{NUMERO}:{next_month_anniversary(depot, due).isoformat()}"


@pytest.mark.parametrize(("depot", "after", "expected"), [
    (date(2026, 1, 31), date(2026, 2, 10), date(2026, 2, 28)),
    (date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)),
    (date(2026, 1, 15), date(2026, 1, 15), date(2026, 2, 15)),
    (date(2026, 1, 15), date(2026, 1, 10), date(2026, 2, 15)),   # filed after the day asked
    (date(2025, 12, 20), date(2026, 12, 25), date(2027, 1, 20)),
])
def test_next_month_anniversary(depot, after, expected):
    assert next_month_anniversary(depot, after) == expected


def test_the_timer_falls_on_the_first_day_seniority_grows():
    """Against the engine's own month count, day by day over four years of filing days."""
    for depot in (date(2024, 1, 1) + timedelta(days=n) for n in range(0, 1461, 7)):
        for after in (depot + timedelta(days=n) for n in (0, 1, 27, 30, 31, 59, 400)):
            due = next_month_anniversary(depot, after)
            assert complete_months(depot, due) == complete_months(depot, after) + 1
            assert complete_months(depot, due - timedelta(days=1)) == complete_months(depot, after)


def grid_v2(tmp_path: Path, effective: date) -> Path:
    """The bundled grid, version v2 from ``effective``, with DALO worth 60 instead of 50."""
    text = DEFAULT_GRID.read_text(encoding="utf-8").replace('version = "v1"', 'version = "v2"').replace(
        "effective_from = 2023-01-01", f"effective_from = {effective.isoformat()}")
    head, _, tail = text.partition('id = "dalo"')
    points_at = tail.index("points = 50")
    path = tmp_path / "v2.toml"
    path.write_text(head + 'id = "dalo"' + tail[:points_at] + "points = 60" + tail[points_at + 11:],
                    encoding="utf-8")
    return path


def test_a_new_grid_version_recomputes_every_open_demand_at_its_effective_date(hub_settings, tmp_path):
    clock = Clock(DAY)
    effective = DAY + timedelta(days=10)
    settings = with_sections(hub_settings, cotation={"grids": [str(DEFAULT_GRID), str(grid_v2(tmp_path, effective))]})
    dalo = registered("0630323000124G6301")
    dalo = dalo.model_copy(update={"demande": dalo.demande.model_copy(update={
        "priorite": dalo.demande.priorite.model_copy(update={"prioritaire_dalo": True})})})
    with make_hub(settings, clock) as hub:
        journal(hub, registered(), dalo)
        radiated = registered("0630323000125G6301")
        journal(hub, radiated, DemandeRadiee(numero_unique=radiated.numero_unique, date_radiation=DAY,
                                             motif=MotifRadiation.RENONCIATION))
        assert len(derived(hub, TYPE)) == 3
        hub.tick(hub.clock().replace(day=DAY.day) + timedelta(days=10))
        later = derived(hub, TYPE)[3:]
    # both open demands are recomputed under v2 (a new version is a change); the radiated one is not
    assert sorted(e["numero_unique"] for e in later) == [NUMERO, dalo.numero_unique]
    assert {e["grille_version"] for e in later} == {"thiers_dore_montagne.v2"}
    by_number = {e["numero_unique"]: e for e in later}
    dalo_line = [l for l in by_number[dalo.numero_unique]["lignes"] if l["critere"] == "dalo"]
    assert dalo_line[0]["points"] == 60


def test_a_rebuild_replays_the_facts_and_keeps_the_scores_emitted(hub_settings):
    clock = Clock(DAY)
    with make_hub(hub_settings, clock) as hub:
        journal(hub, registered(), refus())
        with hub.journal.engine.connect() as conn:
            facts = [dict(r._mapping) for r in conn.execute(tables.faits.select())]
            scores = [tuple(r) for r in conn.execute(tables.scores.select())]
        hub.projections.rebuild("cotation", hub.clock)
        with hub.journal.engine.connect() as conn:
            rebuilt = [dict(r._mapping) for r in conn.execute(tables.faits.select())]
            kept = [tuple(r) for r in conn.execute(tables.scores.select())]
        journal(hub, refus(adaptee=False))                     # nothing changed: nothing emitted after the rebuild
        assert len(derived(hub, TYPE)) == 2
    assert kept == scores
    for live, replayed in zip(facts, rebuilt, strict=True):
        assert FaitsCotation.model_validate_json(live.pop("faits")) == \
            FaitsCotation.model_validate_json(replayed.pop("faits"))
        live.pop("timer"), replayed.pop("timer")               # timers are set live only (a rebuild sets none)
        assert live == replayed
