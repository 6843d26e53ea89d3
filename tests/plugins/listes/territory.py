"""A generated territory for the lists' test: 10,000 demands (SyntheticSne, seeded) and a year of their events —
labels, DALO decisions, contingents, CAL commissions with ranked candidates, leases, refusals, radiations.

Everything is drawn from one seeded generator relative to fixed dates: the same territory on every run, whatever
the day.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, timedelta

from contracts import EventData, LegalEntity
from contracts.enums import (
    AuteurModification, Contingent, CriterePrioriteL441, MotifRadiation, MotifRefus, MotifSuppression, NatureLabel,
    SensDecisionDalo, TypeDecisionCal,
)
from contracts.events import (
    AttributionReportee, BailSigne, ContingentsEligibles, DecisionCal, DecisionDalo, DemandeEnregistree,
    DemandeModifiee, DemandeRadiee, DemandeReactivee, DemandeSupprimee, LabelPrioritaireLeve, LabelPrioritairePose,
    RefusDemandeur,
)
from plugins.sne.synthetic import SyntheticSne

YEAR_START, END = date(2026, 1, 1), date(2026, 12, 31)
LABELS = [NatureLabel.SIAO, NatureLabel.PDALHPD, NatureLabel.CIA, NatureLabel.BAILLEUR, NatureLabel.DALO,
          NatureLabel.L441_1_SANS_LOGEMENT, NatureLabel.L441_1_VIOLENCES_COUPLE, NatureLabel.ACD]


@dataclass
class Territory:
    #: (day, payload), in the order they are journaled (by day, then as drawn)
    events: list[tuple[date, EventData]] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)


def generate(count: int = 10_000, seed: int = 15) -> Territory:
    sne = SyntheticSne(seed, today=date(2026, 1, 5))
    rng: random.Random = sne.rng
    out = Territory()
    drawn: list[tuple[date, int, EventData]] = []
    order = iter(range(10**9))
    registered_on: dict[str, date] = {}
    entities = [sne.entite("etat") for _ in range(5)]

    def add(day: date, payload: EventData) -> None:
        drawn.append((day, next(order), payload))

    def later(start: date, end: date = END) -> date:
        return sne.day_between(max(start, YEAR_START), end)

    # invented households, each reused by several demands with their own number and dates (Faker is the slow part)
    templates = [sne.demande(date(2022, 1, 1), rich=rng.random() < 0.15) for _ in range(min(count, 1000))]
    for index in range(count):
        registered = sne.day_between(date(2022, 1, 1), date(2026, 12, 20))
        demande = templates[index % len(templates)].model_copy(update={
            "date_depot": registered - timedelta(days=rng.randint(0, 25)), "date_enregistrement": registered,
            "date_dernier_renouvellement": None})
        numero = sne.numero_unique(registered)
        out.numbers.append(numero)
        registered_on[numero] = registered
        add(registered, DemandeEnregistree(numero_unique=numero, demande=demande, date_enregistrement=registered))
        if rng.random() < 0.05:
            criteres = tuple(rng.sample(list(CriterePrioriteL441), rng.randint(0, 2)))
            changed = demande.model_copy(update={"priorite": demande.priorite.model_copy(update={
                "criteres_l441_1": criteres, "prioritaire_dalo": rng.random() < 0.2})})
            add(later(registered), DemandeModifiee(numero_unique=numero, demande=changed, champs_modifies=(),
                                                   auteur=AuteurModification.DEMANDEUR,
                                                   date_modification=later(registered)))
        if rng.random() < 0.08:
            posed = later(registered)
            nature, emetteur = rng.choice(LABELS), rng.choice(entities)
            fin = posed + timedelta(days=rng.randint(10, 500)) if rng.random() < 0.3 else None
            add(posed, LabelPrioritairePose(numero_unique=numero, nature=nature, emetteur=emetteur,
                                            date_decision=posed, date_fin_validite=fin))
            if rng.random() < 0.2:
                lifted = later(posed)
                add(lifted, LabelPrioritaireLeve(numero_unique=numero, nature=nature, emetteur=emetteur,
                                                 date_levee=lifted))
        if rng.random() < 0.04:
            decided = later(registered)
            sens = rng.choice([SensDecisionDalo.PRIORITAIRE_ET_URGENT, SensDecisionDalo.PRIORITAIRE_ET_URGENT,
                               SensDecisionDalo.REJET, SensDecisionDalo.REORIENTATION_HEBERGEMENT])
            recours = f"063-2026-{rng.randint(1, 999):03d}"
            add(decided, DecisionDalo(numero_unique=numero, numero_recours=recours, date_depot_recours=decided,
                                      date_decision=decided, decision=sens))
            if sens is SensDecisionDalo.PRIORITAIRE_ET_URGENT and rng.random() < 0.2:
                again = later(decided)
                add(again, DecisionDalo(numero_unique=numero, numero_recours=recours, date_depot_recours=decided,
                                        date_decision=again, decision=SensDecisionDalo.SANS_OBJET))
        if rng.random() < 0.05:
            add(later(registered), ContingentsEligibles(
                numero_unique=numero, contingents=tuple(rng.sample(list(Contingent), rng.randint(0, 2))),
                date_evaluation=later(registered)))
        if rng.random() < 0.03:
            day = later(registered)
            add(day, RefusDemandeur(numero_unique=numero, rpls=sne.rpls(), commune=sne.commune()[0], date_refus=day,
                                    motif=rng.choice(list(MotifRefus)), offre_adaptee=rng.choice([True, False, None])))
        if rng.random() < 0.06:
            radiated = later(registered)
            add(radiated, DemandeRadiee(numero_unique=numero, date_radiation=radiated,
                                        motif=rng.choice([MotifRadiation.RENONCIATION,
                                                          MotifRadiation.NON_RENOUVELLEMENT])))
            roll = rng.random()
            if roll < 0.2:
                back = later(radiated)
                add(back, DemandeReactivee(numero_unique=numero, date_reactivation=back))
            elif roll < 0.3:
                purged = later(radiated)
                add(purged, DemandeSupprimee(numero_unique=numero, date_suppression=purged,
                                             motif=MotifSuppression.CONSERVATION_ECHUE))

    # CAL commissions: three ranked candidates per dwelling; dwellings are let again (a pool smaller than the
    # number of commissions), so old outcomes on a dwelling must not make a later ranking "Poulidor"
    dwellings = [sne.rpls() for _ in range(400)]
    by_registration = sorted(out.numbers, key=lambda n: (registered_on[n], n))
    registration_days = [registered_on[n] for n in by_registration]
    bailleur = sne.entite("bailleur")
    for _ in range(600):
        day = sne.day_between(YEAR_START, END - timedelta(days=40))
        rpls, commune = rng.choice(dwellings), sne.commune()[0]
        candidates = rng.sample(by_registration[:bisect_left(registration_days, day)], 3)
        first = TypeDecisionCal.ATTRIBUTION if rng.random() < 0.5 else TypeDecisionCal.ATTRIBUTION_RANG
        for rang, numero in enumerate(candidates, start=1):
            decision = first if rang == 1 else TypeDecisionCal.ATTRIBUTION_RANG
            add(day, DecisionCal(numero_unique=numero, rpls=rpls, commune=commune, date_commission=day,
                                 decision=decision, rang=rang if decision is TypeDecisionCal.ATTRIBUTION_RANG
                                 else None))
        roll = rng.random()
        if roll < 0.7:
            winner = candidates[0]
        elif roll < 0.85:
            add(day + timedelta(days=10), RefusDemandeur(
                numero_unique=candidates[0], rpls=rpls, commune=commune, date_refus=day + timedelta(days=10),
                motif=MotifRefus.LOCALISATION, offre_adaptee=True))
            winner = candidates[1]
        else:
            continue
        signed = day + timedelta(days=rng.randint(15, 39))
        if rng.random() < 0.8:
            add(signed, BailSigne(numero_unique=winner, rpls=rpls, commune=commune, date_signature=signed))
        else:
            add(signed, AttributionReportee(numero_unique=winner, rpls=rpls, commune=commune,
                                            date_attribution=signed, reservataire=bailleur,
                                            contingent=Contingent.HORS_CONTINGENT))
    out.events = [(day, payload) for day, _n, payload in sorted(drawn, key=lambda d: (d[0], d[1]))]
    return out


GUICHET = LegalEntity(siren="200071363", nom="CC Thiers Dore et Montagne")
