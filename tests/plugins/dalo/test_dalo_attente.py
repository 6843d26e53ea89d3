"""The DALO waiting list: who the COMED declared "prioritaire et urgent" and was not rehoused, with the délai de
relogement (the COMED's date, else the decision plus the territory's months), and `relais dalo attente`."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from contracts.enums import MotifRadiation, SensDecisionDalo
from contracts.events import BailSigne, DecisionDalo, DemandeRadiee, DemandeReactivee
from plugins.dalo.attente import add_months, waiting
from plugins.dalo.tables import menages
from tests.plugins.cotation.processor_support import (
    Clock,
    journal,
    make_hub,
    with_sections,
)
from tests.plugins.partners_support import relais_cli

DAY = date(2026, 11, 26)
A, B, C, D = "0630323000201G6301", "0630323000202G6301", "0630323000203G6301", "0630323000204G6301"


def dalo(numero: str, sens=SensDecisionDalo.PRIORITAIRE_ET_URGENT, recours: str | None = None, **extra):
    return DecisionDalo(numero_unique=numero, numero_recours=recours or f"063-2026-{numero[-9:-5]}",
                        date_depot_recours=date(2026, 9, 1), date_decision=DAY, decision=sens, **extra)


def listed(hub, today: date, months: int = 6) -> dict[str, tuple[str, int]]:
    with hub.connectors["dalo_attente"].context.read() as conn:
        return {r.numero_unique: (r.date_limite_relogement, r.jours_restants) for r in waiting(conn, today, months)}


def test_a_household_waits_from_its_decision_until_rehoused_radiated_or_cleared(hub_settings):
    settings = with_sections(hub_settings, dalo_attente={"delai_relogement_mois": 3})
    with make_hub(settings, Clock(DAY), ("dalo",)) as hub:
        journal(hub, dalo(A), dalo(B, date_limite_relogement=date(2027, 1, 15)), dalo(C), dalo(D),
                dalo("0630323000205G6301", SensDecisionDalo.REJET))
        assert listed(hub, date(2026, 12, 1)) == {A: ("2027-05-26", 176), B: ("2027-01-15", 45),
                                                   C: ("2027-05-26", 176), D: ("2027-05-26", 176)}
        journal(hub, BailSigne(numero_unique=A, rpls="0000421337", commune="63430", date_signature=DAY),
                DemandeRadiee(numero_unique=C, date_radiation=DAY, motif=MotifRadiation.RENONCIATION),
                dalo(D, SensDecisionDalo.SANS_OBJET))           # the same appeal, decided again
        assert set(listed(hub, DAY)) == {B}
        journal(hub, DemandeReactivee(numero_unique=C, date_reactivation=DAY))
        assert listed(hub, date(2027, 6, 1)) == {B: ("2027-01-15", -137), C: ("2027-05-26", -6)}
        assert listed(hub, date(2026, 11, 25)) == {}           # decided after that day
        assert hub.connectors["dalo_attente"].settings.delai_relogement_mois == 3


def test_an_exit_journaled_before_the_decision_still_counts_the_household_out(hub_settings):
    """Partners send in any order: the landlord's lease, or a radiation, may be journaled before the COMED's
    decision arrives. The household is then listed as out, not waiting; a radiation undone by a reactivation
    before the decision leaves it waiting; the projection rebuilt from the journal agrees."""
    with make_hub(hub_settings, Clock(DAY), ("dalo",)) as hub:
        journal(hub, BailSigne(numero_unique=A, rpls="0000421337", commune="63430", date_signature=date(2026, 10, 1)),
                DemandeRadiee(numero_unique=B, date_radiation=date(2026, 10, 2), motif=MotifRadiation.RENONCIATION),
                DemandeRadiee(numero_unique=C, date_radiation=date(2026, 10, 3), motif=MotifRadiation.RENONCIATION),
                DemandeReactivee(numero_unique=C, date_reactivation=date(2026, 10, 20)))
        journal(hub, dalo(A), dalo(B), dalo(C), dalo(D))
        assert set(listed(hub, DAY)) == {C, D}
        with hub.connectors["dalo_attente"].context.read() as conn:
            rows = {r.numero_unique: (r.statut, r.date_sortie) for r in conn.execute(select(menages))}
        assert (rows[A], rows[B]) == (("relogee", "2026-10-01"), ("radiee", "2026-10-02"))
        hub.projections.rebuild("dalo_attente", hub.clock)
        assert set(listed(hub, DAY)) == {C, D}


def test_the_projection_rebuilt_from_the_journal_is_the_live_one(hub_settings):
    with make_hub(hub_settings, Clock(DAY), ("dalo",)) as hub:
        journal(hub, dalo(A), dalo(B), BailSigne(numero_unique=B, rpls="0000421337", commune="63430",
                                                 date_signature=DAY))
        live = listed(hub, DAY)
        hub.projections.rebuild("dalo_attente", hub.clock)
        assert listed(hub, DAY) == live == {A: ("2027-05-26", 181)}


def test_six_months_later_is_the_months_last_day_when_it_has_fewer_days():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 26), 6) == date(2027, 5, 26)


def test_relais_dalo_attente_writes_csv_json_or_the_comeds_outbox_and_is_audited(hub_settings):
    with make_hub(hub_settings, Clock(DAY), ("dalo",)) as hub:
        journal(hub, dalo(A))
    as_csv = relais_cli(hub_settings, "dalo", "dalo", "attente", "--au", "2026-12-01")
    assert as_csv.returncode == 0, as_csv.stderr
    header = "numero_unique;numero_recours;date_decision;date_limite_relogement;jours_restants;delai_depasse;"
    assert as_csv.stdout.splitlines() == [header + "typologie_dalo", f"{A};063-2026-0201;2026-11-26;2027-05-26;176;non;"]
    as_json = relais_cli(hub_settings, "dalo", "dalo", "attente", "--au", "2027-06-01", "--format", "json")
    document = json.loads(as_json.stdout)
    assert (document["delai_relogement_mois"], document["menages"][0]["delai_depasse"]) == (6, True)
    daily = relais_cli(hub_settings, "dalo", "--as", "agent", "dalo", "attente", "--au", "2026-12-01", "--outbox")
    assert daily.returncode == 0, daily.stderr
    written = hub_settings.home / "outbox" / "dalo" / "attente-2026-12-01.csv"
    assert daily.stdout.strip() == str(written) and A in written.read_text()
    trail = relais_cli(hub_settings, "dalo", "audit", "--kind", "read")
    assert "operator:agent  dalo attente  outbox dalo" in trail.stdout and A not in trail.stdout
