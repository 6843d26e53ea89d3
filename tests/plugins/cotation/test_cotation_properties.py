"""Properties for any demand: the breakdown sums exactly to the score, the score is deterministic, every line is in
hundredths, and the result converts to the ``cotation_calculee`` contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.demande import Demande
from contracts.enums import MotifDemande, NatureLabel, SecteurEmploi, SituationLogementActuel, StatutProfessionnel
from plugins.cotation import FaitsCotation, default_grid, faits_depuis_demande, score
from tests.contracts.contracts_factories import NUMERO
from tests.contracts.contracts_strategies import model_strategy

GRID = default_grid()
_dates = st.dates(date(1900, 1, 1), date(2100, 12, 31))
_counts = st.integers(0, 1000)

faits = st.builds(
    FaitsCotation,
    situation_logement=st.none() | st.sampled_from(SituationLogementActuel),
    motifs=st.frozensets(st.sampled_from(MotifDemande)),
    statuts=st.frozensets(st.sampled_from(StatutProfessionnel)),
    secteurs=st.frozensets(st.sampled_from(SecteurEmploi)),
    prioritaire_dalo=st.booleans(), chomage_longue_duree=st.booleans(), handicap=st.booleans(),
    travailleur_cle=st.booleans(), premier_quartile=st.booleans(),
    naissance_demandeur=st.none() | _dates,
    naissances_enfants=st.lists(_dates, max_size=6).map(tuple),
    enfants_attendus=st.integers(0, 9),
    date_depot=st.none() | _dates,
    refus=_counts, visites_sans_suite=_counts, non_reponses=_counts,
)

#: A coefficient with up to four decimals, so that the coefficient's line has to be rounded.
coefficients = st.decimals(Decimal("0.5"), Decimal("3"), places=4)


def check(facts: FaitsCotation, on: date, grid=GRID) -> None:
    first, again = score(facts, grid, on), score(facts, grid, on)
    assert first == again
    assert sum((line.points for line in first.lignes), Decimal(0)) == first.total
    assert all(line.points == line.points.quantize(Decimal("0.01")) for line in first.lignes)
    event = first.to_event(NUMERO)               # the contract checks the sum again (within its tolerance)
    assert event.score == float(first.total) and len(event.lignes) == len(first.lignes)


@settings(max_examples=300, deadline=None)
@given(facts=faits, on=_dates)
def test_the_breakdown_sums_to_the_score_for_any_facts(facts, on):
    check(facts, on)


@settings(max_examples=150, deadline=None)
@given(facts=faits, on=_dates, coefficient=coefficients)
def test_the_breakdown_sums_to_the_score_whatever_the_coefficient(facts, on, coefficient):
    criteria = tuple(c.model_copy(update={"coefficient": coefficient}) if c.kind == "coefficient" else c
                     for c in GRID.criteria)
    check(facts, on, GRID.model_copy(update={"criterion": criteria}))


@settings(max_examples=100, deadline=None)
@given(demande=model_strategy(Demande), on=_dates, refus=_counts,
       labels=st.lists(st.sampled_from(NatureLabel), max_size=3), quartile=st.booleans())
def test_the_breakdown_sums_to_the_score_for_any_demand(demande, on, refus, labels, quartile):
    check(faits_depuis_demande(demande, refus=refus, labels=labels, premier_quartile=quartile), on)
