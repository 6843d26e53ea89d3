"""A generated territory: invented demands, radiations and attributions over five years (seeded, fixed dates), with
the stock of dwellings, as journaled events — and the plain facts a test counts its own figures from."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from contracts import REGISTRY, Envelope
from contracts.enums import CategorieLogement, Contingent, MotifRadiation, TypeHabitatRecherche, Typologie
from contracts.events import AttributionReportee, BailSigne, DemandeEnregistree, DemandeRadiee
from hub.core.processing import end_of_day
from plugins.sne.synthetic import COMMUNES, SyntheticSne
from plugins.statistics.figures import Parc

BUCKET = {"C": "T1", "T1": "T1", "T2": "T2", "T3": "T3", "T4": "T4", "T5": "T5+", "T6P": "T5+"}
#: few communes, so that some cells are small (secrecy) and others large
TERRITORY = [c for c, _ in COMMUNES[:4]]


@dataclass
class Territory:
    events: list[Envelope[Any]] = field(default_factory=list)
    demands: dict[str, dict[str, Any]] = field(default_factory=dict)       # nu → facts
    attributions: list[dict[str, Any]] = field(default_factory=list)
    parc: list[Parc] = field(default_factory=list)


def generate(seed: int = 2026, count: int = 260) -> Territory:
    rng = random.Random(seed)
    sne = SyntheticSne(seed=seed, today=date(2026, 1, 5))
    t = Territory()
    for i in range(count):
        registered = date(2021, 1, 1) + timedelta(days=rng.randint(0, 5 * 365 - 1))
        demande = sne.demande(registered)
        commune = rng.choices(TERRITORY, weights=[8, 4, 2, 1])[0]
        typologie = rng.choice(list(Typologie))
        habitat = rng.choice(list(TypeHabitatRecherche))
        demande = demande.model_copy(update={"souhaits": demande.souhaits.model_copy(update={
            "communes": (commune,), "typologies": (typologie,), "type_habitat": habitat})})
        nu = sne.numero_unique(registered)
        entity = sne.entite("guichet")
        t.events.append(REGISTRY.build(DemandeEnregistree(numero_unique=nu, demande=demande,
                                                          date_enregistrement=registered),
                                       source="tests", entity=entity, time=end_of_day(registered), id=f"e{i}"))
        facts = {"commune": commune, "typologie": BUCKET[typologie.value], "registered": registered,
                 "depot": demande.date_depot, "radiated": None, "mutation": demande.est_mutation(),
                 "habitat": {"M": "individuel", "A": "collectif"}.get(habitat.value, "indifferent")}
        t.demands[nu] = facts
        roll = rng.random()
        if roll < 0.35:     # attributed: lease, report, radiation (a)
            lease = registered + timedelta(days=rng.randint(40, 900))
            if lease > date(2026, 6, 30):
                continue
            dwelling_commune = commune if rng.random() < 0.85 else rng.choice(TERRITORY)
            dwelling_typ = rng.choice(list(Typologie))
            qpv = "QP063001" if rng.random() < 0.3 else None
            first_quartile = rng.random() < 0.3
            rpls = sne.rpls()
            bailleur = sne.entite("bailleur")
            entree = lease + timedelta(days=rng.randint(0, 20))
            # the dwelling's kind: mostly by size, some the other way, some not reported (so both published and
            # hidden splits occur)
            kind_roll = rng.random()
            big = BUCKET[dwelling_typ.value] in ("T4", "T5+")
            categorie = (None if kind_roll < 0.08 else
                         (CategorieLogement.MAISON if big else CategorieLogement.APPARTEMENT) if kind_roll < 0.9
                         else (CategorieLogement.APPARTEMENT if big else CategorieLogement.MAISON))
            t.events.append(REGISTRY.build(AttributionReportee(
                numero_unique=nu, rpls=rpls, commune=dwelling_commune, date_attribution=lease - timedelta(days=10),
                reservataire=bailleur, contingent=Contingent.COLLECTIVITES, qpv=qpv, typologie=dwelling_typ,
                premier_quartile=first_quartile, categorie=categorie),
                source="tests", entity=bailleur, time=end_of_day(lease - timedelta(days=10)), id=f"a{i}"))
            t.events.append(REGISTRY.build(BailSigne(numero_unique=nu, rpls=rpls, commune=dwelling_commune,
                                                     date_signature=lease, date_entree_dans_les_lieux=entree,
                                                     qpv=qpv),
                                           source="tests", entity=bailleur, time=end_of_day(lease), id=f"b{i}"))
            t.events.append(REGISTRY.build(DemandeRadiee(numero_unique=nu, date_radiation=lease + timedelta(days=1),
                                                         motif=MotifRadiation.ATTRIBUTION_BAIL_SIGNE,
                                                         rpls=rpls, commune=dwelling_commune),
                                           source="tests", entity=bailleur, time=end_of_day(lease), id=f"r{i}"))
            facts["radiated"] = lease + timedelta(days=1)
            t.attributions.append({"nu": nu, "commune": dwelling_commune, "typologie": BUCKET[dwelling_typ.value],
                                   "lease": lease, "entree": entree, "qpv": qpv, "first_quartile": first_quartile,
                                   "habitat": {CategorieLogement.MAISON: "individuel",
                                               CategorieLogement.APPARTEMENT: "collectif"}.get(categorie)})
        elif roll < 0.55:   # radiated for non-renewal
            day = registered + timedelta(days=rng.randint(400, 500))
            t.events.append(REGISTRY.build(DemandeRadiee(numero_unique=nu, date_radiation=day,
                                                         motif=MotifRadiation.NON_RENOUVELLEMENT),
                                           source="tests", entity=entity, time=end_of_day(day), id=f"n{i}"))
            facts["radiated"] = day
    for commune in TERRITORY:
        for typ in ("T1", "T2", "T3", "T4", "T5+"):
            for habitat in ("individuel", "collectif"):
                t.parc.append(Parc(commune, typ, habitat, rng.randint(0, 60)))
    return t
