"""A test processor that writes its projection with ``ctx.write`` (deferred to the end of the batch), loaded with
``PluginHost.load(extra=[__name__])`` in process and ``RELAIS_EXTRA_PLUGINS=tests.processors.deferred_plugin`` in
``relais`` subprocesses.

``ecritures`` writes one row per CAL decision and derives one ``contingents_eligibles`` event from it. Its settings
make one decision fail (``echoue_sur``), write a row the table refuses (``casse_sur``: a NULL in a NOT NULL column,
found only when the batch's writes run together) or kill the process (``tue_sur``); ``lire`` makes it read, before
each write, how many rows the table already holds (``rang``): deferred writes must be visible to that read.
"""

from __future__ import annotations

import os
import signal

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from contracts.events import ContingentsEligibles
from hub import ConnectorSettings, Processor, RetryableError, hookimpl

meta = MetaData()
lignes = Table("ecritures_lignes", meta,
               Column("id", Integer, primary_key=True, autoincrement=True),   # a row written twice shows twice
               Column("event_id", String(64), nullable=False),
               Column("numero_unique", String(32), nullable=False),
               Column("rang", Integer))

_ECRIRE = lignes.insert()
_COMPTER = select(func.count()).select_from(lignes)


class EcrituresSettings(ConnectorSettings):
    lire: bool = False
    echoue_sur: str = ""
    casse_sur: str = ""
    tue_sur: str = ""


class Ecritures(Processor):
    name = "ecritures"
    version = "0.0.1"
    subscriptions = ("decision_cal.*",)
    emits = ("contingents_eligibles.*",)
    settings_model = EcrituresSettings
    tables = meta

    def process(self, event, ctx):
        nu = event.data.numero_unique
        if nu == self.settings.tue_sur:
            os.kill(os.getpid(), signal.SIGKILL)
        if nu == self.settings.echoue_sur:
            raise RetryableError("simulated failure")
        rang = ctx.conn.execute(_COMPTER).scalar() if self.settings.lire else None
        ctx.write(_ECRIRE, {"event_id": event.id, "numero_unique": None if nu == self.settings.casse_sur else nu,
                            "rang": rang})
        return [ContingentsEligibles(numero_unique=nu, contingents=(), date_evaluation=ctx.now.date())]


@hookimpl
def relais_register_connectors(register):
    register(Ecritures)
