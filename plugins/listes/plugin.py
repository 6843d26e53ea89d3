"""Hook implementations of the listes plugin: the processor and the ``relais listes`` commands."""

from __future__ import annotations

from hub import hookimpl
from plugins.listes.commands import listes
from plugins.listes.processor import ListesProcessor


@hookimpl
def relais_register_connectors(register):
    register(ListesProcessor)


@hookimpl
def relais_register_commands(register):
    register(listes)
