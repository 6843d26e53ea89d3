"""The hub's settings: one object, read from ``relais.toml`` (or the file named by ``RELAIS_CONFIG`` / ``--config``)
and overridden by ``RELAIS_*`` environment variables (``RELAIS_BROKER_URL``, ``RELAIS_JOURNAL_URL``,
``RELAIS_CONNECTORS__BAILLEURS__INBOX`` …).

With no configuration at all the hub runs embedded: SQLite journal and in-process bus under ``./var/relais``.
Each connector's section (``[connectors.NAME]``) is validated by that connector's own settings model, at start.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

__all__ = ["HubSettings", "RetrySettings", "load_settings"]


class RetrySettings(BaseModel):
    """Exponential backoff with jitter for deliveries that fail transiently."""

    max_attempts: int = Field(default=8, ge=1, le=100)
    base_delay: float = Field(default=1.0, gt=0, description="Seconds before the first retry.")
    max_delay: float = Field(default=3600.0, gt=0, description="Cap on one wait, in seconds.")
    jitter: float = Field(default=0.5, ge=0, le=1, description="Fraction of the delay drawn at random.")


class HubSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELAIS_", env_nested_delimiter="__", extra="forbid")

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
    batch_wait: float = Field(default=0.05, gt=0, le=5, description="Longest wait to fill a batch, seconds.")
    poll_interval: float = Field(default=1.0, gt=0, description="How often inbox directories are scanned.")
    delivery_timeout: float = Field(default=60.0, gt=0, description="A partner call longer than this is abandoned and retried.")
    lease: float = Field(default=300.0, gt=0, description="A claimed delivery whose worker vanished is retaken after this.")
    stale_dispatch: float = Field(default=60.0, gt=0, description="Safety net: open deliveries untouched this long are dispatched again when the queue is idle.")
    retry: RetrySettings = Field(default_factory=RetrySettings)
    metrics_port: int | None = Field(default=None, description="Serve Prometheus metrics on this port.")
    metrics_host: str = "127.0.0.1"
    seed_examples: bool = Field(default=True, description="On first start of an empty HOME, copy the example inbox.")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource):
        config = os.environ.get("RELAIS_CONFIG") or ("relais.toml" if Path("relais.toml").exists() else None)
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
        return tuple(sources)

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


def load_settings(config: str | Path | None = None, **overrides: Any) -> HubSettings:
    if config is not None:
        os.environ["RELAIS_CONFIG"] = str(config)
    return HubSettings(**overrides)
