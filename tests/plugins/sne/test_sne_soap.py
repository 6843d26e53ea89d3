"""The SOAP 1.2 MTOM/XOP client against a local SNE over TLS (test CA, client certificate required): every
service, the request's exact shape, a refused certificate, an anomaly list, the generic failure (retried a bounded
number of times), and every other failure mapped to the hub's error tree (retry vs dead-letter)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from golden import load_expected
from lxml import etree
from sne_fake import FakeSne, SnePki
from sne_support import FIXTURES, make_connector

from hub import RawMessage, RejectError, RetryableError
from hub.xml_safe import parse
from plugins.sne.schema import q
from plugins.sne.soap import (
    PARIS,
    SERVICE_PATH,
    SOAP_ENV,
    WS_NS,
    XOP_NS,
    SneSoapClient,
    build_request,
    format_depuis,
    service_url,
    split_related,
)
from tests.asgi import free_port

#: The moment the attachments are named after (never the machine's clock).
NOW = datetime(2024, 5, 6, 10, 12, tzinfo=PARIS)


def _client(url: str, pki: SnePki, *, cert: tuple[str, str] | None = None, retries: int = 2,
            sleeps: list[float] | None = None, certificate: bytes | None = None) -> SneSoapClient:
    return SneSoapClient(url, timeout=1.0, connect_timeout=2.0, verify=str(pki.ca_file),
                         cert=cert or (str(pki.client_cert), str(pki.client_key)),
                         certificate=certificate or pki.client_pem, desk="G6304", generic_failure_retries=retries,
                         now=lambda: NOW, sleep=(sleeps.append if sleeps is not None else lambda _s: None))


@pytest.fixture
def sne(fake_server, sne_pki) -> Iterator[tuple[FakeSne, SneSoapClient]]:
    fake, url = fake_server
    fake.reset()
    client = _client(url, sne_pki)
    try:
        yield fake, client
    finally:
        client.close()


def _document(name: str) -> etree._Element:
    return parse((FIXTURES / f"{name}.xml").read_bytes(), origin=name)


def _encoded(name: str) -> etree._Element:
    """A fixture as the connector writes it (the official shape, the order the SNE expects)."""
    connector = make_connector(Path("/nonexistent"))
    [event] = connector.decode(RawMessage.from_bytes((FIXTURES / f"{name}.xml").read_bytes(), origin=name))
    return parse(connector.encode(event).body, origin=name)


def _without_numero(name: str) -> etree._Element:
    document = _encoded(name)
    logement = document.find(f"{q('demande')}/{q('demandeLogement')}")
    logement.remove(logement.find(q("numUnique")))
    return document


# --- every service ----------------------------------------------------------------------------------------------

def test_num_unique_sends_the_document_and_the_certificate_as_xop_attachments(sne, sne_pki) -> None:
    fake, client = sne
    numero = client.demander_numero_unique(_without_numero("demande_forme_officielle"))
    assert numero == "0630524000001G6304"
    [received] = fake.received
    assert received.operation == "numUnique"
    assert received.action == "http://ws.metier.nuu.application.i2/getNumUnique"
    assert received.parameters["nomFichierDemande"] == "DEMG6304-202405061012-000000.xml"
    assert received.parameters["nomCertificat"] == "CERG6304-202405061012.pem"
    assert received.attachments["certificat"] == sne_pki.client_pem
    assert b"<ns1:typeFichier>CRE</ns1:typeFichier>" in received.document


def test_a_modification_goes_through_num_unique_and_gets_its_number_back(sne) -> None:
    fake, client = sne
    event = load_expected("demande_modifiee")
    connector = make_connector(Path("/nonexistent"))
    document = parse(connector.encode(event).body, origin="modif.xml")
    assert client.transmettre(document) == event.subject
    assert b"<ns1:typeFichier>MOD</ns1:typeFichier>" in fake.received[0].document


def test_demande_logement_consults_one_demand(sne) -> None:
    fake, client = sne
    numero = load_expected("demande_enregistree").subject
    fake.demandes[numero] = (FIXTURES / "demande_enregistree.xml").read_bytes()
    body = client.consulter_demande(numero)
    assert fake.received[0].parameters["numUnique"] == numero
    assert "fichierDemande" not in fake.received[0].attachments       # a consultation sends no document
    connector = make_connector(Path("/nonexistent"))
    [event] = list(connector.decode(RawMessage.from_bytes(body, origin="consultation")))
    assert event.subject == numero


def test_the_answer_may_come_as_an_attachment(sne) -> None:
    fake, client = sne
    fake.answer_as_attachment = True
    numero = load_expected("demande_enregistree").subject
    fake.demandes[numero] = (FIXTURES / "demande_enregistree.xml").read_bytes()
    assert numero.encode() in client.consulter_demande(numero)


def test_doublons_sends_the_document_without_certificate(sne) -> None:
    fake, client = sne
    fake.doublons = ["0630124000001G6301", "0630124000002G6301"]
    found = client.rechercher_doublons(_without_numero("demande_forme_officielle"))
    assert found == ["0630124000001G6301", "0630124000002G6301"]
    [received] = fake.received
    assert received.operation == "doublons" and "certificat" not in received.attachments


def test_the_since_services_take_the_sne_date_format(sne) -> None:
    fake, client = sne
    fake.radiees = (FIXTURES / "demande_radiee_non_renouvellement.xml").read_bytes()
    fake.dalo = (FIXTURES / "decision_dalo.xml").read_bytes()
    assert b"RADREN" in client.demandes_radiees_depuis(date(2024, 1, 1))
    assert b"decisionDalo" in client.nouveaux_dalo_depuis(date(2024, 7, 1))
    assert fake.operations() == ["demandesRadieesDepuisLe", "nouveauxDaloDepuisLe"]
    assert fake.received[0].parameters["dateRadiationDepuisLe"] == "2024-01-01T00:00:00.0+01:00"
    assert fake.received[1].parameters["dateNouveauDaloDepuisLe"] == "2024-07-01T00:00:00.0+02:00"


def test_declaration_nouveau_dalo(sne) -> None:
    fake, client = sne
    client.declarer_nouveau_dalo(_document("decision_dalo"))
    assert fake.operations() == ["declarationNouveauDalo"]


# --- refusals ---------------------------------------------------------------------------------------------------

def test_an_anomaly_list_is_a_rejection_with_the_sne_codes(sne) -> None:
    fake, client = sne
    fake.anomalies_next = [("DEM_0012", "La commune souhaitée est inconnue"), ("DEM_0040", "Revenu fiscal absent")]
    with pytest.raises(RejectError, match="refused the message with 2 anomalies: DEM_0012: La commune") as info:
        client.transmettre(_encoded("demande_forme_officielle"))
    assert [p["rule"] for p in info.value.problems] == ["DEM_0012", "DEM_0040"]
    assert not isinstance(info.value, RetryableError)
    client.transmettre(_encoded("demande_forme_officielle"))      # the next one is accepted


def test_an_unknown_demand_is_a_rejection_with_its_anomaly(sne) -> None:
    _fake, client = sne
    with pytest.raises(RejectError, match="DEM_INCONNUE"):
        client.consulter_demande("0630124999999G6301")


def test_a_client_certificate_from_another_ca_is_refused(fake_server, sne_pki) -> None:
    _fake, url = fake_server
    client = _client(url, sne_pki, cert=(str(sne_pki.stranger_cert), str(sne_pki.stranger_key)))
    try:
        with pytest.raises(RejectError, match="TLS handshake failed.*client_certificate") as info:
            client.demandes_radiees_depuis(date(2024, 1, 1))
        assert not isinstance(info.value, RetryableError)
    finally:
        client.close()


def test_no_client_certificate_is_refused(fake_server, sne_pki) -> None:
    _fake, url = fake_server
    client = SneSoapClient(url, timeout=2, connect_timeout=2, verify=str(sne_pki.ca_file),
                           certificate=sne_pki.client_pem, now=lambda: NOW)
    try:
        with pytest.raises(RejectError, match="TLS handshake failed"):
            client.demandes_radiees_depuis(date(2024, 1, 1))
    finally:
        client.close()


def test_an_attached_certificate_other_than_the_desk_s_is_an_anomaly(fake_server, sne_pki) -> None:
    fake, url = fake_server
    fake.reset()
    client = _client(url, sne_pki, certificate=sne_pki.stranger_cert.read_bytes())
    try:
        with pytest.raises(RejectError, match="CERT_NON_CONFORME"):
            client.demandes_radiees_depuis(date(2024, 1, 1))
    finally:
        client.close()


def test_the_server_must_be_the_one_the_ca_vouches_for(fake_server, sne_pki) -> None:
    _fake, url = fake_server
    client = SneSoapClient(url, timeout=2, connect_timeout=2, verify=True,        # the system CAs: not ours
                           cert=(str(sne_pki.client_cert), str(sne_pki.client_key)), certificate=sne_pki.client_pem,
                           now=lambda: NOW)
    try:
        with pytest.raises(RejectError, match="TLS handshake failed"):
            client.demandes_radiees_depuis(date(2024, 1, 1))
    finally:
        client.close()


# --- the generic failure ----------------------------------------------------------------------------------------

def test_the_generic_failure_is_retried_and_then_succeeds(fake_server, sne_pki) -> None:
    fake, url = fake_server
    fake.reset()
    fake.radiees = (FIXTURES / "demande_radiee_non_renouvellement.xml").read_bytes()
    sleeps: list[float] = []
    client = _client(url, sne_pki, retries=2, sleeps=sleeps)
    try:
        fake.fail_next("generic", "generic")
        assert b"RADREN" in client.demandes_radiees_depuis(date(2024, 1, 1))
        assert sleeps == [1.0, 2.0]
        assert len(fake.received) == 1              # the two failures were answered before reading the request
    finally:
        client.close()


def test_the_generic_failure_is_retried_a_bounded_number_of_times(fake_server, sne_pki) -> None:
    fake, url = fake_server
    fake.reset()
    sleeps: list[float] = []
    client = _client(url, sne_pki, retries=2, sleeps=sleeps)
    try:
        fake.fail_next("generic", "generic", "generic", "generic")
        with pytest.raises(RejectError, match="generic failure.*3 times") as info:
            client.demandes_radiees_depuis(date(2024, 1, 1))
        assert not isinstance(info.value, RetryableError)
        assert len(sleeps) == 2 and list(fake.failures) == ["generic"]     # 3 calls, the 4th never made
    finally:
        client.close()


# --- other failures ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("failure, error, message", [
    ("sender-fault", RejectError, "SOAP fault Sender: Requête invalide"),
    ("receiver-fault", RetryableError, "SOAP fault Receiver: Service momentanément indisponible"),
    ("http-500", RetryableError, "HTTP 500"),
    ("http-503", RetryableError, "HTTP 503"),
    ("http-400", RejectError, "HTTP 400 refused"),
    ("garbage", RetryableError, "unreadable answer"),
    ("slow", RetryableError, "timeout"),
])
def test_failures_map_to_retry_or_reject(sne, failure: str, error: type, message: str) -> None:
    fake, client = sne
    fake.fail_next(failure)
    with pytest.raises(error, match=message) as info:
        client.transmettre(_encoded("demande_forme_officielle"))
    if failure == "http-503":
        assert info.value.retry_after == 7.0
    if error is RejectError:
        assert not isinstance(info.value, RetryableError)


def test_connection_refused_is_retryable(sne_pki) -> None:
    client = _client(f"https://127.0.0.1:{free_port()}{SERVICE_PATH}", sne_pki)   # nothing listens there
    try:
        with pytest.raises(RetryableError, match="connection failed"):
            client.demandes_radiees_depuis(date(2024, 1, 1))
    finally:
        client.close()


def test_a_missing_certificate_is_a_rejection_naming_the_setting(fake_server, sne_pki) -> None:
    fake, url = fake_server
    fake.reset()
    client = SneSoapClient(url, timeout=1, connect_timeout=2, verify=str(sne_pki.ca_file),
                           cert=(str(sne_pki.client_cert), str(sne_pki.client_key)), now=lambda: NOW)
    try:
        with pytest.raises(RejectError, match=r"certificate; set \[connectors.sne\] client_certificate"):
            client.demandes_radiees_depuis(date(2024, 1, 1))
        assert fake.received == []
    finally:
        client.close()


def test_unknown_operation(sne_pki) -> None:
    client = _client("https://127.0.0.1:9/", sne_pki)
    try:
        with pytest.raises(ValueError, match="unknown SNE operation"):
            client.call("supprimerTout")
    finally:
        client.close()


# --- the request's shape ----------------------------------------------------------------------------------------

def test_a_request_is_mtom_xop_soap_12() -> None:
    document = (FIXTURES / "demande_forme_officielle.xml").read_bytes()
    request = build_request("numUnique", document=document, certificate=b"-----BEGIN CERTIFICATE-----\n",
                            desk="G6304", when=NOW)
    assert request.content_type.startswith('multipart/related; type="application/xop+xml"; start="<soaproot>"; '
                                           'start-info="application/soap+xml"; boundary="')
    assert request.content_type.endswith('action="http://ws.metier.nuu.application.i2/getNumUnique"')
    root, attachments = split_related(request.content_type, request.body)
    envelope = parse(root, origin="request")
    assert envelope.tag == f"{{{SOAP_ENV}}}Envelope"
    wrapper = envelope.find(f"{{{SOAP_ENV}}}Body/{{{WS_NS}}}numUniqueParametres")
    assert [etree.QName(c).localname for c in wrapper] == ["nomFichierDemande", "fichierDemande", "nomCertificat",
                                                          "certificat"]
    include = wrapper.find(f"fichierDemande/{{{XOP_NS}}}Include")
    assert attachments[include.get("href").removeprefix("cid:")] == document
    assert build_request("numUnique", document=document, certificate=b"-----BEGIN CERTIFICATE-----\n",
                         desk="G6304", when=NOW) == request, "the same call renders the same bytes"


def test_dates_are_midnight_in_france_with_a_tenth() -> None:
    assert format_depuis(date(2024, 1, 15)) == "2024-01-15T00:00:00.0+01:00"
    assert format_depuis(date(2024, 8, 15)) == "2024-08-15T00:00:00.0+02:00"


def test_a_host_alone_gets_the_service_path() -> None:
    assert service_url("https://nuu-ws.example.gouv.fr") == f"https://nuu-ws.example.gouv.fr{SERVICE_PATH}"
    assert service_url("https://h.example/autre/") == "https://h.example/autre/"


# --- the connector's delivery and pull through the service ----------------------------------------------------

def test_connector_delivers_through_soap(fake_server, sne_section, tmp_path: Path) -> None:
    fake, _url = fake_server
    connector = make_connector(tmp_path, **sne_section)
    try:
        for name in ("attribution_reportee", "decision_dalo", "demande_radiee_fusion"):
            event = load_expected(name)
            connector.deliver(event, connector.encode(event))
        assert fake.operations() == ["numUnique", "declarationNouveauDalo", "numUnique"]
        assert all(r.parameters["nomCertificat"].startswith("CERG6304-") for r in fake.received)
        assert not (tmp_path / "outbox").exists(), "with an endpoint nothing goes to the outbox"
        fake.fail_next("http-503")
        event = load_expected("attribution_reportee")
        with pytest.raises(RetryableError):
            connector.deliver(event, connector.encode(event))
    finally:
        connector.close()


def test_connector_pulls_into_its_inbox(fake_server, sne_section, tmp_path: Path) -> None:
    fake, _url = fake_server
    fake.radiees = (FIXTURES / "demande_radiee_non_renouvellement.xml").read_bytes()
    fake.dalo = (FIXTURES / "decision_dalo.xml").read_bytes()
    connector = make_connector(tmp_path, **sne_section)
    try:
        files = connector.pull_into_inbox(date(2025, 1, 1))
        again = connector.pull_into_inbox(date(2025, 1, 1))
        assert files == again and len(files) == 2
        assert sorted(p.name.split("-")[1] for p in files) == ["demandesRadieesDepuisLe", "nouveauxDaloDepuisLe"]
        types = [e.type for p in files
                 for e in connector.decode(RawMessage.from_bytes(p.read_bytes(), origin=p.name))]
        assert sorted(types) == ["decision_dalo.v1", "demande_radiee.v1"]
    finally:
        connector.close()
