"""End to end, as the issue tried it: two landlords registered with `relais partners add`, the gateway served by a
real uvicorn server, decisions posted with httpx, and `relais history` / `relais audit` read by an operator."""

from __future__ import annotations

import os
import re
import sys

import httpx
import pytest
from click.testing import CliRunner

from hub.cli import prepare
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway import GatewayServer
from tests.asgi import free_port
from tests.conftest import env_for
from tests.factories import decision, decisions_document, rpls, siren


def relais(settings, *args: str) -> tuple[int, str]:
    """`relais ARGS` in process, on the same journal as the running hub."""
    saved = dict(os.environ)
    try:
        env = {k: v for k, v in env_for(settings).items() if k.startswith("RELAIS_")}
        env["RELAIS_PLUGINS"] = "bailleurs"
        result = CliRunner().invoke(prepare(), list(args), env=env, catch_exceptions=False)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        sys.stdout.flush()
    return result.exit_code, result.stdout


def key_from(output: str) -> str:
    return re.search(r"^\s+(rk_\S+)$", output, flags=re.MULTILINE).group(1)


@pytest.fixture
def settings(hub_settings):
    return hub_settings.model_copy(update={"connectors": {"bailleurs": {}}})


def test_a_landlord_cannot_decide_for_another_and_its_own_decision_is_traced_to_it(settings, tmp_path):
    siren_a, siren_b = siren(), siren()
    code, out_a = relais(settings, "--as", "alice", "partners", "add", "bailleur-a", "--siren", siren_a, "--nom",
                         "Habitat A", "--role", "bailleur", "-c", "bailleurs", "--commune", "63430")
    assert code == 0, out_a
    code, _ = relais(settings, "partners", "add", "bailleur-b", "--siren", siren_b, "--nom", "Habitat B",
                     "--role", "bailleur", "-c", "bailleurs")
    assert code == 0
    own = rpls()
    (tmp_path / "stock.csv").write_text(f"commune;identifiant_rpls\n63430;{own}\n", encoding="utf-8")
    assert relais(settings, "partners", "stock", "import", "bailleur-a", str(tmp_path / "stock.csv"))[0] == 0
    key_a = key_from(out_a)

    hub = Hub(settings, PluginHost.load(allow=["bailleurs"]))
    port = free_port()
    server = GatewayServer(hub, "127.0.0.1", port)
    server.start()
    try:
        url = f"http://127.0.0.1:{port}/v1/inbound/bailleurs"
        headers = {"Authorization": f"Bearer {key_a}"}
        in_bs_name = decision(rpls=own)
        forged = httpx.post(url, json=decisions_document([in_bs_name], bailleur_siren=siren_b), headers=headers)
        outside = decision()
        not_mine = httpx.post(url, json=decisions_document([outside], bailleur_siren=siren_a), headers=headers)
        assert (forged.status_code, not_mine.status_code) == (403, 403)
        assert forged.json()["errors"][0]["field"] == "entity.siren"
        assert not_mine.json()["errors"][0]["field"] == "rpls"
        assert hub.journal.count_events() == 0
        server.app.state.gateway.audit.flush()
        refused = hub.audit.entries(kind="inbound")
        assert [(r["actor"], r["outcome"]) for r in refused] == [("bailleur-a", "refused")] * 2

        own_decision = decision(rpls=own)
        accepted = httpx.post(url, json=decisions_document([own_decision], bailleur_siren=siren_a), headers=headers)
        assert accepted.status_code == 202, accepted.text
    finally:
        server.stop()
        hub.close()

    code, history = relais(settings, "--as", "alice", "history", own_decision["numero_unique"])
    assert code == 0
    assert f"Habitat A (SIREN {siren_a}) via bailleurs" in history
    assert relais(settings, "history", in_bs_name["numero_unique"])[0] == 1     # the forgery left no trace there
    code, trail = relais(settings, "audit", "--kind", "read")
    assert f"operator:alice  history  {own_decision['numero_unique']}" in trail
    code, inbound = relais(settings, "audit", "--partner", "bailleur-a", "--kind", "inbound")
    assert inbound.count("refused") == 2 and inbound.count("accepted") == 1
    assert key_a not in inbound and key_a.split("_")[1] in inbound
