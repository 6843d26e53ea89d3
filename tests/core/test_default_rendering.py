"""A connector that keeps the default ``encode`` receives the canonical JSON envelope: the journaled text itself,
not serialised again for each subscriber; a connector with its own ``encode`` still renders every event."""

from __future__ import annotations

import json

from hub import Connector, OutboundMessage, PartnerRole, hookimpl
from hub.core.journaled import parse_journaled
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from tests.factories import decision, write_decisions


class _Default(Connector):
    name = "default_json"
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)


class _Own(Connector):
    name = "own_rendering"
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)

    def encode(self, event):
        return OutboundMessage(body=f"decision {event.data.numero_unique}".encode(), filename=f"{event.id}.txt")


class _Plugin:
    @hookimpl
    def relais_register_connectors(self, register):
        register(_Default)
        register(_Own)


def test_the_default_rendering_is_the_journaled_envelope_and_an_own_encode_still_renders(hub_settings):
    decisions = [decision(), decision()]
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", decisions)
    host = PluginHost.load(allow=["bailleurs"], extra=[])
    host.register(_Plugin(), name="rendering")
    with Hub(hub_settings, host) as hub:
        summary = hub.run_once()
        assert summary.delivered["default_json"] == summary.delivered["own_rendering"] == 2
        assert hub.workers["default_json"].renders_journal_text
        assert not hub.workers["own_rendering"].renders_journal_text
        for d in decisions:
            [entry] = hub.journal.history(d["numero_unique"])
            body = hub.journal.bodies([entry["seq"]])[0][2]
            sent = (hub.connectors["default_json"].context.outbox / f"{entry['id']}.json").read_bytes()
            assert sent == body.encode()
            # what a partner received before the journaled text was reused: the event serialised anew
            assert sent == parse_journaled(body).model_dump_json().encode()
            assert json.loads(sent)["data"]["numero_unique"] == d["numero_unique"]
            own = (hub.connectors["own_rendering"].context.outbox / f"{entry['id']}.txt").read_text()
            assert own == f"decision {d['numero_unique']}"
