"""Entry point of the example processor (``[project.entry-points.relais]``)."""

from __future__ import annotations

from hub import hookimpl
from relais_relance_pieces.processor import RelancePieces


@hookimpl
def relais_register_connectors(register):
    register(RelancePieces)
