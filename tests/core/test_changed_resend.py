"""A resend with the same id is harmless only if it says the same thing; a changed one is never silent.

A landlord resending decision ``C-77`` with a *different* decision used to get ``202, duplicates: 1`` and the change
was lost. Now: same id and same content → a duplicate; same id, different content → refused (HTTP 409, a rejection
for files) naming the differing fields, kept in the dead-letter store; the journal keeps the first version.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway import create_app
from tests.conftest import env_for
from tests.factories import decision, decisions_document, write_decisions
from tests.sdk.conftest import with_connectors

KEY = "k-bailleurs-conflict"
SIREN = "392812343"


@pytest.fixture
def hub(hub_settings):
    settings = with_connectors(hub_settings, bailleurs={"api_keys": [KEY]})
    with Hub(settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        yield hub


def _post(client, decisions):
    return client.post("/v1/inbound/bailleurs", headers={"X-Relais-Api-Key": KEY},
                       content=json.dumps(decisions_document(decisions, bailleur_siren=SIREN)).encode())


def test_a_changed_decision_under_the_same_id_gets_409_naming_the_fields(hub):
    original = decision(id="C-77", decision="attribution")
    changed = {**original, "decision": "non_attribution", "motif": "ressources insuffisantes"}
    with TestClient(create_app(hub)) as client:
        first = _post(client, [original])
        same = _post(client, [original])
        refused = _post(client, [changed])
    assert first.status_code == 202 and first.json()["journaled"] == 1
    assert same.status_code == 202 and same.json()["duplicates"] == 1          # a true resend is harmless
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert body["journaled"] == 0 and body["duplicates"] == 0 and body["status"] == 409
    assert {e["field"] for e in body["errors"]} == {"data.decision", "data.motif"}
    [conflict] = body["conflicts"]
    assert conflict["fields"] == ["data.decision", "data.motif"]
    assert conflict["sourcemessageid"] == f"{SIREN}:C-77"
    assert conflict["journaled_id"] == first.json()["event_ids"][0]
    assert "ressources" not in refused.text                                    # paths, never the values
    # the journal still holds the first decision; the changed message is kept to be looked at
    [row] = hub.journal.history(original["numero_unique"])
    assert row["id"] == conflict["journaled_id"]
    [dead] = hub.journal.dead_letters()
    assert dead["id"] == conflict["dead_letter_id"] and dead["field"] == "data.decision"
    assert b"non_attribution" in dead["payload"]


def test_a_changed_decision_in_a_file_is_rejected_and_ingest_exits_3(hub_settings, tmp_path):
    original = decision(id="C-78", decision="attribution")
    first = write_decisions(tmp_path, "first.json", [original], bailleur_siren=SIREN)
    changed = write_decisions(tmp_path, "changed.json", [{**original, "rpls": "6399999999"}], bailleur_siren=SIREN)
    env = env_for(hub_settings, RELAIS_PLUGINS="bailleurs,habisoft")
    run = [sys.executable, "-m", "hub", "ingest", "-c", "bailleurs"]
    ok = subprocess.run(run + [str(first)], capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0, ok.stderr
    refused = subprocess.run(run + [str(changed)], capture_output=True, text=True, env=env, timeout=60)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "1 rejected" in refused.stdout
    with Hub(hub_settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        [dead] = hub.journal.dead_letters()
        assert "data.rpls" in dead["reason"] and dead["origin"].endswith("changed.json")
        # the operator's retry reports the conflict again instead of filing it twice
        from hub.core.deadletters import DeadLetterOps
        outcome = DeadLetterOps(hub).retry([dead])
        assert outcome.retried == [] and "data.rpls" in outcome.still_failing[0][1]
        assert len(hub.journal.dead_letters()) == 1
