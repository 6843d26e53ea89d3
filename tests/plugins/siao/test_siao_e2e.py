"""End to end through a real uvicorn server and httpx: a SIAO registered with `relais partners add` posts a label;
the landlords and réservataires allowed to see the demand receive it and no other; the label is on the demand's
dossier; the SIAO then receives the outcomes of the household it labelled, and only of it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import httpx
import pytest

from contracts import REGISTRY, LegalEntity
from contracts.enums import TypeDecisionCal
from contracts.events import DecisionCal
from hub.core.runtime import Hub
from hub.gateway import GatewayServer
from hub.testing import build_host
from tests.asgi import free_port
from tests.factories import numero_unique, rpls, siren
from tests.plugins.partners_support import (
    AILLEURS,
    SUBSCRIBERS,
    THIERS,
    key_from,
    outbox,
    relais_cli,
    with_connectors,
)

DAY = date(2026, 11, 25)
LANDLORD = LegalEntity(siren="276300019", nom="OPH de test")


def record(record_id: str, numero: str, communes: list[str], **parts) -> dict:
    return {"id": record_id, "numero_unique": numero, "communes_souhaitees": communes,
            "demande_siao": {"reference": f"SIAO63-{record_id}", "date_demande": "2026-10-02"}, **parts}


def document(siao_siren: str, records: list[dict]) -> dict:
    return {"format": "relais.siao.labels/1", "siao": {"siren": siao_siren, "nom": "SIAO du Puy-de-Dôme"},
            "records": records}


@pytest.fixture
def settings(hub_settings):
    sections = {name: {"communes": [commune]} for name, (_cls, commune) in SUBSCRIBERS.items()}
    return with_connectors(hub_settings, siao={}, dossier={}, **sections)


def test_a_siao_label_reaches_who_may_see_the_demand_and_its_outcomes_reach_the_siao(settings):
    siao_siren = siren()
    added = relais_cli(settings, "siao", "partners", "add", "siao-63", "--siren", siao_siren, "--nom",
                       "SIAO du Puy-de-Dôme", "--role", "siao", "-c", "siao")
    assert added.returncode == 0, added.stderr
    key = key_from(added.stdout)
    in_thiers, elsewhere, not_labelled = numero_unique(), numero_unique(), numero_unique()

    host = build_host(["siao", "dossier", *(cls for cls, _commune in SUBSCRIBERS.values())])
    hub = Hub(settings, host, clock=lambda: datetime(2026, 11, 26, 9, tzinfo=UTC))
    port = free_port()
    server = GatewayServer(hub, "127.0.0.1", port)
    server.start()
    try:
        label = {"fondement": "siao", "date_decision": DAY.isoformat()}
        body = document(siao_siren, [
            record("R1", in_thiers, [THIERS], label=label),
            record("R2", elsewhere, [AILLEURS], label=label, syplo={"statut": "INSCRIT", "date": "25/11/2026"}),
        ])
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/inbound/siao", json=body,
                            headers={"Authorization": f"Bearer {key}"}, timeout=30)
        assert answer.status_code == 400, answer.text            # R2 alone refused, with its path; R1 journaled
        result = answer.json()
        assert result["journaled"] == 2                          # R1: the SIAO demand and the label
        [error] = result["errors"]
        assert (error["field"], error["record"]) == ("records[1].syplo.date", 1)
        hub.run_once()

        received = {name: [json.loads(p.read_text())["type"] for p in outbox(settings, name)]
                    for name in SUBSCRIBERS}
        assert received == {"bailleur_thiers": ["label_prioritaire_pose.v1"], "bailleur_ailleurs": [],
                            "reservataire_thiers": ["label_prioritaire_pose.v1"], "reservataire_ailleurs": []}
        [pose] = [e for e in hub.journal.history(in_thiers) if e["type"] == "label_prioritaire_pose.v1"]
        states = {row["subscriber"]: row["status"] for row in hub.journal.find_event(pose["id"])["deliveries"]}
        assert states["bailleur_ailleurs"] == states["reservataire_ailleurs"] == "denied"
        assert (pose["entity_siren"], pose["source"]) == (siao_siren, "siao")    # stamped from the partner

        # the outcomes of the household it labelled reach the SIAO; another household's do not
        outcomes = [REGISTRY.build(DecisionCal(numero_unique=n, rpls=rpls(), commune=THIERS, date_commission=DAY,
                                               decision=TypeDecisionCal.ATTRIBUTION),
                                   source="bailleurs", entity=LANDLORD, id=f"cal-{n}")
                    for n in (in_thiers, not_labelled)]
        hub.journal.append(outcomes)
        hub.run_once()
        [notice] = [json.loads(p.read_text()) for p in outbox(settings, "siao")]
        assert (notice["format"], notice["type"], notice["numero_unique"]) == \
            ("relais.siao.issues/1", "decision_cal.v1", in_thiers)
        assert notice["data"]["decision"] == "attribution" and notice["entity"]["siren"] == LANDLORD.siren
    finally:
        server.stop()
        hub.close()

    shown = relais_cli(settings, "siao,dossier", "dossier", in_thiers)
    assert shown.returncode == 0, shown.stderr
    assert "Label prioritaire : siao (SIAO du Puy-de-Dôme, 2026-11-25)" in shown.stdout
    assert relais_cli(settings, "siao,dossier", "dossier", elsewhere).returncode == 1   # R2 left nothing
