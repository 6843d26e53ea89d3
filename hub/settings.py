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
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from hub.core.config import RetrySettings, RuntimeSettings
from hub.core.errors import ConfigurationError

__all__ = ["HubSettings", "RetrySettings", "load_settings", "config_file", "NON_SETTING_VARIABLES"]

#: ``RELAIS_*`` environment variables that are not settings (plugin selection, the configuration file, test hooks).
NON_SETTING_VARIABLES = frozenset({"RELAIS_CONFIG", "RELAIS_PLUGINS", "RELAIS_PLUGINS_BLOCK", "RELAIS_EXTRA_PLUGINS",
                                   "RELAIS_FAILPOINTS", "RELAIS_OPERATOR"})


class HubSettings(BaseSettings, RuntimeSettings):
    """:class:`~hub.core.config.RuntimeSettings` read from ``relais.toml`` (or ``--config`` / ``RELAIS_CONFIG``) and
    ``RELAIS_*`` environment variables, which win."""

    model_config = SettingsConfigDict(env_prefix="RELAIS_", env_nested_delimiter="__", extra="forbid")

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
