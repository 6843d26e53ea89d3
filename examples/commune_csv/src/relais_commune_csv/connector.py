"""The commune_csv connector: a réservataire commune's housing tool on the hub."""

from __future__ import annotations

from typing import Any

from contracts import Envelope
from hub import ConfigurationError, Connector, ConnectorContext, HttpTarget, OutboundMessage, PartnerRole, RawMessage

from relais_commune_csv import __version__
from relais_commune_csv.codec import decode_designations, encode_decision
from relais_commune_csv.settings import CommuneCsvSettings

__all__ = ["CommuneCsvConnector"]


class CommuneCsvConnector(Connector):
    """Designations in (CSV); the commissions' decisions on the commune's dwellings out (JSON).

    As a réservataire it is delivered only events about its ``communes``: the hub's access policy decides that,
    not this class — a decision about another commune is recorded as *denied* and never reaches ``encode``."""

    name = "commune_csv"
    version = __version__
    role = PartnerRole.RESERVATAIRE
    subscriptions = ("decision_cal.*",)
    emits = ("designation_candidat.*",)
    settings_model = CommuneCsvSettings
    file_suffixes = (".csv",)

    settings: CommuneCsvSettings

    def __init__(self, settings: CommuneCsvSettings, context: ConnectorContext):
        super().__init__(settings, context)
        self.target: HttpTarget | None = None
        if settings.endpoint is not None:
            token = settings.endpoint_token
            headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}
            self.target = HttpTarget(str(settings.endpoint), timeout=settings.timeout, headers=headers)

    def decode(self, raw: RawMessage):
        if self.settings.entity is None:   # the settings model requires it once enabled
            raise ConfigurationError("connectors.commune_csv.entity is not set")
        return decode_designations(raw, source=self.name, entity=self.settings.entity,
                                   communes=self.settings.communes, delimiter=self.settings.delimiter)

    def encode(self, event: Envelope[Any]) -> OutboundMessage:
        return OutboundMessage(body=encode_decision(event), filename=f"{event.id}.json")

    def deliver(self, event: Envelope[Any], message: OutboundMessage) -> None:
        if self.target is None:
            super().deliver(event, message)
        else:
            self.target.post(event, message)

    def close(self) -> None:
        if self.target is not None:
            self.target.close()
