"""The COMED's JSON format ``relais.dalo.decisions/1`` as pydantic models (the published format: ``schemas/
dalo_decisions.json`` is generated from them).

A decision is the contract's ``decision_dalo.v1`` payload (the decision — prioritaire et urgent, réorientation
hébergement, rejet, irrecevable, sans objet —, the appeal's number and dates, the CCH L441-2-3 situations, the
dwelling it calls for as the SNE's ``ListeTypologieLogementDalo`` code and/or the plain typologies, the State's
deadline) plus the COMED's own stable id of the decision.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts import LegalEntity
from contracts.events import DecisionDalo

__all__ = ["FORMAT", "OUTCOMES_FORMAT", "DecisionComed", "DecisionsDocument"]

FORMAT = "relais.dalo.decisions/1"
OUTCOMES_FORMAT = "relais.dalo.issues/1"


class DecisionComed(DecisionDalo):
    """One decision: ``decision_dalo.v1``'s fields and the COMED's id of it."""

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9/_.:-]*$",
                    description="The COMED's own stable id of this decision: a resent decision is recognised by it "
                                "and journaled once; the same id with other content is refused (409).")

    def decision_dalo(self) -> DecisionDalo:
        """The canonical payload, without the COMED's id (which becomes the event's source message id)."""
        return DecisionDalo.model_validate(self.model_dump(exclude={"id"}))


class DecisionsDocument(BaseModel):
    """A file or POST body: one COMED, one or more decisions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["relais.dalo.decisions/1"]
    comed: LegalEntity = Field(description="The COMED's legal entity (the State's service that runs it); with a "
                                           "partner key or in the partner's inbox directory, its own SIREN.")
    correlation_id: str | None = Field(default=None, max_length=128, description="Copied to every event (the "
                                       "envelope's correlationid: 128 characters at most).")
    decisions: list[DecisionComed] = Field(min_length=1)
