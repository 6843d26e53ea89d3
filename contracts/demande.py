"""The housing demand as filed on CERFA 14069: the one model every partner's format maps to.

Sections: applicant (``demandeur``) and co-applicant (``cotitulaire``); dependants (``personnes_a_charge``), children
in shared custody and expected children (together, the household composition); resources (inside each person);
professional situation (idem); current housing (``logement_actuel``); reasons (``motifs``); wishes (``souhaits``);
disability complement (``handicap``); DALO and priority facts (``priorite``); mutation (``mutation``); dates.

Also here: :data:`ChampDemande`, a validated path into a Demande (``"demandeur.ressources.mensuelles[0].code"``), used
by modification events to say which fields changed, and :func:`champs_modifies` which computes them.
"""

from __future__ import annotations

import re
import types
from datetime import date
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from contracts.base import PERSONAL_MODEL, Contract, personal
from contracts.enums import (
    AideTechnique, CapaciteMarche, CriterePrioriteL441, EquipementHandicap, EtatHandicap, MotifDemande,
    NatureHandicapMoteur, NatureHandicapSensoriel, PersonneConcernee, SituationLogementActuel,
)
from contracts.logement import LogementActuel, Mutation, Souhaits
from contracts.menage import Cotitulaire, Demandeur, EnfantEnGarde, EnfantsAttendus, PersonneACharge
from contracts.scalars import NumeroRecours, Texte

__all__ = ["Demande", "Handicap", "SituationPrioritaire", "SourceElement", "ChampDemande", "check_champ_demande",
           "champs_demande",
           "champs_modifies"]


class Handicap(Contract):
    """The CERFA's disability complement. Health data: personal as a whole."""

    model_config = ConfigDict(**PERSONAL_MODEL)

    personnes: tuple[PersonneConcernee, ...] = Field(default=(), description="Who in the household is disabled.")
    etat: EtatHandicap | None = None
    capacite_marche: CapaciteMarche | None = None
    natures_moteur: tuple[NatureHandicapMoteur, ...] = ()
    natures_sensoriel: tuple[NatureHandicapSensoriel, ...] = ()
    psychique_mental: bool | None = None
    aides_techniques: tuple[AideTechnique, ...] = ()
    equipements_necessaires: tuple[EquipementHandicap, ...] = ()
    logement_adapte_requis: bool | None = None


class SituationPrioritaire(Contract):
    """DALO and priority facts declared on the demand (the decisions themselves are events of their own)."""

    recours_dalo: bool | None = Field(default=None, description="A DALO appeal has been filed.")
    numero_recours_dalo: NumeroRecours | None = None
    prioritaire_dalo: bool | None = Field(default=None, description="Recognised 'prioritaire et urgent'.")
    date_decision_dalo: date | None = None
    criteres_l441_1: tuple[CriterePrioriteL441, ...] = Field(
        default=(), description="Priority situations of CCH L441-1 the household declares.")
    suivi_travailleur_social: bool | None = None
    labellise_siao: bool | None = None


class SourceElement(Contract):
    """An element of a partner's document that no field of the contracts holds, kept as received.

    Why: nothing a partner sent may be lost on the way in (an element a newer version of its format added, a second
    co-applicant…). Its content is whatever the partner wrote: personal as a whole."""

    model_config = ConfigDict(**PERSONAL_MODEL)

    path: str = Field(min_length=1, max_length=500,
                      description="Where it was in the partner's document (slash-separated element names).")
    xml: str = Field(min_length=1, max_length=200_000, description="The element as received, serialised as XML.")
    reason: str = Field(min_length=1, max_length=200, description="Why no field holds it.")


