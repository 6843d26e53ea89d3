"""Projections: the dossier of a demand imported from the SNE, and any projection rebuilt from the journal equal to
what live processing built."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from contracts import REGISTRY
from plugins.dossier import tables as dossier_tables
from plugins.sne.codec import encode_event
from tests.conftest import env_for
from tests.factories import decision, write_decisions
from tests.processors.conftest import rows, with_sections
from tests.processors.plugin import compte

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sne"
ROOT = Path(__file__).resolve().parents[2]


def _snapshot(hub):
    history = [r[1:] for r in rows(hub, dossier_tables.historique)]   # without the row id
    return rows(hub, compte), rows(hub, dossier_tables.demandes), sorted(history)


def test_a_projection_rebuilt_from_the_journal_equals_what_live_processing_built(hub_settings, make_hub):
    inbox = hub_settings.home / "inbox" / "bailleurs"
    first = [decision() for _ in range(40)]
    again = [dict(d, id=d["id"] + "-R", decision="attribution_rang", rang=2) for d in first[:15]]
    write_decisions(inbox, "a.json", first)
    with make_hub(hub_settings) as hub:
        hub.run_once()
        write_decisions(inbox, "b.json", again)
        hub.run_once()
        live = _snapshot(hub)
        assert len(live[0]) == 40 and sum(r[1] for r in live[0]) == 55
        derived = sum(1 for h in (hub.journal.history(d["numero_unique"]) for d in first) for e in h
                      if e["source"] == "contingents")
        assert derived > 55     # one per decision, and one per timer already due (commissions in the past)
        assert hub.projections.rebuild("contingents", hub.clock) == 55 + derived   # its inputs, and its own events
        # the dossier takes every event: decisions, what contingents derived from them and from its timers
        assert hub.projections.rebuild("dossier", hub.clock) == hub.journal.count_events() > 110
        assert _snapshot(hub) == live


def test_a_new_projection_version_is_rebuilt_at_start(hub_settings, make_hub, monkeypatch):
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "a.json", [decision() for _ in range(5)])
    with make_hub(hub_settings) as hub:
        hub.run_once()
        live = rows(hub, compte)
        with hub.journal.engine.begin() as conn:
            conn.execute(compte.delete())      # damaged, or a new meaning of its tables
    from tests.processors.plugin import Contingents
    monkeypatch.setattr(Contingents, "projection_version", "2")
    with make_hub(hub_settings) as hub:
        hub.start()
        assert rows(hub, compte) == live
        assert {p["name"]: p["version"] for p in hub.projections.status()}["contingents"] == "2"


def _drop_sne(settings, name: str, body: bytes) -> None:
    inbox = settings.home / "inbox" / "sne"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_bytes(body)


def test_relais_dossier_shows_an_sne_demand_and_what_a_modification_changed_with_its_entity(hub_settings, make_hub):
    registered = REGISTRY.parse({**json.loads((FIXTURES / "demande_enregistree.json").read_text()), "source": "sne"})
    nu = registered.subject
    modification = json.loads((FIXTURES / "demande_modifiee.json").read_text())
    changed = registered.data.demande.model_dump(mode="json")
    changed["souhaits"]["communes"] = ["63430", "63113"]
    changed["souhaits"]["typologies"] = ["T3"]
    modification["subject"] = modification["data"]["numero_unique"] = nu
    modification["data"]["demande"] = changed
    modification["id"], modification["source"] = "mod-1", "sne"
    settings = with_sections(hub_settings)
    _drop_sne(settings, "CRE.xml", (FIXTURES / "demande_enregistree.xml").read_bytes())
    with make_hub(settings, plugins=["dossier", "sne"]) as hub:
        hub.run_once()
        _drop_sne(settings, "MOD.xml", encode_event(REGISTRY.parse(modification)))
        hub.run_once()
    # a subprocess: the command line caches its plugin host per process, which must not leak into other tests
    env = env_for(settings, RELAIS_PLUGINS="dossier,sne", RELAIS_LOG_LEVEL="warning")

    def dossier(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "hub", "dossier", nu, *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    result = dossier()
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert f"Demande {nu} — active" in text
    assert "Communes souhaitées : 63430, 63113" in text and "Typologies : T3" in text
    demandeur = registered.data.demande.demandeur
    assert f"Demandeur : {demandeur.prenom} {demandeur.nom}" in text
    assert "Ménage : " in text
    assert "demande_enregistree.v1" in text and "demande_modifiee.v1" in text
    assert "demande.souhaits.communes[0] : 63275 → 63430" in text
    assert "demande.souhaits.typologies[0] : T4 → T3" in text
    assert "demande.souhaits.communes[2] : 63003 → —" in text
    assert f"{modification['entity']['nom']} (SIREN {modification['entity']['siren']})" in text
    as_json = json.loads(dossier("--json").stdout)
    [mod] = [h for h in as_json["historique"] if h["type"] == "demande_modifiee.v1"]
    assert mod["entite"]["siren"] == modification["entity"]["siren"]
    assert {"champ": "demande.souhaits.typologies[1]", "avant": "T1", "apres": None} in mod["changements"]
