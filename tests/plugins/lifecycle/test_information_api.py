"""The applicant-information API of the gateway: a demand's deadlines, cotation and CAL history; the expected
waiting time of a commune and typology; both behind an API key, both audited in the logs without names."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from contracts import REGISTRY
from hub.core.plugins import PluginHost
from hub.core.processing import end_of_day
from hub.core.runtime import Hub
from hub.gateway import create_app
from tests.contracts.contracts_factories import exemple
from tests.plugins.lifecycle.test_echeances_walkthrough import _registration
from plugins.sne.synthetic import SyntheticSne

KEYS = {"echeances": {"api_keys": ["cle-guichet"]}, "statistiques": {"api_keys": ["cle-stats"]}}


def test_a_desk_reads_a_demand_and_a_waiting_time(hub_settings):
    settings = hub_settings.model_copy(update={"connectors": KEYS})
    sne = SyntheticSne(seed=9)
    enr = _registration(sne, date(2025, 2, 3), courriel=True)
    nu = enr.subject
    cotation = exemple("cotation_calculee.v1").model_copy(update={"numero_unique": nu})
    decision = exemple("decision_cal.v1").model_copy(update={"numero_unique": nu})
    others = [REGISTRY.build(d, source="tests", entity=enr.entity, time=end_of_day(date(2025, 6, 1)),
                             id=f"{i}-{nu}") for i, d in enumerate((cotation, decision))]
    with Hub(settings, PluginHost.load(allow=["dossier", "lifecycle", "statistics"]),
             clock=lambda: end_of_day(date(2025, 6, 1))) as hub:
        hub.journal.append([enr, *others])
        hub.tick(end_of_day(date(2025, 6, 1)))
        with TestClient(create_app(hub)) as client:
            assert client.get(f"/v1/plugins/lifecycle/demandes/{nu}").status_code == 401
            assert client.get(f"/v1/plugins/lifecycle/demandes/{nu}",
                              headers={"X-Relais-Api-Key": "cle-stats"}).status_code == 401
            with capture_logs() as logs:
                answer = client.get(f"/v1/plugins/lifecycle/demandes/{nu}",
                                    headers={"X-Relais-Api-Key": "cle-guichet"})
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body["echeances"]["date_anniversaire"] == "2026-02-03"
            assert body["echeances"]["date_avis"] == "2025-12-03"          # e-mail accepted: 2 months before
            assert body["cotation"]["score"] == cotation.score and body["cotation"]["lignes"]
            assert [c["decision"] for c in body["commissions"]] == [decision.decision.value]
            audit = [e for e in logs if e["event"] == "information_demandeur_consultee"]
            assert audit and audit[0]["numero_unique"] == nu
            assert enr.data.demande.demandeur.nom not in str(logs)
            assert client.get("/v1/plugins/lifecycle/demandes/0630125999999G6301",
                              headers={"X-Relais-Api-Key": "cle-guichet"}).status_code == 404

            commune = enr.data.demande.souhaits.communes[0]
            waiting = client.get("/v1/plugins/statistics/delai-attente",
                                 params={"commune": commune, "typologie": "T3", "annee": 2026},
                                 headers={"Authorization": "Bearer cle-stats"})
            assert waiting.status_code == 200, waiting.text
            assert waiting.json()["au"] == "2025-12-31"
            assert client.get("/v1/plugins/statistics/delai-attente",
                              params={"commune": commune, "typologie": "T9", "annee": 2026},
                              headers={"Authorization": "Bearer cle-stats"}).status_code == 422
