"""The landlord's reference client (examples/reference_client) against a live hub: it posts decisions through the
real gateway, pulls and acknowledges its events, and its tiny receiver takes the hub's signed webhooks and refuses
a tampered or replayed one."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.channels import ChannelKind
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway import GatewayServer
from hub.webhooks import signature_header
from tests.asgi import free_port
from tests.factories import decision, siren
from tests.gateway.receivers import wait_until

CLIENT_FILE = Path(__file__).resolve().parents[2] / "examples" / "reference_client" / "relais_client.py"
_spec = importlib.util.spec_from_file_location("relais_client", CLIENT_FILE)
relais_client = importlib.util.module_from_spec(_spec)
sys.modules["relais_client"] = relais_client
_spec.loader.exec_module(relais_client)

SECRET = "whsec_reference-client-0123456789"


@pytest.fixture
def settings(hub_settings):
    return hub_settings.model_copy(update={"connectors": {"bailleurs": {}}, "poll_interval": 0.05})


def make_hub(settings) -> Hub:
    return Hub(settings, PluginHost.load(allow=["bailleurs"]))


def register(settings, channel: dict) -> dict[str, str]:
    """A posting landlord (key, SIREN) and a receiving one (``landlord``, territory 63430) with ``channel``."""
    with make_hub(settings) as hub:
        poster = siren()
        hub.partners.add("bailleur-a", siren=poster, nom="Habitat A", role="bailleur", connector="bailleurs")
        hub.partners.add("landlord", siren=siren(), nom="Habitat L", role="bailleur", connector="bailleurs",
                         communes=["63430"])
        hub.channels.set("landlord", **channel)
        return {"poster_key": hub.partners.issue_key("bailleur-a").key, "poster_siren": poster,
                "landlord_key": hub.partners.issue_key("landlord").key}


def test_post_then_pull_and_acknowledge(settings, tmp_path):
    creds = register(settings, {"kind": ChannelKind.PULL})
    with make_hub(settings) as hub:
        server = GatewayServer(hub, "127.0.0.1", free_port())
        server.start()
        base = f"http://127.0.0.1:{server.port}"
        try:
            mine = [decision(commune="63430"), decision(commune="63430")]
            with relais_client.RelaisClient(base, creds["poster_key"]) as poster:
                answer = poster.post_decisions(mine + [decision(commune="63300")], creds["poster_siren"],
                                               "Habitat A")
                assert answer["journaled"] == 3
                with pytest.raises(RuntimeError, match=r"HTTP 403: .*entity\.siren"):
                    poster.post_decisions([decision()], siren(), "Someone Else")
            hub.run_once()
            stored = tmp_path / "events"
            with relais_client.RelaisClient(base, creds["landlord_key"]) as landlord:
                assert landlord.pull_all(relais_client.store_event(stored)) == 2
                assert landlord.pull()["events"] == []       # acknowledged: never served again
            got = sorted(json.loads(f.read_text())["data"]["numero_unique"] for f in stored.glob("*.json"))
            assert got == sorted(d["numero_unique"] for d in mine)

            # the script as a landlord runs it, in its own process
            later = decision(commune="63430")
            (tmp_path / "key.txt").write_text(creds["poster_key"])
            (tmp_path / "decisions.json").write_text(json.dumps([later]))
            posted = subprocess.run([sys.executable, str(CLIENT_FILE), "--url", base, "--key-file",
                                     str(tmp_path / "key.txt"), "post", str(tmp_path / "decisions.json"),
                                     "--siren", creds["poster_siren"], "--nom", "Habitat A"],
                                    capture_output=True, text=True, timeout=60, check=False)
            assert posted.returncode == 0, posted.stderr
            assert posted.stdout.strip() == "1 journaled, 0 already known"
            hub.run_once()
            (tmp_path / "landlord.txt").write_text(creds["landlord_key"])
            pulled = subprocess.run([sys.executable, str(CLIENT_FILE), "--url", base, "--key-file",
                                     str(tmp_path / "landlord.txt"), "pull", "--out", str(stored)],
                                    capture_output=True, text=True, timeout=60, check=False)
            assert pulled.returncode == 0, pulled.stderr
            assert pulled.stdout.startswith("1 event(s) stored")
            assert len(list(stored.glob("*.json"))) == 3
        finally:
            server.stop()


@pytest.mark.parametrize("backend", ["embedded"])
def test_the_receiver_takes_signed_webhooks_and_refuses_forged_ones(settings, tmp_path):
    received: list[dict] = []
    receiver = relais_client.make_receiver(SECRET, received.append)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/events"
    try:
        creds = register(settings, {"kind": ChannelKind.WEBHOOK, "url": url, "secret": SECRET})
        hub = make_hub(settings)
        stop = threading.Event()
        server = GatewayServer(hub, "127.0.0.1", free_port())
        server.start()
        runner = threading.Thread(target=hub.run, args=(stop,), daemon=True)
        runner.start()
        try:
            with relais_client.RelaisClient(f"http://127.0.0.1:{server.port}", creds["poster_key"]) as poster:
                poster.post_decisions([decision(commune="63430"), decision(commune="63113")],
                                      creds["poster_siren"], "Habitat A")
            wait_until(lambda: len(received) == 1, what="the webhook received")
        finally:
            stop.set()
            runner.join(timeout=30)
            server.stop()
            hub.close()
        assert received[0]["type"] == "decision_cal.v1" and received[0]["data"]["commune"] == "63430"

        body = json.dumps(received[0]).encode()
        tampered = httpx.post(url, content=body.replace(b"63430", b"63113"),
                              headers={"Relais-Signature": signature_header(SECRET, body)})
        stale = httpx.post(url, content=body,
                           headers={"Relais-Signature": signature_header(SECRET, body, int(time.time()) - 301)})
        unsigned = httpx.post(url, content=body)
        wrong_secret = httpx.post(url, content=body,
                                  headers={"Relais-Signature": signature_header(SECRET + "x", body)})
        assert [r.status_code for r in (tampered, stale, unsigned, wrong_secret)] == [400] * 4
        assert "tampered" in tampered.text and "window" in stale.text
        assert len(received) == 1
    finally:
        receiver.shutdown()
        receiver.server_close()


@given(body=st.binary(max_size=2000), secret=st.text(min_size=16, max_size=64), t=st.integers(0, 2 ** 40))
def test_the_clients_check_agrees_with_the_hubs_signature(body, secret, t):
    header = signature_header(secret, body, t)
    assert relais_client.verify_signature(secret, header, body, now=t) == t
    with pytest.raises(relais_client.SignatureError):
        relais_client.verify_signature(secret, header, body + b"!", now=t)
