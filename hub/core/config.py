"""The settings the hub's runtime needs, as types: defined here, in the core, and built by the faces.

Why apart from :mod:`hub.settings`: the runtime (journal, bus, delivery, gateway limits) must not depend on how its
settings are read (``relais.toml``, ``RELAIS_*`` variables, a test's keyword arguments). :mod:`hub.settings` makes a
:class:`RuntimeSettings` from those sources (``HubSettings``); an embedding application may build one directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["RuntimeSettings", "RetrySettings"]


class RetrySettings(BaseModel):
    """Exponential backoff with jitter for deliveries that fail transiently."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=8, ge=1, le=100)
    base_delay: float = Field(default=1.0, gt=0, description="Seconds before the first retry.")
    max_delay: float = Field(default=3600.0, gt=0, description="Cap on one wait, in seconds.")
    jitter: float = Field(default=0.5, ge=0, le=1, description="Fraction of the delay drawn at random.")


class RuntimeSettings(BaseModel):
    """Every setting of the hub (the README's settings table documents each one)."""

    model_config = ConfigDict(extra="forbid")

    home: Path = Field(default=Path("var/relais"), description="Where the embedded journal, inboxes and outboxes live.")
    journal_url: str | None = Field(default=None, description="SQLAlchemy URL; default sqlite:///HOME/journal.sqlite3.")
    broker_url: str = Field(default="memory://", description="memory:// (embedded) or amqp://user:pass@host:5672//.")
    broker_password: SecretStr | None = Field(default=None, description="Replaces the password of broker_url if set.")
    namespace: str = Field(default="relais", pattern=r"^[a-z][a-z0-9_-]*$",
                           description="Prefix of exchange and queue names (several hubs on one broker).")
    connectors: dict[str, dict[str, Any]] = Field(default_factory=dict)
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    batch_size: int = Field(default=500, ge=1, le=10_000, description="Events per journal transaction / bus batch.")
    batch_wait: float = Field(default=0.05, gt=0, le=5, description=(
        "A delivery worker waits up to 10 × this for a first message, seconds; a batch closes once its queue is idle."))
    poll_interval: float = Field(default=1.0, gt=0, description="How often inbox directories are scanned.")
    delivery_timeout: float = Field(default=60.0, gt=0, description="A partner call longer than this is abandoned and retried.")
    journal_timeout: float = Field(default=10.0, gt=0, le=600, description="Seconds to connect to the journal, and "
                                   "the longest the gateway waits for it before answering 503 (/healthz too).")
    journal_auto_upgrade: bool = Field(default=True, description="Apply the journal's pending schema migrations "
                                       "when the hub or a command opens it (under a lock); false: refuse to start "
                                       "on a journal that is behind, until `relais db upgrade`.")
    journal_statement_timeout: float = Field(default=60.0, gt=0, description="PostgreSQL: a statement running "
                                             "longer is cancelled (and retried by its caller).")
    gateway_read_timeout: float = Field(default=10.0, gt=0, le=600, description="Seconds a client may take to send "
                                        "its request headers, or stay silent while sending its body (408).")
    gateway_keep_alive: float = Field(default=5.0, gt=0, le=600, description="Seconds an idle connection is kept.")
    gateway_max_connections: int = Field(default=256, ge=1, description="Connections and requests served at once; "
                                         "beyond, 503.")
    gateway_max_requests_per_partner: int = Field(default=16, ge=1, description="Requests of one connector in "
                                                  "progress at once; beyond, 429 with Retry-After.")
    gateway_rate_per_partner: float = Field(default=50.0, ge=0, description="Requests per second one partner may "
                                            "make, on average (0: no limit); beyond, 429 with Retry-After.")
    gateway_burst_per_partner: int = Field(default=100, ge=1, description="Requests one partner may make at once "
                                           "above its rate before being limited.")
    gateway_tls_certfile: Path | None = Field(default=None, description="The gateway's TLS certificate (PEM): "
                                              "serve HTTPS.")
    gateway_tls_keyfile: Path | None = Field(default=None, description="The private key of gateway_tls_certfile.")
    gateway_tls_client_ca: Path | None = Field(default=None, description="CA certificates (PEM) of partners' client "
                                               "certificates: mutual TLS; a certificate's subject registered with "
                                               "`relais partners cert add` authenticates its partner.")
    access_rules: Path | None = Field(default=None, description="TOML file of the territory's access rules "
                                      "(who may receive which demands); default: the rules shipped with Relais.")
    lease: float = Field(default=300.0, gt=0, description="A claimed delivery whose worker vanished is retaken after this.")
    stale_dispatch: float = Field(default=60.0, gt=0, description="Safety net: open deliveries untouched this long are dispatched again when the queue is idle.")
    retry: RetrySettings = Field(default_factory=RetrySettings)
    metrics_port: int | None = Field(default=None, description="Serve Prometheus metrics on this port.")
    metrics_host: str = "127.0.0.1"
    seed_examples: bool | None = Field(
        default=None, description="Copy the example CAL decisions into a fresh HOME on first start (a demo). "
                                  "Default: only when no configuration at all was given (no relais.toml, no "
                                  "--config, no RELAIS_* variable).")

    @property
    def journal(self) -> str:
        return self.journal_url or f"sqlite:///{(self.home / 'journal.sqlite3').resolve()}"

    @property
    def broker(self) -> str:
        if self.broker_password is None or "@" not in self.broker_url:
            return self.broker_url
        scheme, rest = self.broker_url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:{self.broker_password.get_secret_value()}@{host}"

    @property
    def embedded(self) -> bool:
        return not self.broker_url.startswith(("amqp", "pyamqp"))
