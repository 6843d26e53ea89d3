"""Settings shared by the commune_csv tests; the fixtures themselves (relais_hub, fake_partner…) come from Relais's
pytest plugin, installed with Relais."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from contracts import DecisionCal
from hub.testing import make_event

FIXTURES = Path(__file__).parent / "fixtures"
COMMUNE = {"siren": "216300004", "nom": "Commune d'Exempleville"}


@pytest.fixture
def commune_settings() -> dict:
    """A configured commune holding reservations in 63113 only."""
    return {"enabled": True, "entity": dict(COMMUNE), "communes": ["63113"]}


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def a_decision():
    """A landlord's commission decision about a dwelling in ``commune``."""

    def make(commune: str = "63113", **changes):
        fields = dict(numero_unique="06301260012345GT63", rpls="6300000001", commune=commune,
                      date_commission=date(2026, 1, 20), decision="attribution")
        return make_event(DecisionCal(**(fields | changes)), source="bailleurs")

    return make
