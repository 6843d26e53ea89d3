"""Golden files of the Habisoft connector: one event of each kind the format carries (plus every CAL decision and
the Poulidor case), as the expected event (JSON) and its ``fichierPartage`` rendering (XML), under
``tests/fixtures/habisoft/``.

Run ``PYTHONPATH=. .venv/bin/python tests/plugins/habisoft/habisoft_golden.py`` to (re)write them after an
intended format change, then review the diff. All data is invented (Faker, fixed seeds).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from contracts import REGISTRY, Envelope, EventData, LegalEntity
from contracts.enums import (
    AuteurModification,
    CanalNotification,
    Contingent,
    MarquePiece,
    ModeAttestation,
    MotifLevee,
    MotifRadiation,
    MotifRefus,
    MotifSuppression,
    NatureLabel,
    OrigineDesignation,
    PersonneConcernee,
    SousMotifIrrecevabilite,
    SuiteVisite,
    TypeDecisionCal,
    TypePiece,
    Typologie,
)
from tests import golden_files
from tests.golden_files import expected_json  # noqa: F401  (used by the golden tests)
from contracts.events import (
    AttestationEnregistrementDelivree,
    AvisRenouvellementEnvoye,
    BailSigne,
    ContingentsEligibles,
    DecisionCal,
    DemandeReactivee,
    DemandeRectifiee,
    DemandeSupprimee,
    DesignationCandidat,
    DoublonDetecte,
    InscriptionCal,
    LabelPrioritaireLeve,
    LabelPrioritairePose,
    MiseEnDemeureEnvoyee,
    NumerosFusionnes,
    PieceDemandee,
    PieceDeposee,
    PieceMarquee,
    RefusDemandeur,
    VisiteEffectuee,
    VisiteProposee,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "habisoft"
PARIS = ZoneInfo("Europe/Paris")


class _Source:
    """Invented historique events; demands come from the SNE connector's generator (same contracts)."""

    def __init__(self, seed: int):
        from plugins.sne.synthetic import SyntheticSne

        self.sne = SyntheticSne(seed)
        self.rng = random.Random(seed)

    def day(self) -> date:
        return date(2025, 1, 6) + timedelta(days=self.rng.randint(0, 300))

    def numero(self) -> str:
        return self.sne.numero_unique(date(2024, self.rng.randint(1, 12), 1))

    def logement(self) -> dict[str, Any]:
        return {"numero_unique": self.numero(), "rpls": self.sne.rpls(), "commune": self.sne.commune()[0]}

    def envelope(self, data: EventData, day: date, entity: LegalEntity | None = None) -> Envelope[Any]:
        return REGISTRY.build(data, source="tests", entity=entity or self.sne.entite("bailleur"),
                              time=datetime.combine(day, datetime.min.time(), tzinfo=PARIS),
                              id=f"evt-{self.rng.getrandbits(64):016x}")


