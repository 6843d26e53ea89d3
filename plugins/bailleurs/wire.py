"""The landlords' wire formats as pydantic models: what a CALEOL export may say, record by record.

Why models of their own rather than the contracts alone: a record on the wire carries what the canonical event does
not — its ``type`` and the landlord's own ``id`` (the resend key) — and the JSON Schemas committed in ``schemas/``
are generated from these models (``python -m plugins.bailleurs.schema``), so that what the decoder accepts and what
a landlord's integrator validates against cannot drift apart.

Each record model is its event's contract plus ``type`` and ``id``: the contract's own rules (a designation by a
réservataire names it, an ``attribution_rang`` carries its ``rang``…) apply to the record unchanged.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from contracts import (
    AttributionReportee,
    BailSigne,
    DecisionCal,
    DesignationCandidat,
    EventData,
    InscriptionCal,
    LegalEntity,
    RefusDemandeur,
    VisiteEffectuee,
    VisiteProposee,
)

__all__ = [
    "CSV_FORMAT",
    "DECISIONS_FORMAT",
    "EVENEMENTS_FORMAT",
    "RECORDS",
    "DecisionRecord",
    "DecisionsDocument",
    "EvenementsDocument",
    "IdEvenement",
    "Record",
    "occurred_on",
    "to_event_data",
]

DECISIONS_FORMAT = "relais.bailleurs.decisions_cal/1"
EVENEMENTS_FORMAT = "relais.bailleurs.evenements/1"
CSV_FORMAT = "relais.bailleurs.caleol_csv/1"

#: The landlord's own id of a record: stable, unique among all its records (of every type).
IdEvenement = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$",
                                   description="The landlord's own id of this record, stable and unique among all "
                                               "its records of every type: a resent record is recognised by "
                                               "siren:id and journaled once; the same id with other content is "
                                               "refused (409).")]


def _record(contract: type[EventData], type_name: str, date_field: str) -> type[BaseModel]:
    """The wire model of one event type: the contract with ``type`` and ``id`` (frozen, unknown fields refused),
    knowing its ``contract`` and the field dating the fact (``date_field``: the event's time is that day at
    midnight, Europe/Paris)."""
    model = type(f"{contract.__name__}Record", (contract,), {
        "__annotations__": {"type": Literal[type_name], "id": IdEvenement,  # type: ignore[valid-type]
                            "contract": ClassVar[type[EventData]], "date_field": ClassVar[str]},
        "__doc__": f"One ``{type_name}`` record: {(contract.__doc__ or '').strip()}",
        "__module__": __name__,
        "model_config": ConfigDict(frozen=True, extra="forbid", title=type_name),
        "contract": contract, "date_field": date_field,
    })
    return model


#: type name on the wire → its record model (the order is the README's and the CSV's).
RECORDS: dict[str, type[BaseModel]] = {
    name: _record(contract, name, date_field) for name, contract, date_field in (
        ("designation_candidat", DesignationCandidat, "date_designation"),
        ("inscription_cal", InscriptionCal, "date_commission"),
        ("visite_proposee", VisiteProposee, "date_proposition"),
        ("visite_effectuee", VisiteEffectuee, "date_visite"),
        ("decision_cal", DecisionCal, "date_commission"),
        ("refus_demandeur", RefusDemandeur, "date_refus"),
        ("bail_signe", BailSigne, "date_signature"),
        ("attribution_reportee", AttributionReportee, "date_attribution"),
    )
}

#: Any record of ``relais.bailleurs.evenements/1``, selected by its ``type``.
Record = Annotated[Union[tuple(RECORDS.values())], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007


class DecisionRecord(DecisionCal):
    """One decision of ``relais.bailleurs.decisions_cal/1``: a :class:`~contracts.DecisionCal` with its id."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="Decision")
    contract: ClassVar[type[EventData]] = DecisionCal
    date_field: ClassVar[str] = "date_commission"

    id: IdEvenement


class DecisionsDocument(BaseModel):
    """``relais.bailleurs.decisions_cal/1``: one landlord's CAL decisions (the format of the first release)."""

    model_config = ConfigDict(extra="forbid", title="decisions_cal/1")

    format: Literal["relais.bailleurs.decisions_cal/1"]
    bailleur: LegalEntity
    correlation_id: str | None = Field(default=None, max_length=128, description="Copied to every event (the "
                                       "envelope's correlationid: 128 characters at most).")
    decisions: list[DecisionRecord] = Field(min_length=1)


class EvenementsDocument(BaseModel):
    """``relais.bailleurs.evenements/1``: one landlord's events of the attribution chain, from designation to lease,
    each a typed record."""

    model_config = ConfigDict(extra="forbid", title="evenements/1")

    format: Literal["relais.bailleurs.evenements/1"]
    bailleur: LegalEntity
    correlation_id: str | None = Field(default=None, max_length=128, description="Copied to every event (the "
                                       "envelope's correlationid: 128 characters at most).")
    evenements: list[Record] = Field(min_length=1)  # type: ignore[valid-type]


def to_event_data(record: BaseModel) -> EventData:
    """The canonical payload of a validated record (its contract, without ``type`` and ``id``)."""
    contract: type[EventData] = record.contract
    return contract.model_validate(record.model_dump(exclude={"type", "id"}))


def occurred_on(record: BaseModel) -> date:
    """The day the fact happened (a decision's commission, a lease's signature), not the day the file came."""
    value: Any = getattr(record, record.date_field)
    return value
