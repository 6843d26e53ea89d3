"""End to end through a real uvicorn server and httpx: a COMED registered with `relais partners add` posts its
decisions; the "prioritaire et urgent" household enters the shared priority list (the listes processor) and the
DALO waiting list, the SNE connector receives the decisions (the SNE records DALO decisions), and the COMED receives
the attribution outcomes of its DALO households only — after which the household no longer waits."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import httpx
import pytest

from contracts import REGISTRY, LegalEntity
from contracts.events import BailSigne, DemandeEnregistree
from hub.core.runtime import Hub
from hub.gateway import GatewayServer
from hub.testing import build_host
from tests.asgi import free_port
from tests.contracts.contracts_factories import demande_exemple
from tests.factories import numero_unique, rpls, siren
from tests.plugins.cotation.processor_support import derived
from tests.plugins.partners_support import key_from, outbox, relais_cli, with_connectors

DAY = date(2026, 11, 26)
GUICHET = LegalEntity(siren="200071363", nom="CC Thiers Dore et Montagne")
LANDLORD = LegalEntity(siren="276300019", nom="OPH de test")
PLUGINS = ["dalo", "listes", "sne"]


def decision(decision_id: str, numero: str, sens: str, **extra) -> dict:
    return {"id": decision_id, "numero_unique": numero, "numero_recours": f"063-2026-{decision_id[-3:]}",
            "date_depot_recours": "2026-09-14", "date_decision": DAY.isoformat(), "decision": sens, **extra}


@pytest.fixture
def settings(hub_settings):
    return with_connectors(hub_settings, dalo={}, listes={}, sne={}, dalo_attente={"delai_relogement_mois": 3})


def test_a_comed_decision_puts_the_household_on_the_lists_reaches_the_sne_and_its_outcome_reaches_the_comed(settings):
    comed_siren = siren()
    added = relais_cli(settings, "dalo", "partners", "add", "comed-63", "--siren", comed_siren, "--nom",
                       "COMED du Puy-de-Dôme", "--role", "comed", "-c", "dalo")
    assert added.returncode == 0, added.stderr
    key = key_from(added.stdout)
    dalo_household, rejected_household = numero_unique(), numero_unique()

    hub = Hub(settings, build_host(PLUGINS), clock=lambda: datetime(2026, 11, 27, 9, tzinfo=UTC))
    port = free_port()
    server = GatewayServer(hub, "127.0.0.1", port)
    server.start()
    try:
        registered = [REGISTRY.build(DemandeEnregistree(numero_unique=n, demande=demande_exemple(),
                                                        date_enregistrement=date(2026, 1, 5)),
                                     source="tests", entity=GUICHET, id=f"enr-{n}")
                      for n in (dalo_household, rejected_household)]
        hub.journal.append(registered)
        hub.run_once()
        body = {"format": "relais.dalo.decisions/1", "comed": {"siren": comed_siren, "nom": "COMED 63"},
                "decisions": [decision("D-107", dalo_household, "prioritaire_et_urgent", typologie_dalo="41",
                                       situations=["depourvu_logement"]),
                              decision("D-108", rejected_household, "rejet")]}
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/inbound/dalo", json=body,
                            headers={"Authorization": f"Bearer {key}"}, timeout=30)
        assert answer.status_code == 202, answer.text
        assert answer.json()["journaled"] == 2
        hub.run_once()

        entries = [(e["numero_unique"], e["motifs"]) for e in derived(hub, "liste_entree.v1")
                   if e["liste"] == "prioritaires"]
        assert entries == [(dalo_household, ["dalo"])]          # the rejected appeal makes no one priority
        sne = [x for x in (p.read_text() for p in (settings.home / "outbox" / "sne").glob("*.xml"))
               if "decisionDalo" in x]
        assert len(sne) == 2 and any(dalo_household in x and "prioritaire_et_urgent" in x for x in sne)

        leases = [REGISTRY.build(BailSigne(numero_unique=n, rpls=rpls(), commune="63430",
                                           date_signature=date(2026, 12, 15)),
                                 source="bailleurs", entity=LANDLORD, id=f"bail-{n}")
                  for n in (dalo_household, numero_unique())]
        hub.journal.append(leases)
        hub.run_once()
        [notice] = [json.loads(p.read_text()) for p in outbox(settings, "dalo")]
        assert (notice["format"], notice["type"], notice["numero_unique"]) == \
            ("relais.dalo.issues/1", "bail_signe.v1", dalo_household)
    finally:
        server.stop()
        hub.close()

    waiting = relais_cli(settings, "dalo", "dalo", "attente", "--au", "2026-12-01")
    assert waiting.returncode == 0, waiting.stderr
    assert waiting.stdout.splitlines()[0].startswith("numero_unique;numero_recours;")
    assert dalo_household not in waiting.stdout                   # rehoused: it no longer waits
