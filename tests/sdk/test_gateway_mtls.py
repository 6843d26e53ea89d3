"""Mutual TLS on the gateway: a client certificate whose subject is registered (`relais partners cert`)
authenticates its partner, through a real uvicorn server; a key still works beside it."""

from __future__ import annotations

import ssl

import httpx
import pytest
import trustme
from cryptography import x509

from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway import GatewayServer
from tests.asgi import free_port
from tests.factories import decision, decisions_document, siren


@pytest.fixture
def backend():
    return "embedded"


@pytest.fixture
def tls(tmp_path):
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    client_cert = ca.issue_cert("caleol.habitat-a.example")
    paths = {name: tmp_path / f"{name}.pem" for name in ("ca", "server", "server_key", "client")}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    server_cert.cert_chain_pems[0].write_to_path(str(paths["server"]))
    server_cert.private_key_pem.write_to_path(str(paths["server_key"]))
    client_cert.private_key_and_cert_chain_pem.write_to_path(str(paths["client"]))
    subject = x509.load_pem_x509_certificate(client_cert.cert_chain_pems[0].bytes()).subject.rfc4514_string()
    return paths, subject


@pytest.fixture
def served(hub_settings, tls):
    paths, _subject = tls
    settings = hub_settings.model_copy(update={
        "connectors": {"bailleurs": {}}, "gateway_tls_certfile": paths["server"],
        "gateway_tls_keyfile": paths["server_key"], "gateway_tls_client_ca": paths["ca"]})
    hub = Hub(settings, PluginHost.load(allow=["bailleurs"]))
    port = free_port()
    server = GatewayServer(hub, "127.0.0.1", port)
    server.start()
    try:
        yield hub, f"https://127.0.0.1:{port}/v1/inbound/bailleurs"
    finally:
        server.stop()
        hub.close()


def client_context(paths, with_certificate: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(paths["ca"]))
    if with_certificate:
        context.load_cert_chain(str(paths["client"]))
    return context


def test_a_registered_client_certificate_authenticates_its_partner(served, tls):
    hub, url = served
    paths, subject = tls
    partner = hub.partners.add("bailleur-a", siren=siren(), nom="Habitat A", role="bailleur", connector="bailleurs")
    hub.partners.add_certificate("bailleur-a", subject)
    document = decisions_document([decision()], bailleur_siren=partner.entity.siren)
    answer = httpx.post(url, json=document, verify=client_context(paths, True))
    assert answer.status_code == 202, answer.text
    [row] = hub.journal.history(document["decisions"][0]["numero_unique"])
    assert row["entity_siren"] == partner.entity.siren
    forged = httpx.post(url, json=decisions_document([decision()]), verify=client_context(paths, True))
    assert forged.status_code == 403


def test_without_a_registered_certificate_or_a_key_the_call_is_refused(served, tls):
    hub, url = served
    paths, _subject = tls
    unregistered = httpx.post(url, json=decisions_document([decision()]), verify=client_context(paths, True))
    no_certificate = httpx.post(url, json=decisions_document([decision()]), verify=client_context(paths, False))
    assert (unregistered.status_code, no_certificate.status_code) == (401, 401)
    partner = hub.partners.add("bailleur-b", siren=siren(), nom="Habitat B", role="bailleur", connector="bailleurs")
    key = hub.partners.issue_key("bailleur-b").key
    with_key = httpx.post(url, json=decisions_document([decision()], bailleur_siren=partner.entity.siren),
                          headers={"X-Relais-Api-Key": key}, verify=client_context(paths, False))
    assert with_key.status_code == 202
