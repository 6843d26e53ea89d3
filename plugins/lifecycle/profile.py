"""A territory's lifecycle durations (``profils/*.toml``), validated at load with errors naming the line and key.

Why a file per territory: every duration of the demand's clock — notice, radiation, reactivation, purge, the desks'
registration deadline — is local configuration (the PPGD may set its own), and the people who change it read a
commented TOML file, not Python. Two profiles ship: the seed's (Puy-de-Dôme, the default) and the national rules.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub import ConfigurationError

__all__ = ["Profil", "load_profile", "bundled_profile", "BUNDLED", "PROFILE_DIR"]

PROFILE_DIR = Path(__file__).parent / "profils"
#: Profiles shipped with the plugin, by name (the file's stem).
BUNDLED = ("puy-de-dome", "national")

_Months = Field(ge=0, le=60)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Identite(_Section):
    nom: str = Field(min_length=1, max_length=60)
    libelle: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=500, description="The text the durations come from.")
    avis_envoyes_par: Literal["fichier_partage", "gip_sne"]


class Renouvellement(_Section):
    validite_mois: int = Field(ge=1, le=60)
    preavis_courrier_mois: int = _Months
    preavis_courriel_mois: int = _Months
    radiation_apres_anniversaire_mois: int = _Months
    reactivation_mois: int = _Months


class MiseEnDemeure(_Section):
    radiation_apres_mise_en_demeure_mois: int = _Months
    reactivation_mois: int = _Months


class Conservation(_Section):
    suppression_apres_radiation_mois: int = Field(ge=1, le=120)


class Enregistrement(_Section):
    delai_guichet_jours: int = Field(ge=1, le=365)


class Profil(_Section):
    """Every duration of the lifecycle; months are calendar months (a notice "one month before 31 March" is due on
    28 or 29 February)."""

    profil: Identite
    renouvellement: Renouvellement
    absence_reponse: MiseEnDemeure
    irrecevabilite: MiseEnDemeure
    conservation: Conservation
    enregistrement: Enregistrement


def _line_of(text: str, loc: tuple[str | int, ...]) -> int | None:
    """The line of ``[section] key`` in the TOML text (tomllib keeps no positions); None when absent."""
    section, key = (str(loc[0]), str(loc[1])) if len(loc) > 1 else (str(loc[0]) if loc else "", None)
    current = None
    header = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]")
    assignment = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
    for number, line in enumerate(text.splitlines(), 1):
        if m := header.match(line):
            current = m.group(1)
            if key is None and current == section:
                return number
        elif (m := assignment.match(line)) and current == section and m.group(1) == key:
            return number
    return None


def parse_profile(text: str, origin: str) -> Profil:
    """Validate a profile's text; a :class:`hub.ConfigurationError` names the file, the line and the key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{origin}: not valid TOML: {exc}") from exc
    try:
        return Profil.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = _line_of(text, loc) or (_line_of(text, loc[:1]) if loc else None)
            where = f"line {line}, " if line else ""
            key = "[" + str(loc[0]) + "] " + ".".join(map(str, loc[1:])) if loc else "(file)"
            message = "missing: add it" if error["type"] == "missing" else (
                "unknown key: remove it or check its spelling" if error["type"] == "extra_forbidden"
                else error["msg"])
            problems.append(f"{where}{key.strip()}: {message}")
        raise ConfigurationError(f"{origin}: " + "; ".join(problems)) from None


def load_profile(path: Path) -> Profil:
    return parse_profile(path.read_text(encoding="utf-8"), str(path))


def bundled_profile(name: str) -> Profil:
    if name not in BUNDLED:
        raise ConfigurationError(f"[connectors.echeances] profil: {name!r} is not a bundled profile; choose one of "
                                 f"{', '.join(BUNDLED)} or give profil_fichier")
    return load_profile(PROFILE_DIR / f"{name}.toml")
