"""The listes processor: entries and exits of the three lists, announced as events, on the hub's clock."""

from __future__ import annotations

from datetime import date, timedelta

from contracts.enums import (
    Contingent, CriterePrioriteL441, MotifRadiation, MotifRefus, NatureLabel, SensDecisionDalo, TypeDecisionCal,
)
from contracts.events import (
    BailSigne, ContingentsEligibles, DecisionCal, DecisionDalo, DemandeEnregistree, DemandeRadiee,
    LabelPrioritairePose, RefusDemandeur,
)
from hub.core.processing import check_processor_graph
from plugins.listes import tables
from tests.contracts.contracts_factories import demande_exemple
from tests.plugins.cotation.processor_support import GUICHET, Clock, derived, journal, make_hub, with_sections

DAY = date(2026, 11, 30)
A, B, C = "0630323000201G6301", "0630323000202G6301", "0630323000203G6301"
X, Y = "0000421337", "0000421338"


def registered(numero: str, depot: date = DAY - timedelta(days=30), **priorite) -> DemandeEnregistree:
    demande = demande_exemple()
    demande = demande.model_copy(update={
        "date_depot": depot, "date_enregistrement": depot,
        "priorite": demande.priorite.model_copy(update=priorite)})
    return DemandeEnregistree(numero_unique=numero, demande=demande, date_enregistrement=depot)


def changes(hub) -> list[tuple[str, str, str, str]]:
    """(entree|sortie, liste, numéro, reason or motif) in journal order."""
    out = [("entree", e["liste"], e["numero_unique"], ",".join(e["motifs"]))
           for e in derived(hub, "liste_entree.v1")]
    out += [("sortie", e["liste"], e["numero_unique"], e["motif"]) for e in derived(hub, "liste_sortie.v1")]
    return out


def members(hub, liste: str) -> set[str]:
    with hub.journal.engine.connect() as conn:
        return {r.numero_unique for r in conn.execute(
            tables.membres.select().where(tables.membres.c.liste == liste))}


def rank(numero: str, rpls: str, rang: int | None, day: date = DAY, decision=TypeDecisionCal.ATTRIBUTION_RANG):
    return DecisionCal(numero_unique=numero, rpls=rpls, commune="63430", date_commission=day, decision=decision,
                       rang=rang)


def test_a_dalo_household_enters_the_priority_list_with_its_contingents_and_leaves_when_radiated(hub_settings):
    with make_hub(hub_settings, Clock(DAY), ("listes",)) as hub:
        journal(hub, registered(A))
        assert changes(hub) == []
        journal(hub, DecisionDalo(numero_unique=A, numero_recours="063-2026-007", date_depot_recours=DAY,
                                  date_decision=DAY, decision=SensDecisionDalo.PRIORITAIRE_ET_URGENT))
        [entree] = derived(hub, "liste_entree.v1")
        assert entree["liste"] == "prioritaires" and entree["motifs"] == ["dalo"]
        assert entree["contingents"] == ["PPRIOR"] and entree["date_entree"] == DAY.isoformat()
        assert entree["communes_souhaitees"] == sorted(registered(A).demande.souhaits.communes)
        journal(hub, ContingentsEligibles(numero_unique=A, contingents=(Contingent.ACTION_LOGEMENT,),
                                          date_evaluation=DAY))       # a new statement: no new entry
        with hub.journal.engine.connect() as conn:
            [member] = conn.execute(tables.membres.select()).all()
        assert member.contingents == '["COLACT"]'                       # but the list shows it
        journal(hub, DemandeRadiee(numero_unique=A, date_radiation=DAY, motif=MotifRadiation.RENONCIATION))
        assert changes(hub) == [("entree", "prioritaires", A, "dalo"), ("sortie", "prioritaires", A, "radiation")]


def test_labels_and_declared_criteria_make_a_household_priority(hub_settings):
    with make_hub(hub_settings, Clock(DAY), ("listes",)) as hub:
        journal(hub, registered(A, criteres_l441_1=(CriterePrioriteL441.MENACE_EXPULSION,)),
                registered(B), LabelPrioritairePose(numero_unique=B, nature=NatureLabel.SIAO, emetteur=GUICHET,
                                                    date_decision=DAY, date_fin_validite=DAY + timedelta(days=5)))
        assert sorted(changes(hub)) == [("entree", "prioritaires", A, "l441_1:menace_expulsion"),
                                        ("entree", "prioritaires", B, "label:siao")]
        hub.tick(hub.clock() + timedelta(days=7))      # the label's validity ended on DAY + 5
        assert changes(hub)[-1] == ("sortie", "prioritaires", B, "plus_prioritaire")
        assert members(hub, "prioritaires") == {A}


