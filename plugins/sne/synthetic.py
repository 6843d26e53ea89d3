"""Synthetic SNE data for tests, benchmarks and demonstrations: invented households (Faker, fr_FR) as contract
events, and large ``interfaceNuu`` extractions written in streaming.

Why it ships with the connector: integrators testing their own flows need realistic documents without real people
in them, and the benchmark must build 10⁵-record files at run time. Everything produced is fictitious; the values
stay within what the SNE format carries, so that encoding then decoding gives back the same events.

Needs Faker (the ``test`` extra of the project); it is imported only when this module is used.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from contracts import (
    REGISTRY,
    AttributionReportee,
    DecisionDalo,
    Demande,
    DemandeEnregistree,
    DemandeModifiee,
    DemandeRadiee,
    DemandeRenouvelee,
    Envelope,
    EventData,
    LegalEntity,
)
from contracts.enums import (
    AccordCollectif,
    AideTechnique,
    AuteurModification,
    CapaciteMarche,
    CategorieLogement,
    Civilite,
    CodeRessource,
    Contingent,
    Coparentalite,
    CriterePrioriteL441,
    EquipementHandicap,
    EtatHandicap,
    LienDemandeur,
    LienParente,
    ModeAttestation,
    MotifRadiation,
    Nationalite,
    PersonneConcernee,
    SensDecisionDalo,
    Sexe,
    SituationDalo,
    SituationFamiliale,
    SituationLogementActuel,
    SousMotifIrrecevabilite,
    StatutProfessionnel,
    TypeHabitatRecherche,
    Typologie,
)
from plugins.sne import codes
from plugins.sne.codec import new_document
from plugins.sne.mapping import write_demande
from plugins.sne.schema import NS, PREFIX, q

__all__ = ["SyntheticSne", "COMMUNES", "REFERENCE_DATE", "write_extraction", "iter_examples"]

PARIS = ZoneInfo("Europe/Paris")

#: The "today" every generated date is drawn relative to, unless a caller gives its own: data made from a seed must
#: be the same whatever day it is made on (golden files are compared byte for byte).
REFERENCE_DATE = date(2026, 1, 5)

#: Communes of Puy-de-Dôme (INSEE code, postal code): the seed territory is Thiers Dore et Montagne.
COMMUNES = (("63430", "63300"), ("63113", "63000"), ("63300", "63200"), ("63178", "63500"), ("63124", "63800"),
            ("63003", "63600"), ("63125", "63120"), ("63195", "63190"), ("63291", "63290"), ("63275", "63920"))

_NATIONAL_SITUATIONS = [s for s in SituationLogementActuel if not s.is_extension]
_NATIONAL_MOTIFS = [m for m in codes.MOTIF_DEMANDE.codes.values()]
_RECUES = [r for r in CodeRessource if not r.versee]


def _siren(rng: random.Random) -> str:
    """A SIREN with a correct Luhn check digit (fictitious: random first eight digits)."""
    digits = [rng.randint(0, 9) for _ in range(8)]
    for check in range(10):
        candidate = digits + [check]
        total = 0
        for position, value in enumerate(reversed(candidate)):
            if position % 2 == 1:
                value *= 2
                value -= 9 if value > 9 else 0
            total += value
        if total % 10 == 0:
            return "".join(map(str, candidate))
    raise AssertionError("unreachable")


class SyntheticSne:
    """A seeded source of invented demands and events; the same seed (and ``today``) gives the same data.

    Why no date comes from Faker: its date helpers read the machine's clock, so a birth date drawn on Monday is not
    the one drawn on Tuesday. Every date here is drawn by the seeded generator relative to ``today``."""

    def __init__(self, seed: int = 0, *, today: date = REFERENCE_DATE):
        try:
            from faker import Faker
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise RuntimeError("synthetic SNE data needs Faker: pip install 'relais[test]'") from exc
        self.faker = Faker("fr_FR")
        self.faker.seed_instance(seed)
        self.rng = random.Random(seed)
        self.today = today
        self._sequence = 0

    # --- dates -----------------------------------------------------------------------------------------------------
    def day_between(self, start: date, end: date) -> date:
        """A day in [start, end], drawn from the seeded generator."""
        return start + timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    def birth_date(self, minimum_age: int, maximum_age: int) -> date:
        """A birth date for someone aged ``minimum_age`` to ``maximum_age`` on ``today``."""
        latest = self.today - timedelta(days=round(365.25 * minimum_age))
        earliest = self.today - timedelta(days=round(365.25 * (maximum_age + 1)) - 1)
        return self.day_between(earliest, latest)

    # --- identifiers ---------------------------------------------------------------------------------------------
    def numero_unique(self, registered: date) -> str:
        """``063`` + MM + YY + a 6-digit sequence + ``G`` + a desk code: the public sample's layout."""
        self._sequence += 1
        return f"063{registered:%m%y}{self._sequence:06d}G{self.rng.randint(6300, 6399)}"

    def entite(self, kind: str = "bailleur") -> LegalEntity:
        names = {"bailleur": ["Auvergne Habitat", "Ophis du Puy-de-Dôme", "Logidôme", "Assemblia"],
                 "guichet": ["Service habitat de la communauté de communes", "Mairie de Thiers"],
                 "reservataire": ["Action Logement Services", "Préfecture du Puy-de-Dôme", "Département"],
                 "etat": ["DDETS du Puy-de-Dôme"]}[kind]
        return LegalEntity(siren=_siren(self.rng), nom=self.rng.choice(names))

    def rpls(self) -> str:
        return f"{self.rng.randint(0, 9_999_999_999):010d}"

    def commune(self) -> tuple[str, str]:
        return self.rng.choice(COMMUNES)

    # --- the demand ----------------------------------------------------------------------------------------------
    def _ressources(self, *, adult: bool, with_fiscal: bool, year: int) -> dict[str, Any]:
        count = self.rng.randint(1, 4) if adult else self.rng.randint(0, 1)
        mensuelles = [{"code": code, "montant_mensuel": self.rng.randint(20, 2200)}
                      for code in self.rng.sample(_RECUES, count)]
        if adult and self.rng.random() < 0.15:
            mensuelles.append({"code": CodeRessource.PENSION_ALIMENTAIRE_VERSEE,
                               "montant_mensuel": self.rng.randint(50, 400)})
        result: dict[str, Any] = {"mensuelles": mensuelles}
        if with_fiscal:
            result["revenu_fiscal_n1"] = {"annee": year - 1, "montant": self.rng.randint(0, 45_000)}
            result["revenu_fiscal_n2"] = {"annee": year - 2,
                                          "montant": self.rng.choice([None, self.rng.randint(0, 45_000)])}
        return result

    def _situation_professionnelle(self) -> dict[str, Any]:
        statut = self.rng.choice(list(StatutProfessionnel))
        working = statut in (StatutProfessionnel.CDI, StatutProfessionnel.CDD, StatutProfessionnel.APPRENTI,
                             StatutProfessionnel.INDEPENDANT)
        commune, postal = self.commune() if working else (None, None)
        return {"statut": statut, "profession": self.faker.job()[:200] if working else None,
                "employeur": self.faker.company()[:200] if working else None,
                "commune_travail": commune, "code_postal_travail": postal}

    def _adulte(self, sexe: str, registered: date) -> dict[str, Any]:
        female = sexe == "F"
        return {"civilite": Civilite.MADAME if female else Civilite.MONSIEUR,
                "nom": self.faker.last_name(),
                "nom_naissance": self.faker.last_name() if female and self.rng.random() < 0.3 else None,
                "prenom": self.faker.first_name_female() if female else self.faker.first_name_male(),
                "date_naissance": self.birth_date(18, 85),
                "nationalite": self.rng.choices(list(Nationalite), weights=[8, 1, 1])[0],
                "situation_professionnelle": self._situation_professionnelle(),
                "ressources": self._ressources(adult=True, with_fiscal=True, year=registered.year)}

    def demande(self, registered: date | None = None, *, rich: bool | None = None,
                situation: SituationLogementActuel | None = None) -> Demande:
        """An invented demand registered on ``registered``; ``rich`` adds the optional sections (handicap,
        priority…), chosen at random when None; ``situation`` forces the current housing (a current social tenant
        gets a mutation section)."""
        rng = self.rng
        registered = registered or self.day_between(date(2019, 1, 1), date(2025, 12, 31))
        rich = rng.random() < 0.3 if rich is None else rich
        commune, postal = self.commune()
        demandeur = self._adulte(rng.choice("MF"), registered)
        demandeur.update({
            "situation_familiale": rng.choice(list(SituationFamiliale)),
            "adresse": {"numero": str(rng.randint(1, 120)), "voie": self.faker.street_name()[:200],
                        "code_postal": postal, "commune": commune},
            "telephone": f"06{rng.randint(0, 99_999_999):08d}",
            "courriel": f"demandeur{rng.randint(1, 10**9)}@example.org"})
        cotitulaire = None
        if rng.random() < 0.4:
            cotitulaire = self._adulte(rng.choice("MF"), registered)
            cotitulaire.update({"lien_demandeur": rng.choice(list(LienDemandeur)),
                                "situation_familiale": rng.choice([None, *SituationFamiliale])})
        personnes = [{"nom": self.faker.last_name(), "prenom": self.faker.first_name(),
                      "date_naissance": self.day_between(registered - timedelta(days=6570), registered),
                      "sexe": rng.choice(list(Sexe)), "lien_parente": rng.choice(list(LienParente))}
                     for _ in range(rng.choice([0, 0, 1, 2, 3]))]
        if personnes and rng.random() < 0.3:
            # the SNE pools dependants' resources: keep them on the first dependant (see mapping.py)
            personnes[0]["ressources"] = {"mensuelles": self._ressources(adult=False, with_fiscal=False,
                                                                         year=registered.year)["mensuelles"]
                                          or [{"code": CodeRessource.BOURSE_ETUDIANT, "montant_mensuel": 120}]}
        situation = situation or rng.choice(_NATIONAL_SITUATIONS)
        payload: dict[str, Any] = {
            "demandeur": demandeur, "cotitulaire": cotitulaire, "personnes_a_charge": personnes,
            "enfants_en_garde": [{"date_naissance": self.day_between(registered - timedelta(days=6000),
                                                                            registered),
                                  "sexe": rng.choice(list(Sexe)), "coparentalite": rng.choice(list(Coparentalite))}
                                 for _ in range(rng.choice([0, 0, 0, 1, 2]))],
            "enfants_attendus": {"nombre": 1, "date_naissance_prevue": registered + timedelta(days=120)}
            if rng.random() < 0.05 else None,
            "logement_actuel": {"situation": situation, "commune": commune,
                                "typologie": rng.choice(list(Typologie)),
                                "categorie": rng.choice(list(CategorieLogement)),
                                "surface_m2": rng.randint(9, 140), "nombre_occupants": rng.randint(1, 7),
                                "loyer_mensuel": rng.randint(0, 1200),
                                "aide_logement_mensuelle": rng.choice([None, rng.randint(0, 400)])},
            "motifs": rng.sample(_NATIONAL_MOTIFS, rng.randint(1, 3)),
            "souhaits": {"communes": [c for c, _ in rng.sample(COMMUNES, rng.randint(1, 4))],
                         "typologies": rng.sample(list(Typologie), rng.randint(1, 3)),
                         "type_habitat": rng.choice(list(TypeHabitatRecherche))},
            "date_depot": registered - timedelta(days=rng.randint(0, 25)),
            "date_enregistrement": registered,
        }
        if rich:
            payload["motif_precision"] = "Situation décrite par le demandeur."
            payload["souhaits"].update({"surface_min_m2": rng.randint(20, 60),
                                        "loyer_max_mensuel": rng.randint(300, 700),
                                        "ascenseur_requis": rng.random() < 0.5, "rez_de_chaussee_requis": False,
                                        "accessible_fauteuil_roulant": rng.random() < 0.2,
                                        "demande_elargie": True})
            demandeur["telephone_secondaire"] = "04" + demandeur["telephone"][2:]   # a landline too
            payload["handicap"] = {
                "personnes": [PersonneConcernee.DEMANDEUR], "etat": rng.choice(list(EtatHandicap)),
                "capacite_marche": rng.choice(list(CapaciteMarche)), "natures_moteur": [],
                "natures_sensoriel": [], "psychique_mental": False,
                "aides_techniques": rng.sample(list(AideTechnique), 1),
                "equipements_necessaires": rng.sample(list(EquipementHandicap), 2), "logement_adapte_requis": True}
            payload["priorite"] = {"recours_dalo": True,
                                   "numero_recours_dalo": f"063-{registered.year}-{rng.randint(1, 999):03d}",
                                   "prioritaire_dalo": rng.random() < 0.5,
                                   "criteres_l441_1": rng.sample(list(CriterePrioriteL441), 2),
                                   "suivi_travailleur_social": True, "labellise_siao": False}
            if rng.random() < 0.5:
                payload["date_dernier_renouvellement"] = registered + timedelta(days=365)
        if situation is SituationLogementActuel.LOCATAIRE_HLM:
            payload["mutation"] = {"bailleur": self.entite("bailleur").model_dump(), "rpls": self.rpls()}
        return Demande.model_validate(payload)

    # --- events ----------------------------------------------------------------------------------------------------
    def _envelope(self, data: EventData, day: date, entity: LegalEntity | None = None) -> Envelope[Any]:
        return REGISTRY.build(data, source="tests", entity=entity or self.entite("guichet"),
                              time=datetime.combine(day, datetime.min.time(), tzinfo=PARIS),
                              id=f"evt-{self.rng.getrandbits(64):016x}")

    def enregistree(self, **demande_options: Any) -> Envelope[Any]:
        demande = self.demande(**demande_options)
        guichet = self.entite("guichet")
        data = DemandeEnregistree(numero_unique=self.numero_unique(demande.date_enregistrement), demande=demande,
                                  date_enregistrement=demande.date_enregistrement, guichet=guichet)
        return self._envelope(data, demande.date_enregistrement, guichet)

    def modifiee(self) -> Envelope[Any]:
        demande = self.demande()
        when = demande.date_enregistrement + timedelta(days=self.rng.randint(10, 200))
        guichet = self.entite("guichet")
        data = DemandeModifiee(numero_unique=self.numero_unique(demande.date_enregistrement), demande=demande,
                               champs_modifies=(), auteur=AuteurModification.GUICHET, guichet=guichet,
                               date_modification=when)
        return self._envelope(data, when, guichet)

    def renouvelee(self, *, with_demande: bool = True) -> Envelope[Any]:
        demande = self.demande()
        when = demande.date_enregistrement + timedelta(days=360)
        numero = self.numero_unique(demande.date_enregistrement)
        if with_demande:
            demande = demande.model_copy(update={"date_dernier_renouvellement": when})
            data = DemandeRenouvelee(numero_unique=numero, date_renouvellement=when, demande=demande,
                                     guichet="G6301", mode_attestation=ModeAttestation.COURRIEL)
        else:
            data = DemandeRenouvelee(numero_unique=numero, date_renouvellement=when, guichet=None,
                                     mode_attestation=ModeAttestation.COURRIER)
        return self._envelope(data, when)

    def radiee(self, motif: MotifRadiation = MotifRadiation.NON_RENOUVELLEMENT) -> Envelope[Any]:
        day = self.day_between(date(2023, 1, 1), date(2025, 12, 31))
        numero = self.numero_unique(day - timedelta(days=400))
        extra: dict[str, Any] = {}
        if motif is MotifRadiation.IRRECEVABILITE:
            extra["sous_motif"] = self.rng.choice(list(SousMotifIrrecevabilite))
        elif motif is MotifRadiation.ATTRIBUTION_BAIL_SIGNE:
            extra.update(rpls=self.rpls(), commune=self.commune()[0])
        elif motif is MotifRadiation.FUSION:
            extra["numero_unique_conserve"] = self.numero_unique(day - timedelta(days=500))
        data = DemandeRadiee(numero_unique=numero, date_radiation=day, motif=motif, **extra)
        return self._envelope(data, day, self.entite("bailleur"))

    def attribution(self) -> Envelope[Any]:
        day = self.day_between(date(2023, 1, 1), date(2025, 12, 31))
        contingent = self.rng.choice(list(Contingent))
        data = AttributionReportee(
            numero_unique=self.numero_unique(day - timedelta(days=300)), rpls=self.rpls(), commune=self.commune()[0],
            date_attribution=day, reservataire=self.entite("reservataire"), contingent=contingent,
            qpv=self.rng.choice([None, "QP063001"]), typologie=self.rng.choice(list(Typologie)),
            acd_aci=self.rng.choice(list(AccordCollectif)), dalo=self.rng.random() < 0.3,
            agent_etat=contingent is Contingent.PREFET_FONCTIONNAIRES, relogement_anru=self.rng.random() < 0.1,
            cia=self.rng.random() < 0.4, prioritaire=self.rng.random() < 0.4,
            premier_quartile=self.rng.choice([None, True, False]))
        return self._envelope(data, day, self.entite("bailleur"))

    def decision_dalo(self) -> Envelope[Any]:
        depot = self.day_between(date(2023, 1, 1), date(2025, 6, 30))
        decision = self.rng.choice(list(SensDecisionDalo))
        decided = depot + timedelta(days=self.rng.randint(30, 120))
        data = DecisionDalo(
            numero_unique=self.numero_unique(depot - timedelta(days=600)),
            numero_recours=f"063-{depot.year}-{self.rng.randint(1, 999):03d}", date_depot_recours=depot,
            date_decision=decided, decision=decision,
            situations=self.rng.sample(list(SituationDalo), 2), typologies_preconisees=[Typologie.T3],
            date_limite_relogement=decided + timedelta(days=180)
            if decision is SensDecisionDalo.PRIORITAIRE_ET_URGENT else None)
        return self._envelope(data, decided, self.entite("etat"))


