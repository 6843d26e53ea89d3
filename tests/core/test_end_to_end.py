"""One flow end to end — a landlord's CAL decisions to the fichier partagé — on both backends."""

from __future__ import annotations

import json
import subprocess
import sys

from lxml import etree

from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from tests.conftest import env_for
from tests.factories import decision, write_decisions

CORE_PLUGINS = ["bailleurs", "habisoft"]


def make_hub(settings) -> Hub:
    return Hub(settings, PluginHost.load(allow=CORE_PLUGINS))


def test_decisions_flow_from_bailleur_inbox_to_habisoft_outbox(hub_settings):
    inbox = hub_settings.home / "inbox" / "bailleurs"
    decisions = [decision(), decision(decision="attribution_rang", rang=2),
                 decision(decision="non_attribution", motif="dossier_incomplet")]
    write_decisions(inbox, "cal.json", decisions)
    with make_hub(hub_settings) as hub:
        summary = hub.run_once()
        assert summary.ingested["bailleurs"].journaled == 3
        assert summary.delivered["habisoft"] == 3
        outbox = hub.connectors["habisoft"].context.outbox
        files = sorted(outbox.glob("*.xml"))
        assert len(files) == 3
        delivered = {etree.parse(str(f)).findtext("{urn:relais:habisoft:1}numeroUnique") for f in files}
        assert delivered == {d["numero_unique"] for d in decisions}
        # the file was acknowledged only after journaling: it left the inbox for done/
        assert not list(inbox.glob("*.json")) and list((inbox / "done").rglob("cal.json"))
        history = hub.journal.history(decisions[1]["numero_unique"])
        assert [h["type"] for h in history] == ["decision_cal.v1"]
        assert history[0]["entity_siren"] and history[0]["source"] == "bailleurs"


def test_same_decisions_sent_twice_are_journaled_and_delivered_once(hub_settings):
    inbox = hub_settings.home / "inbox" / "bailleurs"
    decisions = [decision(), decision()]
    doc_siren = "276300019"
    with make_hub(hub_settings) as hub:
        write_decisions(inbox, "first.json", decisions, bailleur_siren=doc_siren)
        hub.run_once()
        write_decisions(inbox, "again.json", decisions, bailleur_siren=doc_siren)
        summary = hub.run_once()
        assert summary.ingested["bailleurs"].duplicates == 2
        assert summary.ingested["bailleurs"].journaled == 0
        assert len(list(hub.connectors["habisoft"].context.outbox.glob("*.xml"))) == 2
        assert hub.journal.count_events() == 2


def test_relais_run_once_cli_prints_what_it_did(hub_settings):
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [decision()])
    out = subprocess.run([sys.executable, "-m", "hub", "run", "--once"], capture_output=True, text=True,
                         env=env_for(hub_settings, RELAIS_PLUGINS=",".join(CORE_PLUGINS)), timeout=120)
    assert out.returncode == 0, out.stderr
    assert "bailleurs: 1 event(s) journaled" in out.stdout
    assert "habisoft: 1 delivered" in out.stdout
    lines = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")]
    delivered = [line for line in lines if line["event"] == "event_delivered"]
    assert delivered and {"event_id", "type", "connector"} <= set(delivered[0])


def test_a_connector_whose_decoding_hangs_is_dead_lettered_and_other_inboxes_flow(hub_settings):
    import threading

    from hub import Connector, PartnerRole, hookimpl

    release = threading.Event()

    class Stuck(Connector):
        name = "stuck"
        role = PartnerRole.BAILLEUR
        emits = ("decision_cal.*",)

        def decode(self, raw):
            release.wait(30)
            return []

    class _Plugin:
        @hookimpl
        def relais_register_connectors(self, register):
            register(Stuck)

    host = PluginHost.load(allow=CORE_PLUGINS)
    host.register(_Plugin(), "stuck_plugin")
    try:
        with Hub(hub_settings, host) as hub:
            hub.inbox.decode_timeout = 0.5
            (hub.home / "inbox" / "stuck").mkdir(parents=True)
            (hub.home / "inbox" / "stuck" / "x.json").write_text("{}")
            write_decisions(hub.home / "inbox" / "bailleurs", "cal.json", [decision()])
            summary = hub.run_once()
            assert summary.delivered["habisoft"] == 1
            [dead] = hub.journal.dead_letters(connector="stuck")
            assert "did not decode the message within 0.5s" in dead["reason"] and dead["payload"] == b"{}"
    finally:
        release.set()


def test_run_once_reports_its_progress_after_each_round(hub_settings):
    inbox = hub_settings.home / "inbox" / "bailleurs"
    write_decisions(inbox, "cal.json", [decision() for _ in range(7)])
    reported: list[int] = []
    with make_hub(hub_settings.model_copy(update={"batch_size": 2})) as hub:
        summary = hub.run_once(on_progress=reported.append)
    assert summary.delivered["habisoft"] == 7
    assert reported == sorted(reported) and reported[-1] == 7
    assert len(set(reported)) > 2, "several rounds, each reported"
