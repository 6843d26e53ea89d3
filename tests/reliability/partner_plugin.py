"""Test plugin: partners reached over HTTP (``hub.HttpTarget``), for the reliability tests.

Loaded in process with ``PluginHost.load(extra=[__name__])`` and in ``relais`` subprocesses with
``RELAIS_EXTRA_PLUGINS=tests.reliability.partner_plugin``. Every connector here is disabled unless its settings
section enables it and gives the partner's URL (``RELAIS_CONNECTORS__PARTNER__ENABLED=true``,
``RELAIS_CONNECTORS__PARTNER__URL=http://127.0.0.1:PORT/events``), so a test turns on only the partners it watches.
The hub process's pid goes in ``X-Hub-Pid`` so the fake partner can tell which of several hubs delivered.
``crash_on`` names a demand (numéro unique) whose events make the hub process die (SIGKILL) when it tries to
deliver them: a message that kills its consumer.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from contracts import Envelope
from hub import Connector, ConnectorSettings, HttpTarget, OutboundMessage, PartnerRole, hookimpl


class HttpPartnerSettings(ConnectorSettings):
    enabled: bool = False
    url: str = ""
    timeout: float = 10.0
    crash_on: str = ""


class HttpPartner(Connector):
    """Receives CAL decisions as canonical JSON envelopes, POSTed one by one."""

    version = "0.0.1"
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)
    settings_model = HttpPartnerSettings

    def __init__(self, settings: HttpPartnerSettings, context) -> None:
        super().__init__(settings, context)
        if not settings.url:
            raise ValueError(f"connectors.{self.name}.url is required")
        self.target = HttpTarget(settings.url, timeout=settings.timeout, headers={"X-Hub-Pid": str(os.getpid())})

    def deliver(self, event: Envelope[Any], message: OutboundMessage) -> None:
        if self.settings.crash_on and event.subject == self.settings.crash_on:
            os.kill(os.getpid(), signal.SIGKILL)
        self.target.post(event, message)

    def close(self) -> None:
        self.target.close()


class Partner(HttpPartner):
    name = "partner"


class Fast(HttpPartner):
    name = "fast"


class Slow(HttpPartner):
    name = "slow"


class Reservataire(HttpPartner):
    """A réservataire (e.g. Action Logement, a commune): sees only demands in its ``communes``."""

    name = "reservataire"
    role = PartnerRole.RESERVATAIRE


@hookimpl
def relais_register_connectors(register):
    for cls in (Partner, Fast, Slow, Reservataire):
        register(cls)