def _base36(number: int, width: int = 6) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    for _ in range(width):
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out


def write_extraction(path: Path, count: int, *, seed: int = 0, distinct: int = 200,
                     emetteur: LegalEntity | None = None) -> Path:
    """Write an ``interfaceNuu`` extraction of ``count`` demand records to ``path`` without holding it in memory.

    ``distinct`` households are invented with Faker and rendered once; the ``count`` records cycle through them
    with their own numéros uniques, so a 10⁵-record file takes seconds to write while every record still goes
    through the full decoder."""
    source = SyntheticSne(seed)
    templates: list[tuple[bytes, str]] = []
    for _ in range(min(distinct, count) or 1):
        demande = source.demande()
        numero = source.numero_unique(demande.date_enregistrement)
        holder = etree.Element(q("holder"), nsmap={PREFIX: NS})
        record = etree.SubElement(holder, q("demande"))
        etree.SubElement(record, q("typeMouvement"), code="C")
        write_demande(record, demande, numero_unique=numero, date_creation=demande.date_enregistrement,
                      guichet="G6301")
        body = etree.tostring(record, encoding="unicode")
        body = body.replace(' xmlns:ns1="http://nuu.application.i2/"', "")
        templates.append((("    " + body + "\n").encode(), numero))
    header = new_document(datetime(2026, 1, 5, 2, 0, tzinfo=PARIS), emetteur or source.entite("etat"))
    head, _, tail = etree.tostring(header, xml_declaration=True, encoding="UTF-8",
                                   pretty_print=True).decode().rpartition("</ns1:interfaceNuu>")
    with open(path, "wb") as out:
        out.write(head.encode())
        for index in range(count):
            body, numero = templates[index % len(templates)]
            out.write(body.replace(numero.encode(), f"063{numero[3:7]}{_base36(index)}X{numero[14:]}".encode(), 1)
                      if index >= len(templates) else body)
        out.write(b"</ns1:interfaceNuu>\n" + tail.encode())
    return path


def iter_examples(seed: int = 0) -> Iterator[Envelope[Any]]:
    """One event of each kind the SNE format carries, for documentation and smoke tests."""
    source = SyntheticSne(seed)
    yield source.enregistree()
    yield source.modifiee()
    yield source.renouvelee()
    yield source.renouvelee(with_demande=False)
    for motif in MotifRadiation:
        yield source.radiee(motif)
    yield source.attribution()
    yield source.decision_dalo()
