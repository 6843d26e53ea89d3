"""The ``[connectors.listes]`` section.

Why the threshold is configuration: the délai anormalement long is fixed by each department's prefect (CCH
L441-1-4) — 15 months in Puy-de-Dôme, whatever the typology (arrêté of 1 April 2008, seed 003 §1.1.4.3).
"""

from __future__ import annotations

from pydantic import Field

from hub import ConnectorSettings

__all__ = ["ListesSettings"]


class ListesSettings(ConnectorSettings):
    delai_anormalement_long_mois: int = Field(
        default=15, ge=1, le=120, description="Months after filing past which an open demand without a suitable "
                                              "offer is in the délai anormalement long list (Puy-de-Dôme: 15).")
