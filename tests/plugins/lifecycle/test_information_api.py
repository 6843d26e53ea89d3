"""The applicant-information API of the gateway: a demand's deadlines, cotation and CAL history; the expected
waiting time of a commune and typology. Both for registry partners (legacy connector keys still work); the demand
only for those its access rules let read it, every call in the audit trail; no names anywhere."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from contracts import REGISTRY
from hub.core.plugins import PluginHost
from hub.core.processing import end_of_day
from hub.core.audit import AuditKind
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


def _hub_with_a_demand(hub_settings):
    settings = hub_settings.model_copy(update={"connectors": KEYS})
    sne = SyntheticSne(seed=9)
    enr = _registration(sne, date(2025, 2, 3), courriel=True)
    hub = Hub(settings, PluginHost.load(allow=["dossier", "lifecycle", "statistics"]),
              clock=lambda: end_of_day(date(2025, 6, 1)))
    hub.journal.append([enr])
    hub.tick(end_of_day(date(2025, 6, 1)))
    return hub, enr


def _partner_key(hub, partner_id: str, role: str, communes=()) -> str:
    hub.partners.add(partner_id, siren="552046484", nom=f"Partenaire {partner_id}", role=role,
                     connector="echeances", communes=communes)
    return hub.partners.issue_key(partner_id).key


def _demand_reads(hub) -> list[tuple[str, str, str]]:
    return [(r["actor"], r["outcome"], r["target"]) for r in hub.audit.entries(kind=AuditKind.READ)
            if r["action"] == "information demandeur"]


def test_a_registry_desk_reads_a_demand_and_a_partner_without_the_right_is_refused_both_audited(hub_settings):
    hub, enr = _hub_with_a_demand(hub_settings)
    nu, wished = enr.subject, enr.data.demande.souhaits.communes
    elsewhere = "63999" if "63999" not in wished else "63998"
    with hub, TestClient(create_app(hub)) as client:
        desk = _partner_key(hub, "guichet-thiers", "guichet")
        reservataire = _partner_key(hub, "action-logement", "reservataire", communes=[elsewhere])
        bailleur = _partner_key(hub, "ophis", "bailleur", communes=[wished[0]])

        assert client.get(f"/v1/plugins/lifecycle/demandes/{nu}").status_code == 401
        answer = client.get(f"/v1/plugins/lifecycle/demandes/{nu}", headers={"X-Relais-Api-Key": desk})
        assert answer.status_code == 200, answer.text
        assert answer.json()["echeances"]["date_anniversaire"] == "2026-02-03"
        assert client.get(f"/v1/plugins/lifecycle/demandes/{nu}",
                          headers={"Authorization": f"Bearer {bailleur}"}).status_code == 200   # its territory

        refused = client.get(f"/v1/plugins/lifecycle/demandes/{nu}", headers={"X-Relais-Api-Key": reservataire})
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
        detail = refused.json()["detail"]
        assert "'action-logement' (role reservataire) may not read demande" in detail and nu in detail
        assert not any(c in detail for c in wished)            # the household's communes stay in the trail

        reads = _demand_reads(hub)
        assert reads == [("guichet-thiers", "done", nu), ("ophis", "done", nu), ("action-logement", "denied", nu)]
        rows = [r for r in hub.audit.entries(kind=AuditKind.READ) if r["action"] == "information demandeur"]
        assert rows[0]["key_id"] and rows[0]["key_id"] in desk and rows[0]["key_id"] != desk
        assert enr.data.demande.demandeur.nom not in str(rows)


def test_any_registry_partner_reads_the_waiting_time_and_a_legacy_key_still_works(hub_settings):
    hub, enr = _hub_with_a_demand(hub_settings)
    commune = enr.data.demande.souhaits.communes[0]
    with hub, TestClient(create_app(hub)) as client:
        reservataire = _partner_key(hub, "action-logement", "reservataire", communes=["63999"])
        query = {"commune": commune, "typologie": "T3", "annee": 2026}
        assert client.get("/v1/plugins/statistics/delai-attente", params=query).status_code == 401
        waiting = client.get("/v1/plugins/statistics/delai-attente", params=query,
                             headers={"X-Relais-Api-Key": reservataire})
        assert waiting.status_code == 200, waiting.text
        legacy = client.get(f"/v1/plugins/lifecycle/demandes/{enr.subject}",
                            headers={"X-Relais-Api-Key": "cle-guichet"})
        assert legacy.status_code == 200, legacy.text
        assert _demand_reads(hub) == [("connector:echeances", "done", enr.subject)]
