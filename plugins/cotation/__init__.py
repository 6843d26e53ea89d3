"""Cotation (scoring) of housing demands under a territory's grid (issue 15): the pure computation.

A grid is territory configuration (``grids/*.toml``, versioned, with an effective date); :func:`score` applies it
to a demand's facts and returns a breakdown whose lines always sum to the score; :func:`explain` renders it for a
registration desk. Nothing here reads the clock, the bus or the journal: the processor that runs it passes the date.
"""

from plugins.cotation.engine import Cotation, LigneCalcul, complete_months, score
from plugins.cotation.explain import cotation_from_event, explain
from plugins.cotation.facts import FaitsCotation, faits_depuis_demande
from plugins.cotation.grid import (
    DEFAULT_GRID, GRIDS_DIR, Criterion, Grid, GridError, GridProblem, NoGridInEffect, Trigger, default_grid,
    grid_in_effect, load_grid, load_grids,
)

__all__ = ["Cotation", "LigneCalcul", "complete_months", "score", "explain", "cotation_from_event", "FaitsCotation",
           "faits_depuis_demande", "DEFAULT_GRID", "GRIDS_DIR", "Criterion", "Grid", "GridError", "GridProblem",
           "NoGridInEffect", "Trigger", "default_grid", "grid_in_effect", "load_grid", "load_grids"]
