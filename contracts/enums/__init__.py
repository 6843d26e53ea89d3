"""Every coded value of the contracts, each a :class:`~contracts.enums.base.CodedEnum` with French labels.

Grouped by subject in small modules; import them from here.
"""

from contracts.enums.attribution import MotifRefus, OrigineDesignation, SuiteVisite, TypeDecisionCal
from contracts.enums.base import CodedEnum
from contracts.enums.cotation import CategorieCritere, CritereCotation
from contracts.enums.cycle import (
    AuteurModification, CanalNotification, ModeAttestation, MotifRadiation, MotifSuppression,
    SousMotifIrrecevabilite,
)
from contracts.enums.handicap import (
    AideTechnique, CapaciteMarche, EquipementHandicap, EtatHandicap, NatureHandicapMoteur, NatureHandicapSensoriel,
)
from contracts.enums.listes import ListeGestionPartagee, MotifSortieListe
from contracts.enums.logement import CategorieLogement, SituationLogementActuel, TypeHabitatRecherche, Typologie
from contracts.enums.motifs import MotifDemande
from contracts.enums.personne import (
    Civilite, Coparentalite, LienDemandeur, LienParente, Nationalite, PersonneConcernee, SecteurEmploi, Sexe,
    SituationFamiliale, StatutProfessionnel,
)
from contracts.enums.pieces import MarquePiece, TypePiece
from contracts.enums.priorite import (
    AccordCollectif, Contingent, CriterePrioriteL441, MotifLevee, NatureLabel, ObjetTransmissionSiao,
    SensDecisionDalo, SituationDalo, StatutSyplo, TypePreconisationSiao, TypologieLogementDalo,
)
from contracts.enums.ressources import CodeRessource

__all__ = [
    "CodedEnum",
    "Civilite", "Nationalite", "SituationFamiliale", "LienDemandeur", "Sexe", "LienParente", "Coparentalite",
    "StatutProfessionnel", "SecteurEmploi", "PersonneConcernee",
    "CodeRessource",
    "SituationLogementActuel", "Typologie", "CategorieLogement", "TypeHabitatRecherche",
    "MotifDemande",
    "EtatHandicap", "CapaciteMarche", "NatureHandicapMoteur", "NatureHandicapSensoriel", "AideTechnique",
    "EquipementHandicap",
    "CriterePrioriteL441", "NatureLabel", "Contingent", "AccordCollectif", "MotifLevee", "StatutSyplo",
    "ObjetTransmissionSiao", "TypePreconisationSiao", "SensDecisionDalo", "SituationDalo", "TypologieLogementDalo",
    "AuteurModification", "ModeAttestation", "CanalNotification", "MotifRadiation", "SousMotifIrrecevabilite",
    "MotifSuppression",
    "TypePiece", "MarquePiece",
    "TypeDecisionCal", "OrigineDesignation", "SuiteVisite", "MotifRefus",
    "CritereCotation", "CategorieCritere",
    "ListeGestionPartagee", "MotifSortieListe",
]