def test_the_delai_list_by_filing_date_timer_and_suitable_offer(hub_settings):
    clock = Clock(DAY)
    with make_hub(hub_settings, clock, ("listes",)) as hub:
        journal(hub, registered(A, depot=date(2025, 7, 15)),    # 16 months ago: past 15
                registered(B, depot=date(2025, 9, 30)))          # 14 months: reached on 2026-12-30
        assert changes(hub) == [("entree", "delai_depasse", A, "delai:15_mois")]
        [entree] = derived(hub, "liste_entree.v1")
        assert entree["date_entree"] == "2026-10-15"             # the day the threshold was reached
        hub.tick(hub.clock() + timedelta(days=31))
        assert changes(hub)[-1] == ("entree", "delai_depasse", B, "delai:15_mois")
        journal(hub, rank(A, X, 1))                              # ranked first: a suitable offer
        assert changes(hub)[-1] == ("sortie", "delai_depasse", A, "offre_adaptee")
        journal(hub, RefusDemandeur(numero_unique=B, rpls=Y, commune="63430", date_refus=DAY,
                                    motif=MotifRefus.LOYER_CHARGES, offre_adaptee=False))
        assert members(hub, "delai_depasse") == {B}              # a refusal of an unsuitable offer: still waiting


def test_the_threshold_is_configuration(hub_settings):
    settings = with_sections(hub_settings, listes={"delai_anormalement_long_mois": 24})
    with make_hub(settings, Clock(DAY), ("listes",)) as hub:
        journal(hub, registered(A, depot=date(2025, 7, 15)))
        assert changes(hub) == []


def test_poulidor_ranked_second_then_the_dwelling_goes_to_another(hub_settings):
    with make_hub(hub_settings, Clock(DAY), ("listes",)) as hub:
        journal(hub, registered(A), registered(B), registered(C))
        journal(hub, rank(B, X, 2), rank(C, X, 3), rank(A, X, None, decision=TypeDecisionCal.ATTRIBUTION))
        assert changes(hub) == []                                 # the first may still refuse
        journal(hub, BailSigne(numero_unique=A, rpls=X, commune="63430", date_signature=DAY + timedelta(days=1)))
        assert sorted(changes(hub)) == [("entree", "poulidor", B, f"rang:2:{X}"),
                                        ("entree", "poulidor", C, f"rang:3:{X}")]
        journal(hub, BailSigne(numero_unique=B, rpls=Y, commune="63430", date_signature=DAY + timedelta(days=20)))
        assert changes(hub)[-1] == ("sortie", "poulidor", B, "attribution")
        assert members(hub, "poulidor") == {C}


def test_poulidor_whatever_the_order_the_events_arrive_in(hub_settings):
    """The lease of the dwelling journaled before the ranking (another demand's event, no order between them)."""
    with make_hub(hub_settings, Clock(DAY), ("listes",)) as hub:
        journal(hub, registered(A), registered(B))
        journal(hub, BailSigne(numero_unique=A, rpls=X, commune="63430", date_signature=DAY))
        journal(hub, rank(B, X, 2, day=DAY - timedelta(days=10)))
        assert changes(hub) == [("entree", "poulidor", B, f"rang:2:{X}")]
        journal(hub, rank(C, Y, 2, day=DAY + timedelta(days=400)))   # a later ranking on a dwelling let long ago
        journal(hub, BailSigne(numero_unique=A, rpls=Y, commune="63430", date_signature=DAY))
        assert C not in members(hub, "poulidor")


def test_the_processors_form_no_cycle_and_the_score_reaches_the_lists(hub_settings):
    with make_hub(hub_settings, Clock(DAY), ("cotation", "listes")) as hub:
        check_processor_graph(hub.connectors)
        journal(hub, registered(A, prioritaire_dalo=True))
        [score] = derived(hub, "cotation_calculee.v1")
        with hub.journal.engine.connect() as conn:
            row = conn.execute(tables.demandes.select()).one()
    assert float(row.score) == score["score"]


def test_a_rebuild_from_the_journal_gives_the_same_lists(hub_settings):
    with make_hub(hub_settings, Clock(DAY), ("listes",)) as hub:
        journal(hub, registered(A, depot=date(2025, 7, 15)), registered(B), registered(C))
        journal(hub, rank(B, X, 2), LabelPrioritairePose(numero_unique=C, nature=NatureLabel.CIA, emetteur=GUICHET,
                                                         date_decision=DAY))
        journal(hub, BailSigne(numero_unique=A, rpls=X, commune="63430", date_signature=DAY))

        def snapshot():
            with hub.journal.engine.connect() as conn:
                # without the surrogate ids: PostgreSQL does not reset a sequence when rows are deleted
                return {t.name: sorted(tuple(v for k, v in r._mapping.items() if k != "id")
                                       for r in conn.execute(t.select()))
                        for t in tables.metadata.sorted_tables}
        live = snapshot()
        hub.projections.rebuild("listes", hub.clock)
        assert snapshot() == live
        assert members(hub, "poulidor") == {B} and members(hub, "prioritaires") == {C}
