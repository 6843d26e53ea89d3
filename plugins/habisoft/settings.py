"""Settings of the Habisoft connector (section ``[connectors.habisoft]``): where to POST deliveries, if anywhere.

Without ``endpoint`` deliveries are files in the outbox (``<event id>.xml``), which is how a fichier partagé that
imports files picks them up."""

from __future__ import annotations

from pathlib import Path

from pydantic import AnyHttpUrl, Field, SecretStr

from hub import ConnectorSettings

__all__ = ["HabisoftSettings"]


class HabisoftSettings(ConnectorSettings):
    endpoint: AnyHttpUrl | None = Field(default=None, description="URL receiving one POSTed document per event.")
    token: SecretStr | None = Field(default=None, description="Bearer token for the endpoint, if it needs one.")
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    connect_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    ca_bundle: Path | None = Field(default=None, description="CA certificates to trust for the endpoint.")
