"""The ``[connectors.cotation]`` section: which grid files the processor scores with.

Why a list of files: a territory's grid is amended by vote and takes effect on a date; every version stays loaded,
so that the version in effect on the computation day is used and a score computed for a past date (an appeal, an
audit) uses the grid then in force. The bundled Thiers Dore et Montagne grid is the default.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from hub import ConnectorSettings
from plugins.cotation.grid import DEFAULT_GRID

__all__ = ["CotationSettings"]


class CotationSettings(ConnectorSettings):
    grids: list[Path] = Field(default_factory=lambda: [DEFAULT_GRID], min_length=1,
                              description="Grid files (TOML), every version of the territory's grid; default: the "
                                          "bundled Thiers Dore et Montagne grid.")
    grid_id: str | None = Field(default=None, description="Which grid to score with when the files hold several "
                                                          "territories' grids.")
