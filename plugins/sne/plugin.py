"""Hook implementations of the SNE connector (entry point ``sne`` of the ``relais`` group)."""

from __future__ import annotations

from hub import hookimpl
from plugins.sne.connector import SneConnector


@hookimpl
def relais_register_connectors(register):
    register(SneConnector)
