"""The desk's reading of a score: French labels, numbers and dates, one line per criterion, the total again; and the
same reading from a journaled ``cotation_calculee``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.enums import MotifDemande as M
from contracts.enums import SituationLogementActuel as S
from contracts.enums import StatutProfessionnel
from plugins.cotation import FaitsCotation, cotation_from_event, default_grid, explain, score
from plugins.cotation.explain import points
from plugins.cotation.french import date_longue, nombre
from tests.contracts.contracts_factories import NUMERO

GRID = default_grid()
ON = date(2026, 12, 1)

# à l'hôtel 30 + moins de 30 ans 10 + non décent avec un mineur 25 (trop petit 10 not kept) = 65;
# premier quartile: 0,30 × 65 = 19,5; filed 31/01/2024: 34 complete months on 1/12/2026 × 0,4 = 13,6;
# 2 refusals: −4. Total 65 + 19,5 + 13,6 − 4 = 94,1. Retraité: a zero-weight row, shown.
FACTS = FaitsCotation(situation_logement=S.HOTEL, motifs={M.LOGEMENT_NON_DECENT, M.TROP_PETIT}, premier_quartile=True,
                      date_depot=date(2024, 1, 31), refus=2, naissances_enfants=(date(2020, 5, 1),),
                      statuts={StatutProfessionnel.RETRAITE}, naissance_demandeur=date(1998, 3, 3))

EXPECTED = """\
Cotation de la demande 0630323000123G6301: 94,1 points (grille Thiers Dore et Montagne v1, calculée le 1er décembre 2026)
  Logement actuel
    À l'hôtel : +30 points — logement actuel : logé(e) à l'hôtel
  Situation personnelle
    Retraité : 0 point — situation professionnelle : retraité(e) (critère sans pondération)
    Jeune de moins de 30 ans : +10 points — âge du demandeur : 28 ans
  Motif de la demande
    Logement non décent, avec au moins un mineur : +25 points — motif : logement non décent ; 1 mineur(s) au foyer
    Logement trop petit : 0 point — motif : logement trop petit ; non retenu : seul le critère le mieux pondéré du bloc compte
  Ressources du premier quartile des demandeurs (130 %) : +19,5 points — ressources du premier quartile : 130 % de 65 point(s) (logement actuel, situation personnelle, motif de la demande), soit 19,5 de plus
  Ancienneté de la demande (0,4 par mois) : +13,6 points — 34 mois complet(s) depuis le dépôt du 31/01/2024
  Refus, visite sans suite ou non-réponse à une offre adaptée (-2 par occurrence) : -4 points — 2 refus à une offre adaptée
  Total : 94,1 points"""


def test_a_score_as_the_desk_reads_it():
    assert explain(score(FACTS, GRID, ON), NUMERO) == EXPECTED


def test_the_same_reading_from_the_journaled_event():
    cotation = score(FACTS, GRID, ON)
    again = cotation_from_event(cotation.to_event(NUMERO), [GRID])
    assert again == cotation
    assert explain(again, NUMERO) == EXPECTED


def test_an_event_of_an_unknown_grid_cannot_be_explained():
    event = score(FACTS, GRID, ON).to_event(NUMERO).model_copy(update={"grille_version": "autre.v9"})
    with pytest.raises(LookupError, match="grid 'autre.v9' is not loaded"):
        cotation_from_event(event, [GRID])


def test_a_demand_without_situation_criteria():
    text = explain(score(FaitsCotation(date_depot=ON), GRID, ON), NUMERO)
    assert "Aucun critère de situation ne s'applique." in text and text.endswith("Total : 0 point")


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("47.20"), "47,2"), (Decimal("30.00"), "30"), (Decimal("-4"), "-4"), (Decimal("0.4"), "0,4"),
    (Decimal("0.00"), "0"), (Decimal("1E+2"), "100"), (Decimal("-0"), "0"),
])
def test_french_numbers(value, text):
    assert nombre(value) == text


def test_french_dates_and_plurals():
    assert [date_longue(d) for d in (date(2026, 12, 1), date(2027, 1, 2), date(2027, 8, 31))] == [
        "1er décembre 2026", "2 janvier 2027", "31 août 2027"]
    assert [points(Decimal(v)) for v in ("0", "1", "1.5", "2", "-4")] == [
        "0 point", "1 point", "1,5 point", "2 points", "-4 points"]
