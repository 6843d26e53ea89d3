"""Hook implementations of the cotation plugin: the processor and the ``relais cotation`` commands."""

from __future__ import annotations

from hub import hookimpl
from plugins.cotation.commands import cotation
from plugins.cotation.processor import CotationProcessor


@hookimpl
def relais_register_connectors(register):
    register(CotationProcessor)


@hookimpl
def relais_register_commands(register):
    register(cotation)