class Demande(Contract):
    """A demand's full content at one point in time (CERFA 14069)."""

    demandeur: Demandeur
    cotitulaire: Cotitulaire | None = None
    personnes_a_charge: tuple[PersonneACharge, ...] = ()
    enfants_en_garde: tuple[EnfantEnGarde, ...] = ()
    enfants_attendus: EnfantsAttendus | None = None
    logement_actuel: LogementActuel | None = None
    motifs: tuple[MotifDemande, ...] = Field(default=(), description="Reasons for the demand.")
    motif_precision: Texte | None = personal(None, description="Free text for 'autre motif'.")
    souhaits: Souhaits = Souhaits()
    handicap: Handicap | None = None
    priorite: SituationPrioritaire = SituationPrioritaire()
    mutation: Mutation | None = None
    date_depot: date | None = Field(default=None, description="When the applicant filed the demand.")
    date_enregistrement: date | None = Field(default=None, description="When a desk registered it (numéro unique).")
    date_dernier_renouvellement: date | None = None
    accepte_voie_electronique: bool | None = Field(
        default=None, description="The applicant accepted to be notified by e-mail (renewal notice 2 months before "
        "the anniversary instead of 1 in the Puy-de-Dôme rules); None: not said, treated as no.")
    extensions: tuple[SourceElement, ...] = Field(
        default=(), description="What the partner's document held that no field above carries, kept as received.")

    @model_validator(mode="after")
    def _coherent(self) -> "Demande":
        if self.date_depot and self.date_enregistrement and self.date_enregistrement < self.date_depot:
            raise ValueError("date_enregistrement: earlier than date_depot")
        if (self.date_enregistrement and self.date_dernier_renouvellement
                and self.date_dernier_renouvellement < self.date_enregistrement):
            raise ValueError("date_dernier_renouvellement: earlier than date_enregistrement")
        if self.mutation is not None and not self.est_mutation():
            raise ValueError("mutation: only for a current social tenant (logement_actuel.situation = HLM)")
        if len(set(self.motifs)) != len(self.motifs):
            raise ValueError("motifs: a reason is listed twice")
        return self

    def est_mutation(self) -> bool:
        """Whether the applicant is a current social tenant (a mutation demand)."""
        return (self.logement_actuel is not None
                and self.logement_actuel.situation is SituationLogementActuel.LOCATAIRE_HLM)

    def taille_menage(self) -> int:
        """Number of people to house: applicant, co-applicant, dependants and expected children."""
        attendus = self.enfants_attendus.nombre if self.enfants_attendus else 0
        return 1 + (self.cotitulaire is not None) + len(self.personnes_a_charge) + attendus

    def communes_souhaitees(self) -> frozenset[str]:
        return frozenset(self.souhaits.communes)


# --- paths into a Demande -------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"([a-z_][a-z0-9_]*)(?:\[([0-9]+)\])?")


def _unwrap(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(model inside the annotation or None, whether it is a sequence)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return _unwrap(members[0]) if len(members) == 1 else (None, False)
    if origin is tuple:
        inner, _ = _unwrap(get_args(annotation)[0])
        return inner, True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def check_champ_demande(path: str) -> str:
    """Validate a path into a Demande: dotted field names, ``[i]`` after a list field."""
    model: type[BaseModel] | None = Demande
    walked = ""
    for segment in path.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            raise ValueError(f"champ {path!r}: {segment!r} is not a field name, optionally followed by [index]")
        if model is None:
            raise ValueError(f"champ {path!r}: {walked!r} has no sub-fields")
        name, index = match.groups()
        info = model.model_fields.get(name)
        if info is None:
            raise ValueError(f"champ {path!r}: {model.__name__} has no field {name!r}")
        model, is_sequence = _unwrap(info.annotation)
        if index is not None and not is_sequence:
            raise ValueError(f"champ {path!r}: {name!r} is not a list, it takes no [index]")
        walked = f"{walked}.{segment}" if walked else segment
    return path


ChampDemande = Annotated[str, AfterValidator(check_champ_demande), WithJsonSchema({
    "type": "string", "pattern": r"^[a-z_][a-z0-9_]*(\[[0-9]+\])?(\.[a-z_][a-z0-9_]*(\[[0-9]+\])?)*$",
    "maxLength": 200, "description": "Path of a field of the Demande, e.g. demandeur.ressources.mensuelles[0].code.",
})]


def champs_demande(model: type[BaseModel] = Demande, prefix: str = "") -> list[str]:
    """Every field path of a Demande (lists without index), parents before children: documentation and tests."""
    paths: list[str] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        paths.append(path)
        inner, _ = _unwrap(info.annotation)
        if inner is not None:
            paths.extend(champs_demande(inner, path + "."))
    return paths


def champs_modifies(avant: Demande, apres: Demande) -> tuple[str, ...]:
    """The leaf paths whose value differs between two states of a demand, for ``champs_modifies`` of events.

    A list whose length changed is reported as a whole; lists of models of equal length are compared item by item.
    """
    return tuple(_diff(avant, apres, ""))


def _diff(old: Any, new: Any, path: str) -> list[str]:
    if old == new:
        return []
    if isinstance(old, BaseModel) and isinstance(new, BaseModel) and type(old) is type(new):
        changed: list[str] = []
        for name in type(old).model_fields:
            changed.extend(_diff(getattr(old, name), getattr(new, name), f"{path}.{name}" if path else name))
        return changed
    if (isinstance(old, tuple) and isinstance(new, tuple) and len(old) == len(new)
            and all(isinstance(item, BaseModel) for item in old + new)):
        changed = []
        for index, (a, b) in enumerate(zip(old, new)):
            changed.extend(_diff(a, b, f"{path}[{index}]"))
        return changed
    return [path]
