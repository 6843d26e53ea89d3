"""The hub's settings: one object, read from ``relais.toml`` (or the file named by ``RELAIS_CONFIG`` / ``--config``)
and overridden by ``RELAIS_*`` environment variables (``RELAIS_BROKER_URL``, ``RELAIS_JOURNAL_URL``,
``RELAIS_CONNECTORS__BAILLEURS__INBOX`` …).

With no configuration at all the hub runs embedded: SQLite journal and in-process bus under ``./var/relais``, and
(only then, unless ``seed_examples`` says otherwise) a fresh HOME receives the example CAL decisions as a demo.
Each connector's section (``[connectors.NAME]``) is validated by that connector's own settings model, at start.

In environment variables a list or a table is written as JSON (``RELAIS_CONNECTORS__BAILLEURS__API_KEYS='["k1"]'``).
:func:`load_settings` turns every problem — a missing file, a TOML syntax error, an unknown key (with the closest
valid one), an invalid value — into one :class:`~hub.core.errors.ConfigurationError` line.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from hub.core.errors import ConfigurationError

__all__ = ["HubSettings", "RetrySettings", "load_settings", "config_file", "NON_SETTING_VARIABLES"]

#: ``RELAIS_*`` environment variables that are not settings (plugin selection, the configuration file, test hooks).
NON_SETTING_VARIABLES = frozenset({"RELAIS_CONFIG", "RELAIS_PLUGINS", "RELAIS_PLUGINS_BLOCK", "RELAIS_EXTRA_PLUGINS",
                                   "RELAIS_FAILPOINTS"})


class RetrySettings(BaseModel):
    """Exponential backoff with jitter for deliveries that fail transiently."""

    model_config = ConfigDict(extra="forbid")

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
    journal_timeout: float = Field(default=10.0, gt=0, le=600, description="Seconds to connect to the journal, and "
                                   "the longest the gateway waits for it before answering 503 (/healthz too).")
    journal_statement_timeout: float = Field(default=60.0, gt=0, description="PostgreSQL: a statement running "
                                             "longer is cancelled (and retried by its caller).")
    gateway_read_timeout: float = Field(default=10.0, gt=0, le=600, description="Seconds a client may take to send "
                                        "its request headers, or stay silent while sending its body (408).")
    gateway_keep_alive: float = Field(default=5.0, gt=0, le=600, description="Seconds an idle connection is kept.")
    gateway_max_connections: int = Field(default=256, ge=1, description="Connections and requests served at once; "
                                         "beyond, 503.")
    gateway_max_requests_per_partner: int = Field(default=16, ge=1, description="Requests of one connector in "
                                                  "progress at once; beyond, 429 with Retry-After.")
    lease: float = Field(default=300.0, gt=0, description="A claimed delivery whose worker vanished is retaken after this.")
    stale_dispatch: float = Field(default=60.0, gt=0, description="Safety net: open deliveries untouched this long are dispatched again when the queue is idle.")
    retry: RetrySettings = Field(default_factory=RetrySettings)
    metrics_port: int | None = Field(default=None, description="Serve Prometheus metrics on this port.")
    metrics_host: str = "127.0.0.1"
    seed_examples: bool | None = Field(
        default=None, description="Copy the example CAL decisions into a fresh HOME on first start (a demo). "
                                  "Default: only when no configuration at all was given (no relais.toml, no "
                                  "--config, no RELAIS_* variable).")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource):
        config = os.environ.get("RELAIS_CONFIG") or ("relais.toml" if Path("relais.toml").exists() else None)
        sources: list[PydanticBaseSettingsSource] = [init_settings, _JsonSectionsFromEnv(settings_cls, env_settings)]
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


class _JsonSectionsFromEnv(PydanticBaseSettingsSource):
    """The environment source, with list and table values of connector sections decoded from JSON.

    pydantic-settings decodes JSON for typed fields only; a connector's section is an untyped table until the
    connector validates it, so ``RELAIS_CONNECTORS__BAILLEURS__API_KEYS='["k1"]'`` would arrive as a string."""

    def __init__(self, settings_cls: type[BaseSettings], env: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self.env = env

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.env.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        data = self.env()
        sections = data.get("connectors")
        if isinstance(sections, dict):
            data["connectors"] = {name: _decode_json_values(section) for name, section in sections.items()}
        return data


def _decode_json_values(section: Any) -> Any:
    if not isinstance(section, dict):
        return section
    decoded = {}
    for key, value in section.items():
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                value = json.loads(value)
            except ValueError:   # left as written: the connector's model then says what it expected
                pass
        decoded[key] = _decode_json_values(value)
    return decoded


def config_file(config: str | Path | None = None) -> Path | None:
    """The configuration file in effect: ``config`` (``--config``), else ``RELAIS_CONFIG``, else ``./relais.toml`` if
    present. A named file that does not exist is an error: running on defaults instead would hide the mistake."""
    named = config if config is not None else os.environ.get("RELAIS_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigurationError(f"configuration file {str(path)!r} does not exist (named by --config or "
                                     "RELAIS_CONFIG); give the path of a TOML file, or leave both unset to use "
                                     "./relais.toml or the embedded defaults")
        return path
    default = Path("relais.toml")
    return default if default.is_file() else None


def _check_toml(path: Path) -> None:
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: TOML syntax error: {exc}; fix that line (https://toml.io)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot be read ({exc}); check its permissions and encoding (UTF-8)") from None


def _unknown_variables() -> list[str]:
    """``RELAIS_*`` environment variables that name no setting (pydantic-settings would ignore them silently)."""
    fields = set(HubSettings.model_fields)
    problems = []
    for name in sorted(os.environ):
        if not name.startswith("RELAIS_") or name in NON_SETTING_VARIABLES or name.startswith("RELAIS_TEST_"):
            continue
        key = name[len("RELAIS_"):].split("__", 1)[0].lower()
        if key not in fields:
            close = difflib.get_close_matches(key.upper(), [f.upper() for f in fields], n=1, cutoff=0.6)
            hint = f"did you mean RELAIS_{close[0]}?" if close else "see the settings table in the README"
            problems.append(f"unknown environment variable {name}; {hint}")
    return problems


def load_settings(config: str | Path | None = None, **overrides: Any) -> HubSettings:
    """The hub's settings from ``config`` (or ``RELAIS_CONFIG`` / ``./relais.toml``), ``RELAIS_*`` variables and
    ``overrides``, validated; every problem is raised as one :class:`ConfigurationError`."""
    path = config_file(config)
    if path is not None:
        _check_toml(path)
    if config is not None:   # the settings sources read it from there
        os.environ["RELAIS_CONFIG"] = str(path)
    unknown = _unknown_variables()
    if unknown:
        raise ConfigurationError("; ".join(unknown))
    source = f"{path} or RELAIS_* variables" if path else "RELAIS_* variables"
    try:
        settings = HubSettings(**overrides)
    except ValidationError as exc:
        raise ConfigurationError.from_validation(exc, HubSettings, source=f"invalid setting in {source}") from None
    if settings.seed_examples is None:
        configured = path is not None or bool(overrides) or any(
            name.startswith("RELAIS_") and not name.startswith("RELAIS_TEST_") for name in os.environ)
        settings = settings.model_copy(update={"seed_examples": not configured})
    return settings
