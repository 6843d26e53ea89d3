"""Every event payload, one module per family; importing this package registers them all in
:data:`contracts.registry.REGISTRY`."""

from contracts.events.attribution import (
    AttributionReportee, BailSigne, DesignationCandidat, InscriptionCal, RefusDemandeur, VisiteEffectuee,
    VisiteProposee,
)
from contracts.events.common import Guichet, SurDemande, SurLogement
from contracts.events.cotation import CotationCalculee, LigneCotation
from contracts.events.dalo import DecisionDalo
from contracts.events.decision_cal import DecisionCal, TypeDecisionCal
from contracts.events.demande import (
    AttestationEnregistrementDelivree, DemandeEnregistree, DemandeModifiee, DemandeRectifiee,
)
from contracts.events.doublons import DoublonDetecte, NumerosFusionnes
from contracts.events.listes import ListeEntree, ListeSortie
from contracts.events.pieces import PieceDemandee, PieceDeposee, PieceMarquee
from contracts.events.priorite import ContingentsEligibles, LabelPrioritaireLeve, LabelPrioritairePose
from contracts.events.radiation import DemandeRadiee, DemandeReactivee, DemandeSupprimee, EvenementEfface, tombstone
from contracts.events.renouvellement import (
    AvisListe, AvisRenouvellementDu, AvisRenouvellementEnvoye, AvisRenouvellementListe, DemandeRenouvelee,
    MiseEnDemeureEnvoyee,
)
from contracts.events.siao import InscriptionSyplo, PreconisationSiao, TransmissionSiao

__all__ = [
    "SurDemande", "SurLogement", "Guichet",
    "DemandeEnregistree", "AttestationEnregistrementDelivree", "DemandeModifiee", "DemandeRectifiee",
    "DemandeRenouvelee", "AvisRenouvellementDu", "AvisListe", "AvisRenouvellementListe", "AvisRenouvellementEnvoye", "MiseEnDemeureEnvoyee",
    "DemandeRadiee", "DemandeReactivee", "DemandeSupprimee", "EvenementEfface", "tombstone",
    "DoublonDetecte", "NumerosFusionnes",
    "PieceDeposee", "PieceDemandee", "PieceMarquee",
    "LabelPrioritairePose", "LabelPrioritaireLeve", "ContingentsEligibles",
    "TransmissionSiao", "PreconisationSiao", "InscriptionSyplo",
    "DecisionDalo",
    "DesignationCandidat", "InscriptionCal", "VisiteProposee", "VisiteEffectuee", "DecisionCal", "TypeDecisionCal",
    "RefusDemandeur", "BailSigne", "AttributionReportee",
    "CotationCalculee", "LigneCotation",
    "ListeEntree", "ListeSortie",
]
