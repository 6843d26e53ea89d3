"""Settings of the SNE connector (section ``[connectors.sne]``): where the SNE's SOAP endpoint is, how long to wait
for it, how to authenticate, which interface version to write, how often to pull from it.

Without ``endpoint`` the connector works on files only: inbound documents in its inbox, deliveries in its outbox
(the default, and what a territory uses while its SNE access is being set up)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr, model_validator

from contracts import LegalEntity
from hub import ConnectorSettings

__all__ = ["SneSettings", "SNE_ENTITY"]

#: The legal entity answerable for the SNE's records that name no desk with a SIREN, no landlord and no sender:
#: the system of record itself (managed by the GIP SNE, CCH L441-2-1). Why a default: the SNE's own documents (the
#: public sample included) name no emetteur, and a fresh install must import them as delivered.
#: The SIREN is a placeholder with a valid check digit, pending the GIP SNE's own: a territory that knows it sets
#: ``entity`` in ``[connectors.sne]``, which takes precedence.
SNE_ENTITY = LegalEntity(siren="130000003", nom="Système national d'enregistrement (GIP SNE)")


class SneSettings(ConnectorSettings):
    endpoint: AnyHttpUrl | None = Field(
        default=None, description="URL of the SNE's SOAP 1.2 service (https://host is completed with "
        "/services/DemandeLogementImplService/); unset: deliveries go to the outbox.")
    timeout_seconds: float = Field(default=30.0, gt=0, le=600, description="Read/write timeout of one SOAP call.")
    connect_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    username: str | None = Field(default=None, description="HTTP basic authentication, if the endpoint needs it.")
    password: SecretStr | None = None
    ca_bundle: Path | None = Field(default=None, description="CA certificates to trust for the endpoint.")
    client_certificate: Path | None = Field(
        default=None, description="The desk's certificate (PEM) issued for the SNE: presented in the TLS handshake "
        "and attached to the requests that need it (certificat).")
    client_key: Path | None = Field(default=None, description="Its private key (PEM), if not in the same file.")
    numero_guichet: str | None = Field(
        default=None, pattern=r"^[A-Z0-9][A-Z0-9_-]{0,19}$",
        description="The desk's number at the SNE, which names the attachments (DEM<numero>-…xml, CER<numero>-…pem).")
    generic_failure_retries: int = Field(
        default=2, ge=0, le=10, description="How many times a call answered by the SNE's generic failure ('Une "
        "erreur inattendue est survenue…') is tried again before the message is dead-lettered.")
    version_interface: Literal["02.00", "02.01"] = Field(
        default="02.01", description="versionInterface written on outbound documents (both are read).")
    poll_every_seconds: float | None = Field(
        default=3600.0, gt=0, description="With an endpoint: how often radiations and new DALO households are "
        "pulled (demandesRadieesDepuisLe, nouveauxDaloDepuisLe); unset to pull only with `relais poll`.")
    poll_first_days: int = Field(
        default=1, ge=0, le=3650, description="The very first pull (no cursor yet) fetches what changed since this "
        "many days ago; later pulls resume from the last one's date.")

    @model_validator(mode="after")
    def _pairs(self) -> "SneSettings":
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password: give both or neither")
        if self.client_key is not None and self.client_certificate is None:
            raise ValueError("client_key: requires client_certificate")
        return self
