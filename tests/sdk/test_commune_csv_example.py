"""The example third-party connector (examples/commune_csv), installed as an integrator would install it, in a hub
with the bundled plugins: discovered through its entry point, delivered only what the access rules allow, its
failures its own. Runs on both backends."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from tests.factories import decision, write_decisions
from hub.testing.partner import ScriptedAnswer
from tests.sdk.conftest import EXAMPLE, commune_settings, plain_env, run_relais, run_until, with_connectors

PLUGINS = ["bailleurs", "habisoft", "commune_csv"]
pytestmark = pytest.mark.usefixtures("commune_csv_installed")


def make_hub(settings) -> Hub:
    return Hub(settings, PluginHost.load(allow=PLUGINS))


def test_relais_plugins_lists_it_with_its_own_distribution(tmp_path):
    out = run_relais("plugins", "--json", env=plain_env(tmp_path, RELAIS_PLUGINS=",".join(PLUGINS)))
    assert out.returncode == 0, out.stderr
    [row] = [r for r in json.loads(out.stdout)["connectors"] if r["connector"] == "commune_csv"]
    assert row["distribution"] == "relais-commune-csv 0.1.0"
    assert (row["role"], row["subscribes"], row["emits"]) == ("reservataire", ["decision_cal.*"],
                                                              ["designation_candidat.*"])


def test_it_receives_the_decisions_on_its_communes_and_not_the_others(hub_settings):
    settings = with_connectors(hub_settings, commune_csv=commune_settings())
    own = [decision(commune="63113"), decision(commune="63113", decision="attribution_rang", rang=2)]
    elsewhere = decision(commune="63430")
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [*own, elsewhere])
    with make_hub(settings) as hub:
        summary = hub.run_once()
        assert summary.ingested["bailleurs"].journaled == 3
        assert summary.delivered["habisoft"] == 3                   # the fichier partagé sees every demand
        files = sorted(hub.connectors["commune_csv"].context.outbox.glob("*.json"))
        received = [json.loads(f.read_text()) for f in files]
        assert sorted(r["numero_unique"] for r in received) == sorted(d["numero_unique"] for d in own)
        assert {r["commune"] for r in received} == {"63113"}
        counts = hub.journal.delivery_counts("commune_csv")
        assert counts == {("commune_csv", "delivered"): 2, ("commune_csv", "denied"): 1}


def test_its_designations_come_in_through_its_inbox_and_reach_the_fichier_partage(hub_settings):
    settings = with_connectors(hub_settings, commune_csv=commune_settings())
    inbox = settings.home / "inbox" / "commune_csv"
    inbox.mkdir(parents=True)
    (inbox / "designations.csv").write_bytes((EXAMPLE / "tests" / "fixtures" / "designations.csv").read_bytes())
    with make_hub(settings) as hub:
        summary = hub.run_once()
        assert summary.ingested["commune_csv"].journaled == 2
        history = hub.journal.history("06301260012345GT63")
        assert [(h["type"], h["source"], h["entity_siren"]) for h in history] == [
            ("designation_candidat.v1", "commune_csv", "216300004")]


def test_its_failures_are_its_own(hub_settings, fake_partner):
    """The commune's tool answers 500 to everything: its deliveries are retried, then dead-lettered under its
    name, while the fichier partagé gets every decision."""
    fake_partner.default = ScriptedAnswer(500, b"internal error")
    settings = with_connectors(hub_settings, commune_csv=commune_settings(endpoint=fake_partner.url))
    settings = settings.model_copy(update={"retry": settings.retry.model_copy(
        update={"max_attempts": 2, "base_delay": 0.05, "jitter": 0.0})})
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [decision(commune="63113") for _ in range(3)])
    with make_hub(settings) as hub:
        run_until(hub, lambda: hub.journal.delivery_counts("commune_csv").get(("commune_csv", "dead")) == 3,
                  what="dead-lettering of the commune's 3 deliveries")
        assert hub.journal.delivery_counts("commune_csv") == {("commune_csv", "dead"): 3}
        assert hub.journal.delivery_counts("habisoft") == {("habisoft", "delivered"): 3}
        dead = hub.journal.dead_letters(connector="commune_csv", direction="outbound")
        assert len(dead) == 3 and all("500" in d["reason"] for d in dead)
    assert len(fake_partner.requests) == 6


def test_the_example_passes_its_own_test_suite():
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=EXAMPLE,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
