"""Hook implementations of the Habisoft connector (entry point ``habisoft`` of the ``relais`` group)."""

from __future__ import annotations

from hub import hookimpl
from plugins.habisoft.connector import HabisoftConnector


@hookimpl
def relais_register_connectors(register):
    register(HabisoftConnector)
