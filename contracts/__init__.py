"""Relais contracts: the canonical language of shared social-housing demand management.

Importable alone (only pydantic is needed): ``from contracts import Envelope, REGISTRY, DecisionCal``.
Coded values are in :mod:`contracts.enums`, identifier types in :mod:`contracts.identifiers`; the versioning
policy is in ``contracts/README.md``.
"""

from contracts.base import Contract, EventData, LegalEntity, personal
from contracts.demande import ChampDemande, Demande, champs_modifies
from contracts.envelope import Envelope
from contracts.errors import describe_validation_error
from contracts.identifiers import CodeInsee, CodeQpv, NumeroUnique, Rpls, Siren, Siret
from contracts.registry import REGISTRY, EventRegistry, UnknownEventType, parse_event, register_event
from contracts.events import *  # noqa: F401,F403  (registers every event type)
from contracts.events import __all__ as _events_all

#: Version of the contracts as a whole (the AsyncAPI document's info.version). Event types carry their own.
CONTRACTS_VERSION = "1.0.0"

__all__ = [
    "Contract", "EventData", "LegalEntity", "personal", "Envelope", "REGISTRY", "EventRegistry", "UnknownEventType",
    "parse_event", "register_event", "Demande", "ChampDemande", "champs_modifies", "describe_validation_error",
    "NumeroUnique", "Rpls", "CodeInsee", "Siren", "Siret", "CodeQpv", "CONTRACTS_VERSION", *_events_all,
]
