"""The ``[connectors.commune_csv]`` section: who the commune is, where it holds reservations, how to reach it.

Off by default: a commune that has not said who it is (``entity``) and where it holds reservations (``communes``)
could stamp nothing on its designations and would receive nothing anyway.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl, SecretStr, model_validator

from contracts import CodeInsee
from hub import ConnectorSettings

__all__ = ["CommuneCsvSettings"]


class CommuneCsvSettings(ConnectorSettings):
    enabled: bool = Field(default=False, description="Off until configured with entity and communes.")
    communes: list[CodeInsee] = Field(
        default_factory=list, description="INSEE codes of the communes where the commune holds reservations.")
    delimiter: Literal[";", ","] = Field(default=";", description="CSV separator of the commune's exports.")
    endpoint: HttpUrl | None = Field(default=None, description="POST decisions here; files in the outbox when unset.")
    endpoint_token: SecretStr | None = Field(default=None, description="Sent as Authorization: Bearer.")
    timeout: float = Field(default=10.0, gt=0, le=120, description="Seconds to wait for the commune's tool.")

    @model_validator(mode="after")
    def _configured_when_enabled(self) -> "CommuneCsvSettings":
        if self.enabled and (self.entity is None or not self.communes):
            raise ValueError("entity and communes: both are required when the connector is enabled "
                             "(entity = { siren = ..., nom = ... }, communes = [\"63113\", ...])")
        return self
