"""Every table of the Habisoft format, in one place: which events it carries and under which element name, how
lists name their items, and the code lists it uses.

Why the codes are the contracts' own: a fichier partagé must follow the national specifications (the SNE's code
lists, which the contracts keep as values) and Relais defines this format for everything else, so a Habisoft code
*is* the contract code; writing the tables out still makes each one reviewable, and the tests walk every member of
every list both ways and compare them with the XSD.
"""

from __future__ import annotations

from enum import Enum

from contracts import REGISTRY

__all__ = ["EVENEMENTS", "EVENT_TYPES", "ITEM_NAMES", "FIELD_NAMES", "element_name", "code_lists",
           "public_elements", "HISTORIQUE", "DEMANDE", "PRIORITE"]

#: The demand's lifecycle, of which the fichier partagé is a system of record.
DEMANDE = {
    "demandeEnregistree": "demande_enregistree.v1", "attestationEnregistrementDelivree":
    "attestation_enregistrement_delivree.v1", "demandeModifiee": "demande_modifiee.v1",
    "demandeRectifiee": "demande_rectifiee.v1", "demandeRenouvelee": "demande_renouvelee.v1",
    "avisRenouvellementEnvoye": "avis_renouvellement_envoye.v1", "miseEnDemeureEnvoyee":
    "mise_en_demeure_envoyee.v1", "demandeRadiee": "demande_radiee.v1", "demandeReactivee": "demande_reactivee.v1",
    "demandeSupprimee": "demande_supprimee.v1", "doublonDetecte": "doublon_detecte.v1",
    "numerosFusionnes": "numeros_fusionnes.v1", "pieceDeposee": "piece_deposee.v1",
    "pieceDemandee": "piece_demandee.v1", "pieceMarquee": "piece_marquee.v1",
}
#: The processing history (historique) Habisoft keeps for every demand: from designation to lease.
HISTORIQUE = {
    "designationCandidat": "designation_candidat.v1", "inscriptionCal": "inscription_cal.v1",
    "visiteProposee": "visite_proposee.v1", "visiteEffectuee": "visite_effectuee.v1",
    "decisionCal": "decision_cal.v1", "refusDemandeur": "refus_demandeur.v1", "bailSigne": "bail_signe.v1",
    "attributionReportee": "attribution_reportee.v1",
}
#: Priority facts shared through the fichier partagé.
PRIORITE = {
    "labelPrioritairePose": "label_prioritaire_pose.v1", "labelPrioritaireLeve": "label_prioritaire_leve.v1",
    "contingentsEligibles": "contingents_eligibles.v1", "decisionDalo": "decision_dalo.v1",
}
#: Element name of an ``evenement``'s payload → the contract event type it carries.
EVENEMENTS: dict[str, str] = {**DEMANDE, **HISTORIQUE, **PRIORITE}
#: The reverse: event type → payload element name.
EVENT_TYPES: dict[str, str] = {event_type: name for name, event_type in EVENEMENTS.items()}

#: A list field is a wrapper element named after the field holding one element per item, named here.
ITEM_NAMES: dict[str, str] = {
    "personnes_a_charge": "personneACharge", "enfants_en_garde": "enfantEnGarde", "motifs": "motif",
    "personnes": "personne", "natures_moteur": "natureMoteur", "natures_sensoriel": "natureSensoriel",
    "aides_techniques": "aideTechnique", "equipements_necessaires": "equipement", "criteres_l441_1": "critere",
    "mensuelles": "ressource", "communes": "commune", "typologies": "typologie", "champs_modifies": "champ",
    "champs_rectifies": "champ", "situations": "situation", "typologies_preconisees": "typologie",
    "contingents": "contingent", "communes_souhaitees": "commune", "doublons": "numeroUnique", "numeros_fusionnes": "numeroUnique",
    "extensions": "extension",
}
#: Field names whose mechanical camelCase would read badly.
FIELD_NAMES: dict[str, str] = {"criteres_l441_1": "criteresL441"}


def element_name(field: str) -> str:
    """The element for a contract field: lowerCamelCase of the snake_case name (``numero_unique`` →
    ``numeroUnique``), unless :data:`FIELD_NAMES` says otherwise."""
    if field in FIELD_NAMES:
        return FIELD_NAMES[field]
    head, *rest = field.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def code_lists() -> dict[str, type[Enum]]:
    """``Liste<Enum>`` → enum, for every coded value reachable from the carried events (computed from the
    contracts, so a new enum in a carried event is listed without touching this module)."""
    from plugins.habisoft.binder import reachable_enums

    models = [REGISTRY.model_for(event_type) for event_type in EVENEMENTS.values()]
    return {f"Liste{enum.__name__}": enum for enum in reachable_enums(models)}



def public_elements() -> frozenset[str]:
    """Element names whose values may appear in error messages: those of fields the contracts do not mark as
    personal data, minus any name that is personal somewhere (``nom`` of a legal entity is public, ``nom`` of a
    person is not: the name is then masked everywhere). Computed from the contracts' own marks."""
    from contracts import LegalEntity
    from contracts.base import is_personal_field, is_personal_model
    from plugins.habisoft.binder import reachable_models

    models = reachable_models([REGISTRY.model_for(t) for t in EVENEMENTS.values()] + [LegalEntity])
    public: set[str] = set()
    personal: set[str] = set()
    for model in models:
        for field, info in model.model_fields.items():
            names = {element_name(field), ITEM_NAMES.get(field, "")} - {""}
            (personal if is_personal_model(model) or is_personal_field(info) else public).update(names)
    return frozenset(public - personal)