def golden_events() -> dict[str, Envelope[Any]]:
    s = _Source(seed=63)
    d = s.day
    events: dict[str, Envelope[Any]] = {
        "demande_enregistree": s.sne.enregistree(rich=True),
        "demande_modifiee": s.sne.modifiee(),
        "demande_renouvelee": s.sne.renouvelee(),
        "demande_radiee": s.sne.radiee(MotifRadiation.IRRECEVABILITE),
        "attribution_reportee": s.sne.attribution(),
        "decision_dalo": s.sne.decision_dalo(),
    }
    day = d()
    enregistree = events["demande_enregistree"]
    events["demande_rectifiee"] = s.envelope(DemandeRectifiee(
        numero_unique=enregistree.subject, demande=enregistree.data.demande,
        champs_rectifies=("demandeur.ressources.revenu_fiscal_n1", "logement_actuel.loyer_mensuel"),
        piece_id="PJ-2025-000412", guichet="G6301", date_rectification=day), day)
    day = d()
    events["attestation_enregistrement_delivree"] = s.envelope(AttestationEnregistrementDelivree(
        numero_unique=s.numero(), mode=ModeAttestation.COURRIEL, date_delivrance=day,
        guichet=s.sne.entite("guichet")), day)
    day = d()
    events["avis_renouvellement_envoye"] = s.envelope(AvisRenouvellementEnvoye(
        numero_unique=s.numero(), date_envoi=day, canal=CanalNotification.COURRIER,
        date_anniversaire=day + timedelta(days=30), date_radiation_prevue=day + timedelta(days=90)), day)
    day = d()
    events["mise_en_demeure_envoyee"] = s.envelope(MiseEnDemeureEnvoyee(
        numero_unique=s.numero(), date_envoi=day, canal=CanalNotification.LETTRE_RECOMMANDEE,
        motif_envisage=MotifRadiation.IRRECEVABILITE, sous_motif=SousMotifIrrecevabilite.RESSOURCES_SUPERIEURES_PLAFOND,
        date_radiation_prevue=day + timedelta(days=30)), day)
    day = d()
    events["demande_reactivee"] = s.envelope(DemandeReactivee(
        numero_unique=s.numero(), date_reactivation=day, motif_radiation_annulee=MotifRadiation.NON_RENOUVELLEMENT,
        guichet="G6302"), day)
    day = d()
    events["demande_supprimee"] = s.envelope(DemandeSupprimee(
        numero_unique=s.numero(), date_suppression=day, motif=MotifSuppression.CONSERVATION_ECHUE), day)
    day = d()
    numero = s.numero()
    events["doublon_detecte"] = s.envelope(DoublonDetecte(numero_unique=numero, doublons=(s.numero(), s.numero()),
                                                          date_detection=day), day)
    events["numeros_fusionnes"] = s.envelope(NumerosFusionnes(numero_unique=numero, numeros_fusionnes=(s.numero(),),
                                                              date_fusion=day + timedelta(days=3)),
                                             day + timedelta(days=3))
    day = d()
    events["piece_deposee"] = s.envelope(PieceDeposee(
        numero_unique=s.numero(), piece_id="PJ-2025-000977", type_piece=TypePiece.AVIS_IMPOSITION,
        personne=PersonneConcernee.DEMANDEUR, date_depot=day, deposant=AuteurModification.DEMANDEUR,
        media_type="application/pdf", taille_octets=183_204, sha256="5" * 64, nom_fichier="avis-2024.pdf"), day)
    day = d()
    events["piece_demandee"] = s.envelope(PieceDemandee(
        numero_unique=s.numero(), type_piece=TypePiece.TITRE_SEJOUR, personne=PersonneConcernee.COTITULAIRE,
        date_demande=day, date_limite=day + timedelta(days=30), precision="Titre en cours de validité."), day)
    day = d()
    events["piece_marquee"] = s.envelope(PieceMarquee(
        numero_unique=s.numero(), piece_id="PJ-2025-000978", marque=MarquePiece.INEXPLOITABLE, date_marquage=day),
        day)
    day = d()
    events["designation_candidat"] = s.envelope(DesignationCandidat(
        **s.logement(), date_designation=day, origine=OrigineDesignation.RESERVATAIRE,
        reservataire=s.sne.entite("reservataire"), contingent=Contingent.ACTION_LOGEMENT, typologie=Typologie.T3,
        qpv="QP063002"), day)
    day = d()
    events["inscription_cal"] = s.envelope(InscriptionCal(**s.logement(), date_commission=day, rang_presentation=2),
                                           day)
    day = d()
    events["visite_proposee"] = s.envelope(VisiteProposee(**s.logement(), date_proposition=day,
                                                          date_visite_prevue=day + timedelta(days=5)), day)
    day = d()
    events["visite_effectuee"] = s.envelope(VisiteEffectuee(**s.logement(), date_visite=day,
                                                            suite=SuiteVisite.INTERESSE), day)
    for decision, extra in (
            (TypeDecisionCal.ATTRIBUTION, {}),
            (TypeDecisionCal.ATTRIBUTION_RANG, {"rang": 2}),
            (TypeDecisionCal.ATTRIBUTION_SOUS_CONDITION, {"condition_suspensive": "Production du titre de séjour"}),
            (TypeDecisionCal.NON_ATTRIBUTION, {"motif": "Inadéquation de la typologie à la composition du ménage"}),
            (TypeDecisionCal.IRRECEVABILITE, {"motif": "Ressources supérieures aux plafonds",
                                              "sous_motif_irrecevabilite":
                                                  SousMotifIrrecevabilite.RESSOURCES_SUPERIEURES_PLAFOND})):
        day = d()
        name = f"decision_cal_{decision.value}"
        if decision is TypeDecisionCal.ATTRIBUTION_RANG:
            name = "decision_cal_poulidor"
        events[name] = s.envelope(DecisionCal(**s.logement(), date_commission=day, decision=decision, **extra), day)
    day = d()
    events["refus_demandeur"] = s.envelope(RefusDemandeur(
        **s.logement(), date_refus=day, motif=MotifRefus.LOCALISATION, apres_attribution=True, offre_adaptee=True),
        day)
    day = d()
    events["bail_signe"] = s.envelope(BailSigne(**s.logement(), date_signature=day,
                                                date_entree_dans_les_lieux=day + timedelta(days=10)), day)
    day = d()
    siao = LegalEntity(siren="130021405", nom="SIAO du Puy-de-Dôme")
    events["label_prioritaire_pose"] = s.envelope(LabelPrioritairePose(
        numero_unique=s.numero(), nature=NatureLabel.SIAO, emetteur=siao, date_decision=day,
        date_fin_validite=day + timedelta(days=365), reference="SIAO-63-2025-0042"), day, siao)
    day = d()
    events["label_prioritaire_leve"] = s.envelope(LabelPrioritaireLeve(
        numero_unique=s.numero(), nature=NatureLabel.L441_1_SANS_LOGEMENT, emetteur=siao, date_levee=day,
        motif=MotifLevee.ATTRIBUTION), day, siao)
    day = d()
    events["contingents_eligibles"] = s.envelope(ContingentsEligibles(
        numero_unique=s.numero(), contingents=(Contingent.PREFET_PRIORITAIRES, Contingent.COLLECTIVITES),
        date_evaluation=day), day)
    return events


def load_expected(name: str) -> Envelope[Any]:
    return golden_files.load_expected(FIXTURES, name)


def write_all() -> None:
    from plugins.habisoft.codec import encode_event

    golden_files.write_golden(FIXTURES, golden_events(), encode_event)


if __name__ == "__main__":
    write_all()
