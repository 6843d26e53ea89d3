"""Helpers of the partner connectors' end-to-end tests: ``relais`` in a subprocess on a test's hub (partners, dossier,
lists), and subscribers standing for registered landlords and réservataires of two territories."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from hub import Connector, PartnerRole
from hub.settings import HubSettings
from tests.conftest import env_for

__all__ = ["AILLEURS", "ROOT", "SUBSCRIBERS", "THIERS", "key_from", "outbox", "relais_cli", "with_connectors"]

ROOT = Path(__file__).resolve().parents[2]
THIERS, AILLEURS = "63430", "63113"


def relais_cli(settings: HubSettings, plugins: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``relais ARGS`` in its own process on the test's journal, with only these plugins (a subprocess, so that the
    command line's cached plugin host never leaks into later tests)."""
    env = env_for(settings, RELAIS_PLUGINS=plugins)
    return subprocess.run([sys.executable, "-m", "hub", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                          timeout=120)


def key_from(output: str) -> str:
    found = re.search(r"^\s+(rk_\S+)$", output, flags=re.MULTILINE)
    assert found, f"no key printed: {output}"
    return found.group(1)


def with_connectors(settings: HubSettings, **sections: dict[str, Any]) -> HubSettings:
    return HubSettings(**{**settings.model_dump(), "connectors": sections})


def outbox(settings: HubSettings, connector: str) -> list[Path]:
    directory = settings.home / "outbox" / connector
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def _subscriber(name: str, role: PartnerRole) -> type[Connector]:
    return type(name, (Connector,), {"name": name, "role": role, "subscriptions": (
        "label_prioritaire_pose.*", "label_prioritaire_leve.*", "decision_dalo.*")})


#: Two landlords and two réservataires, one of each on Thiers (63430) and one elsewhere (63113).
SUBSCRIBERS = {
    "bailleur_thiers": (_subscriber("bailleur_thiers", PartnerRole.BAILLEUR), THIERS),
    "bailleur_ailleurs": (_subscriber("bailleur_ailleurs", PartnerRole.BAILLEUR), AILLEURS),
    "reservataire_thiers": (_subscriber("reservataire_thiers", PartnerRole.RESERVATAIRE), THIERS),
    "reservataire_ailleurs": (_subscriber("reservataire_ailleurs", PartnerRole.RESERVATAIRE), AILLEURS),
}
