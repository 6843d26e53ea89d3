"""Scores computed by hand from the seed's table (PPGID Thiers Dore et Montagne, §1.1.7), each with its arithmetic.

Every case passes the computation day: nothing depends on today's date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.enums import MotifDemande as M
from contracts.enums import NatureLabel, SecteurEmploi, StatutProfessionnel
from contracts.enums import SituationLogementActuel as S
from contracts.events import CotationCalculee, DemandeEnregistree
from plugins.cotation import FaitsCotation, complete_months, default_grid, faits_depuis_demande, score
from tests.contracts.contracts_factories import NUMERO, demande_exemple

ON = date(2026, 12, 1)
GRID = default_grid()


def points(facts: FaitsCotation, on: date = ON) -> dict[str, Decimal]:
    """criterion id → points, checking on the way that the lines sum to the total."""
    result = score(facts, GRID, on)
    assert sum(line.points for line in result.lignes) == result.total
    return {line.critere: line.points for line in result.lignes}


def total(facts: FaitsCotation, on: date = ON) -> Decimal:
    return score(facts, GRID, on).total


# --- fixed criteria and the coefficient ------------------------------------------------------------------------

def test_fixed_points_of_the_three_blocks():
    # à l'hôtel 30 + DALO 50 + violences 30 + ancienneté 0 (filed today) = 110
    facts = FaitsCotation(situation_logement=S.HOTEL, prioritaire_dalo=True, motifs={M.VIOLENCES_FAMILIALES},
                          date_depot=ON)
    assert points(facts) == {"hotel": 30, "dalo": 50, "violences_victimes": 30, "anciennete": 0}
    assert total(facts) == 110


def test_the_first_quartile_coefficient_multiplies_the_fixed_points():
    # (30 + 50 + 30) = 110 points of situation; × 130 % → + 0,30 × 110 = + 33; total 143
    facts = FaitsCotation(situation_logement=S.HOTEL, prioritaire_dalo=True, motifs={M.VIOLENCES_FAMILIALES},
                          date_depot=ON, premier_quartile=True)
    assert points(facts)["premier_quartile"] == 33
    assert total(facts) == 143


def test_the_coefficient_leaves_seniority_and_refusals_alone():
    # locataire privé 15 → × 130 % adds 4,5 (not 0,30 × the whole score);
    # filed 1 June 2026, computed 1 December 2026: 6 complete months × 0,4 = 2,4; 2 refusals × −2 = −4
    # total = 15 + 4,5 + 2,4 − 4 = 17,9   (were the coefficient on the total: (15 + 2,4 − 4) × 1,3 = 17,42)
    facts = FaitsCotation(situation_logement=S.LOCATAIRE_PRIVE, premier_quartile=True, date_depot=date(2026, 6, 1),
                          refus=2)
    assert points(facts) == {"locataire_prive": 15, "premier_quartile": Decimal("4.5"), "anciennete": Decimal("2.4"),
                             "refus_offre_adaptee": -4}
    assert total(facts) == Decimal("17.9")


def test_the_coefficient_rounds_to_the_hundredth_half_up():
    # logement de fonction 10 + fonctionnaire 10 + handicap 10 + trop petit 10 = 40 … × 0,30 = 12 (exact);
    # a local weight makes it inexact: a grid with coefficient 1.333 → 40 × 0,333 = 13,32 exactly;
    # with 1.3333: 40 × 0,3333 = 13,332 → 13,33
    facts = FaitsCotation(situation_logement=S.LOGEMENT_FONCTION, secteurs={SecteurEmploi.FONCTION_PUBLIQUE},
                          handicap=True, motifs={M.TROP_PETIT}, premier_quartile=True)
    assert points(facts)["premier_quartile"] == 12
    criteria = tuple(c.model_copy(update={"coefficient": Decimal("1.3333")}) if c.kind == "coefficient" else c
                     for c in GRID.criteria)
    result = score(facts, GRID.model_copy(update={"criterion": criteria}), ON)
    assert {line.critere: line.points for line in result.lignes}["premier_quartile"] == Decimal("13.33")
    assert result.total == Decimal("53.33")


def test_no_coefficient_outside_the_first_quartile():
    facts = FaitsCotation(situation_logement=S.HOTEL, date_depot=ON)
    assert "premier_quartile" not in points(facts) and total(facts) == 30


# --- seniority --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("filed", "on", "months"), [
    (date(2026, 1, 31), date(2026, 2, 27), 0),    # February has no 31st: the month completes on its last day…
    (date(2026, 1, 31), date(2026, 2, 28), 1),    # …the 28th
    (date(2026, 1, 31), date(2026, 3, 30), 1),    # March has a 31st: not yet two months
    (date(2026, 1, 31), date(2026, 3, 31), 2),
    (date(2028, 1, 31), date(2028, 2, 28), 0),    # leap year: February ends on the 29th
    (date(2028, 1, 31), date(2028, 2, 29), 1),
    (date(2024, 11, 15), date(2026, 12, 1), 24),  # 15 Nov 2026 is the 24th month; 15 Dec not reached
    (date(2025, 12, 1), date(2026, 12, 1), 12),
    (date(2026, 12, 2), date(2026, 12, 1), 0),    # filed after the computation day: no negative seniority
])
def test_complete_months(filed, on, months):
    assert complete_months(filed, on) == months


def test_seniority_across_months_filed_on_31_january():
    # locataire HLM 15; filed 31 January 2026: on 27 February 0 month → 15; on 28 February 1 × 0,4 → 15,4;
    # on 31 March 2 × 0,4 → 15,8; on 1 December 2026, 10 months → 15 + 4 = 19
    facts = FaitsCotation(situation_logement=S.LOCATAIRE_HLM, date_depot=date(2026, 1, 31))
    assert [total(facts, day) for day in (date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 31), ON)] == [
        15, Decimal("15.4"), Decimal("15.8"), 19]


def test_seniority_is_shown_even_unknown():
    result = score(FaitsCotation(situation_logement=S.LOCATAIRE_HLM), GRID, ON)
    [line] = [line for line in result.lignes if line.critere == "anciennete"]
    assert line.points == 0 and line.declencheur == "date de dépôt inconnue"


# --- refusals ---------------------------------------------------------------------------------------------------

def test_two_refusals_cost_four_points():
    # chez ses parents 25; filed 1 December 2025: 12 months × 0,4 = 4,8; 2 refusals × −2 = −4 → 25,8
    facts = FaitsCotation(situation_logement=S.CHEZ_PARENTS_ENFANTS, date_depot=date(2025, 12, 1), refus=2)
    assert points(facts)["refus_offre_adaptee"] == -4
    assert total(facts) == Decimal("25.8")


def test_a_visit_without_follow_up_and_an_unanswered_offer_count_like_refusals():
    # 1 refusal + 1 visit without follow-up + 1 unanswered offer = 3 × −2 = −6
    facts = FaitsCotation(situation_logement=S.CHEZ_PARENTS_ENFANTS, date_depot=ON, refus=1, visites_sans_suite=1,
                          non_reponses=1)
    result = score(facts, GRID, ON)
    [line] = [line for line in result.lignes if line.critere == "refus_offre_adaptee"]
    assert line.points == -6 and line.declencheur == (
        "1 refus, 1 visite(s) sans suite, 1 non-réponse(s) à une offre adaptée")
    assert result.total == 19


def test_a_score_may_go_below_zero():
    # propriétaire occupant 10, filed today, 6 refusals × −2 = −12 → −2
    facts = FaitsCotation(situation_logement=S.PROPRIETAIRE_OCCUPANT, date_depot=ON, refus=6)
    assert total(facts) == -2


# --- combined criteria: with / without a minor --------------------------------------------------------------------

@pytest.mark.parametrize(("reason", "children", "expected", "points_"), [
    (M.LOGEMENT_NON_DECENT, (date(2015, 3, 1),), "non_decent_avec_mineur", 25),     # a child of 11
    (M.LOGEMENT_NON_DECENT, (), "non_decent_sans_mineur", 20),
    (M.LOGEMENT_NON_DECENT, (date(2008, 12, 1),), "non_decent_sans_mineur", 20),    # 18 today: no longer a minor
    (M.LOGEMENT_NON_DECENT, (date(2008, 12, 2),), "non_decent_avec_mineur", 25),    # 18 tomorrow: still a minor
    (M.SUROCCUPATION, (date(2020, 1, 1),), "suroccupation_avec_mineur", 25),
    (M.SUROCCUPATION, (date(1950, 1, 1),), "suroccupation_sans_mineur", 15),        # a dependent parent
])
def test_combined_criteria_with_or_without_a_minor(reason, children, expected, points_):
    facts = FaitsCotation(motifs={reason}, naissances_enfants=children, date_depot=ON)
    assert points(facts) == {expected: points_, "anciennete": 0}


def test_an_expected_child_counts_as_a_minor():
    facts = FaitsCotation(motifs={M.SUROCCUPATION}, enfants_attendus=1, date_depot=ON)
    assert points(facts)["suroccupation_avec_mineur"] == 25


# --- zero-weight rows ---------------------------------------------------------------------------------------------

def test_zero_weight_rows_are_shown_with_no_points():
    # locataire privé 15 + retraité 0 + travailleur indépendant 0 (co-applicant) + travailleur clé 0 = 15
    facts = FaitsCotation(situation_logement=S.LOCATAIRE_PRIVE, date_depot=ON, travailleur_cle=True,
                          statuts={StatutProfessionnel.RETRAITE, StatutProfessionnel.INDEPENDANT})
    lines = {line.critere: line for line in score(facts, GRID, ON).lignes}
    for criterion in ("retraite", "travailleur_independant", "travailleur_cle"):
        assert lines[criterion].points == 0 and "critère sans pondération" in lines[criterion].declencheur
    assert total(facts) == 15


# --- which reason wins ---------------------------------------------------------------------------------------------

def test_only_the_best_weighted_reason_counts():
    # trop petit 10, divorce 20, loyer trop élevé 15 → divorce 20 alone; the others shown at 0, "non retenu"
    facts = FaitsCotation(motifs={M.TROP_PETIT, M.DIVORCE_SEPARATION, M.TROP_CHER}, date_depot=ON)
    result = score(facts, GRID, ON)
    kept = {line.critere: (line.points, line.retenu) for line in result.lignes if line.categorie.value == "motif"}
    assert kept == {"divorce_separation": (20, True), "loyer_trop_eleve": (0, False), "trop_petit": (0, False)}
    assert result.total == 20


def test_on_a_tie_the_first_row_of_the_table_wins():
    # CERFA reason 21 matches "Rapprochement familial" (15) and "Logement éloigné de la famille" (15): the first
    facts = FaitsCotation(motifs={M.RAPPROCHEMENT_FAMILLE}, date_depot=ON)
    result = score(facts, GRID, ON)
    assert [(line.critere, line.points) for line in result.lignes if line.categorie.value == "motif"] == [
        ("rapprochement_familial", 15), ("eloigne_famille", 0)]


def test_the_sne_merged_code_03_reads_as_unfit_housing():
    # 03 "non décent, insalubre ou dangereux" matches logement indigne (30) and non décent sans mineur (20): 30
    assert total(FaitsCotation(motifs={M.NON_DECENT_INSALUBRE}, date_depot=ON)) == 30


def test_personal_situations_add_up():
    # DALO 50 + handicap 10 + salarié du privé 10 + fonctionnaire 10 (the co-applicant) + moins de 30 ans 10 = 90
    facts = FaitsCotation(prioritaire_dalo=True, handicap=True, date_depot=ON, naissance_demandeur=date(1997, 12, 2),
                          secteurs={SecteurEmploi.PRIVE, SecteurEmploi.FONCTION_PUBLIQUE})
    assert total(facts) == 90


@pytest.mark.parametrize(("born", "criterion"), [
    (date(1996, 12, 2), "moins_de_30_ans"),   # 29 until tomorrow
    (date(1996, 12, 1), None),                # 30 today
    (date(1951, 12, 1), "plus_de_75_ans"),    # 75 today
    (date(1951, 12, 2), None),                # 74 until tomorrow
])
def test_age_criteria_use_complete_years_on_the_computation_day(born, criterion):
    found = set(points(FaitsCotation(naissance_demandeur=born, date_depot=ON))) - {"anciennete"}
    assert found == ({criterion} if criterion else set())


# --- from a demand, to the event ----------------------------------------------------------------------------------

def test_facts_from_a_registered_demand_and_the_event():
    # The factory's household: private tenants (15), applicant in CDI in the private sector (10), reasons "trop
    # petit" (10) and "suroccupation" with two children (25: only the best reason counts); filed 15 February 2023,
    # 45 complete months on 1 December 2026 (15 November 2026 is the 45th) × 0,4 = 18; a DALO label (50);
    # 2 refusals counted by the processor (−4). Total: 15 + 10 + 25 + 18 + 50 − 4 = 114.
    demande = demande_exemple()
    demande = demande.model_copy(update={
        "date_depot": date(2023, 2, 15),
        "demandeur": demande.demandeur.model_copy(update={"date_naissance": date(1985, 6, 1)})})
    event = DemandeEnregistree(numero_unique=NUMERO, demande=demande, date_enregistrement=date(2023, 2, 27))
    facts = faits_depuis_demande(event, refus=2, labels=[NatureLabel.DALO])
    result = score(facts, GRID, ON)
    assert {line.critere: line.points for line in result.lignes if line.retenu} == {
        "locataire_prive": 15, "dalo": 50, "salarie_prive": 10, "suroccupation_avec_mineur": 25, "anciennete": 18,
        "refus_offre_adaptee": -4}
    assert result.total == 114
    payload = result.to_event(NUMERO)
    assert isinstance(payload, CotationCalculee)
    assert (payload.score, payload.grille_version, payload.date_calcul) == (114.0, "thiers_dore_montagne.v1", ON)
    [line] = [line for line in payload.lignes if line.critere.value == "suroccupation_avec_mineur"]
    assert (line.points, line.ponderation, line.valeur) == (25.0, 25.0, "motif : logement suroccupé ; 2 mineur(s) "
                                                                           "au foyer")


def test_no_line_describes_a_person():
    # the breakdown is shown to partners: no name, address or income in any description
    demande = demande_exemple()
    result = score(faits_depuis_demande(demande), GRID, ON)
    text = " ".join(line.declencheur for line in result.lignes)
    for personal in (demande.demandeur.nom, demande.demandeur.prenom, demande.demandeur.adresse.voie,
                     str(demande.demandeur.ressources.mensuelles[0].montant_mensuel)):
        assert personal not in text
