"""Building blocks shared by every contract: the frozen model base, the legal entity, and the personal-data marker.

Kept apart from the envelope so that payload modules can import them without a cycle.

Personal data (names, birth dates, incomes, addresses, free text…) is marked *in the model* with :func:`personal`
(a field) or :data:`PERSONAL_MODEL` (a whole model, e.g. an address). The mark shows in JSON Schema as
``"x-personal": true`` and drives :func:`contracts.errors.describe_validation_error`, which never echoes a marked
value: the law forbids logs and dead-letter reasons from holding them (docs/architecture.md, invariant 4).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from contracts.identifiers import Siren

__all__ = ["Contract", "EventData", "LegalEntity", "personal", "is_personal_field", "is_personal_model",
           "PERSONAL_KEY", "PERSONAL_MODEL"]

#: JSON Schema extension keyword marking personal data.
PERSONAL_KEY = "x-personal"

#: ``model_config`` fragment marking every field of a model as personal (an address, a health complement).
PERSONAL_MODEL = ConfigDict(json_schema_extra={PERSONAL_KEY: True})


def personal(default: Any = PydanticUndefined, **kwargs: Any) -> Any:
    """A ``Field`` marked as personal data; same arguments as :func:`pydantic.Field`."""
    return Field(default, json_schema_extra={PERSONAL_KEY: True}, **kwargs)


def is_personal_field(info: FieldInfo) -> bool:
    """Whether a model field was declared with :func:`personal`."""
    extra = info.json_schema_extra
    return isinstance(extra, dict) and extra.get(PERSONAL_KEY) is True


def is_personal_model(model: type[BaseModel]) -> bool:
    """Whether a whole model was declared personal with :data:`PERSONAL_MODEL`."""
    extra = model.model_config.get("json_schema_extra")
    return isinstance(extra, dict) and extra.get(PERSONAL_KEY) is True


class Contract(BaseModel):
    """Base of every published model: immutable, and strict about unknown fields so that a typo in a partner's
    mapping is an error instead of silently dropped data."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class LegalEntity(Contract):
    """A personne morale: a landlord, a réservataire, the SIAO, the State's service, a desk.

    The law requires every change of a demand to be traced to one of these, so every envelope carries one.
    """

    siren: Siren = Field(description="SIREN number (9 digits, Luhn check digit).")
    nom: str = Field(min_length=1, max_length=200, description="Raison sociale.")


class EventData(Contract):
    """Base of every event payload.

    Subclasses set ``event_type`` (``name.vN``) and are registered in :mod:`contracts.registry`.
    """

    event_type: ClassVar[str]

    def subject(self) -> str | None:
        """The numéro unique the event is about, used as the envelope's subject; None for events about no demand."""
        return getattr(self, "numero_unique", None)

    def communes(self) -> frozenset[str]:
        """INSEE codes of the communes the event concerns; the access policy lets a réservataire see an event only
        when one of them is a commune where it holds reservations. Empty means "no commune known"."""
        return frozenset()
