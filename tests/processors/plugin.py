"""Test processors, loaded in process with ``PluginHost.load(extra=[__name__])`` and in ``relais`` subprocesses with
``RELAIS_EXTRA_PLUGINS=tests.processors.plugin``.

``contingents`` derives a ``contingents_eligibles`` event from each CAL decision, counts decisions per demand in
its projection, and sets a timer 30 days after the commission that derives a second statement when it fires.
``boucle_a`` / ``boucle_b`` feed each other (a cycle the hub must refuse); they are disabled unless enabled.
"""

from __future__ import annotations

import os
import signal
from datetime import timedelta

from sqlalchemy import Column, Integer, MetaData, String, Table, select

from contracts.events import ContingentsEligibles
from hub import ConnectorSettings, Processor, RetryableError, hookimpl

meta = MetaData()
compte = Table("contingents_compte", meta,
               Column("numero_unique", String(32), primary_key=True),
               Column("decisions", Integer, nullable=False),
               Column("relances", Integer, nullable=False))


class ContingentsSettings(ConnectorSettings):
    fail_on: str = ""          # a numéro unique whose handling raises (transient) every time
    crash_on: str = ""         # a numéro unique whose handling kills the process (SIGKILL) every time


class Contingents(Processor):
    name = "contingents"
    version = "0.0.1"
    subscriptions = ("decision_cal.*",)
    emits = ("contingents_eligibles.*",)
    settings_model = ContingentsSettings
    tables = meta

    def process(self, event, ctx):
        nu = event.data.numero_unique
        if self.settings.fail_on and nu == self.settings.fail_on:
            raise RetryableError("simulated failure")
        if self.settings.crash_on and nu == self.settings.crash_on:
            os.kill(os.getpid(), signal.SIGKILL)
        row = ctx.conn.execute(select(compte.c.decisions).where(compte.c.numero_unique == nu)).first()
        if row is None:
            ctx.conn.execute(compte.insert().values(numero_unique=nu, decisions=1, relances=0))
        else:
            ctx.conn.execute(compte.update().where(compte.c.numero_unique == nu)
                             .values(decisions=row.decisions + 1))
        ctx.schedule(f"relance:{nu}", event.data.date_commission + timedelta(days=30), {"nu": nu})
        yield ContingentsEligibles(numero_unique=nu, contingents=(), date_evaluation=ctx.now.date())

    def on_timer(self, timer, ctx):
        nu = timer.payload["nu"]
        return [ContingentsEligibles(numero_unique=nu, contingents=(), date_evaluation=timer.due_at.date())]

    def applied(self, event, ctx):
        if event.causationid is None:        # derived from its timer: a reminder was made
            ctx.conn.execute(compte.update().where(compte.c.numero_unique == event.subject)
                             .values(relances=compte.c.relances + 1))


class LoopSettings(ConnectorSettings):
    enabled: bool = False


class BoucleA(Processor):
    name = "boucle_a"
    subscriptions = ("decision_cal.*",)
    emits = ("contingents_eligibles.*",)
    settings_model = LoopSettings


class BoucleB(Processor):
    name = "boucle_b"
    subscriptions = ("contingents_eligibles.*",)
    emits = ("decision_cal.*",)
    settings_model = LoopSettings


@hookimpl
def relais_register_connectors(register):
    for cls in (Contingents, BoucleA, BoucleB):
        register(cls)
