"""The SIAO's JSON format ``relais.siao.labels/1`` as pydantic models: what a SIAO posts or drops, in the SI-SIAO
vocabulary (the household's numéro unique, the SIAO demand and its dates, wished communes, the label and its basis,
préconisation, Syplo inscription, lifting a label).

Why models of its own and not the contracts: the SIAO speaks of one household at a time (one record may say the
SIAO labelled it, recommends a kind of housing and inscribed it in Syplo), while the contracts carry one fact per
event. These models are the published format (``schemas/siao_labels.json`` is generated from them) and the first
check of every record; :mod:`plugins.siao.codec` turns a valid record into its events.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts import LegalEntity
from contracts.enums import (
    CriterePrioriteL441,
    MotifLevee,
    ObjetTransmissionSiao,
    StatutSyplo,
    TypePreconisationSiao,
    Typologie,
)
from contracts.identifiers import CodeInsee, NumeroUnique
from contracts.scalars import ReferenceExterne

__all__ = [
    "FORMAT",
    "OUTCOMES_FORMAT",
    "DemandeSiao",
    "Label",
    "Levee",
    "Preconisation",
    "SiaoDocument",
    "SiaoRecord",
    "Syplo",
]

FORMAT = "relais.siao.labels/1"
OUTCOMES_FORMAT = "relais.siao.issues/1"

Fondement = Literal["siao", "pdalhpd", "l441_1"]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Basis(_Wire):
    fondement: Fondement = Field(description="The label's basis: `siao` (labelled by the SIAO), `pdalhpd` (priority "
                                             "public of the departmental plan), `l441_1` (one CCH L441-1 criterion, "
                                             "named in `critere`).")
    critere: CriterePrioriteL441 | None = Field(default=None, description="With `fondement` l441_1 only: which of "
                                                                          "the 12 criteria.")

    @model_validator(mode="after")
    def _critere_with_l441(self) -> _Basis:
        if (self.critere is not None) != (self.fondement == "l441_1"):
            raise ValueError("critere: required when fondement is l441_1, and only then")
        return self


class DemandeSiao(_Wire):
    """The household's demand at the SIAO (SI-SIAO record): what makes the hub know the SIAO oriented it."""

    reference: ReferenceExterne = Field(description="The SI-SIAO record's identifier.")
    date_demande: date = Field(description="When the demand reached the SIAO.")
    objet: ObjetTransmissionSiao = Field(default=ObjetTransmissionSiao.DEMANDE_LABELLISATION,
                                         description="Why: labelling, update, exit from accommodation.")


class Label(_Basis):
    """The SIAO recognises the household as priority."""

    date_decision: date
    date_fin_validite: date | None = None
    reference: ReferenceExterne | None = Field(default=None, description="The SIAO's decision reference.")

    @model_validator(mode="after")
    def _order(self) -> Label:
        if self.date_fin_validite is not None and self.date_fin_validite < self.date_decision:
            raise ValueError("date_fin_validite: earlier than date_decision")
        return self


class Levee(_Basis):
    """A label the SIAO had posed no longer applies."""

    date: date
    motif: MotifLevee | None = None


class Preconisation(_Wire):
    """The kind of housing or accommodation the SIAO recommends."""

    type: TypePreconisationSiao
    date: date
    typologies: tuple[Typologie, ...] = Field(default=(), max_length=7)
    accompagnement_social: bool | None = None


class Syplo(_Wire):
    """The household's inscription in Syplo, the State's priority-public tool."""

    statut: StatutSyplo
    date: date
    numero: ReferenceExterne | None = Field(default=None, description="Syplo number: only when INSCRIT.")

    @model_validator(mode="after")
    def _numero_only_when_inscribed(self) -> Syplo:
        if self.numero is not None and self.statut is not StatutSyplo.INSCRIT:
            raise ValueError("numero: only when statut is INSCRIT")
        return self


class SiaoRecord(_Wire):
    """One household: its SIAO demand and what the SIAO says of it now (at least one of the four blocks, or the
    demand alone to say the SIAO orients it)."""

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9/_.:-]*$",
                    description="The SIAO's own stable id of this record: a resent record is recognised by it and "
                                "journaled once; the same id with other content is refused (409).")
    numero_unique: NumeroUnique = Field(description="Numéro unique of the household's social-housing demand.")
    demande_siao: DemandeSiao
    communes_souhaitees: tuple[CodeInsee, ...] = Field(default=(), max_length=200, description=(
        "The communes the household wishes (INSEE codes): landlords of the territory and réservataires of these "
        "communes receive the label; none given, every landlord and no réservataire does."))
    label: Label | None = None
    preconisation: Preconisation | None = None
    syplo: Syplo | None = None
    levee: Levee | None = None


class SiaoDocument(_Wire):
    """A file or POST body: one SIAO, one or more records."""

    format: Literal["relais.siao.labels/1"]
    siao: LegalEntity = Field(description="The SIAO's legal entity; with a partner key or in the partner's inbox "
                                          "directory, its own SIREN.")
    correlation_id: str | None = Field(default=None, max_length=128, description="Copied to every event (the "
                                       "envelope's correlationid: 128 characters at most).")
    records: list[SiaoRecord] = Field(min_length=1)
