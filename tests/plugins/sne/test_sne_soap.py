"""The SOAP 1.2 client against a local SNE stand-in (FastAPI under uvicorn on 127.0.0.1, a free port, in a thread):
every operation, and every failure mapped to the hub's error tree (retry vs dead-letter)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from golden import load_expected
from lxml import etree
from sne_fake import FakeSne, free_port
from sne_support import FIXTURES, make_connector

from hub import RawMessage, RejectError, RetryableError
from hub.xml_safe import parse
from plugins.sne.schema import q
from plugins.sne.soap import SneSoapClient, build_envelope


@pytest.fixture
def sne(fake_server) -> Iterator[tuple[FakeSne, SneSoapClient]]:
    fake, url = fake_server
    fake.received.clear()
    fake.failures.clear()
    fake.anomalies_next = []
    client = SneSoapClient(url, timeout=1.0, connect_timeout=1.0)
    try:
        yield fake, client
    finally:
        client.close()


def _document(name: str) -> etree._Element:
    return parse((FIXTURES / f"{name}.xml").read_bytes(), origin=name)


def test_numero_unique(sne) -> None:
    fake, client = sne
    document = _document("demande_enregistree")
    document.find(f"{q('demande')}/{q('demandeLogement')}").remove(
        document.find(f"{q('demande')}/{q('demandeLogement')}/{q('numUnique')}"))
    numero = client.demander_numero_unique(document)
    assert len(numero) == 18 and numero.startswith("0630124")
    assert fake.operations() == ["numUnique"]


def test_transmettre_and_consulter(sne) -> None:
    fake, client = sne
    client.transmettre(_document("demande_radiee_irrecevabilite"))
    assert fake.operations() == ["demandeLogement"]
    assert b"RADIRR" in fake.received[0][1]
    stored = (FIXTURES / "demande_enregistree.xml").read_bytes()
    numero = load_expected("demande_enregistree").subject
    fake.demandes[numero] = stored
    body = client.consulter_demande(numero)
    connector = make_connector(Path("/nonexistent"))
    [event] = list(connector.decode(RawMessage.from_bytes(body, origin="consultation")))
    assert event.subject == numero


def test_unknown_demand_is_a_rejection_with_the_anomaly(sne) -> None:
    fake, client = sne
    with pytest.raises(RejectError, match="DEM_INCONNUE") as info:
        client.consulter_demande("0630124999999G6301")
    assert info.value.problems[0]["numero_unique"] == "0630124999999G6301"


def test_doublons(sne) -> None:
    fake, client = sne
    fake.demandes = {"0630124000001G6301": b"", "0630124000002G6301": b""}
    found = client.rechercher_doublons(nom="Martin", prenom="Léa", date_naissance=date(1990, 5, 4))
    assert found == ["0630124000001G6301", "0630124000002G6301"]
    fake.demandes = {}


def test_pulls(sne) -> None:
    fake, client = sne
    fake.radiees = (FIXTURES / "demande_radiee_non_renouvellement.xml").read_bytes()
    fake.dalo = (FIXTURES / "decision_dalo.xml").read_bytes()
    assert b"RADREN" in client.demandes_radiees_depuis(date(2024, 1, 1))
    assert b"decisionDalo" in client.nouveaux_dalo_depuis(date(2024, 1, 1))
    assert fake.operations() == ["demandesRadieesDepuisLe", "nouveauxDaloDepuisLe"]
    assert b"2024-01-01" in fake.received[0][1]


def test_declaration_dalo_refused_with_anomalies(sne) -> None:
    fake, client = sne
    fake.anomalies_next = [("CTRL_DALO_0002", "Recours inconnu", "decisionDalo/numeroRecours")]
    with pytest.raises(RejectError, match="refused the message with 1 anomalies: CTRL_DALO_0002") as info:
        client.declarer_nouveau_dalo(_document("decision_dalo"))
    assert info.value.location.field == "decisionDalo/numeroRecours"
    client.declarer_nouveau_dalo(_document("decision_dalo"))    # the next one is accepted


@pytest.mark.parametrize("failure, error, message", [
    ("sender-fault", RejectError, "SOAP fault Sender: Requête invalide"),
    ("receiver-fault", RetryableError, "SOAP fault Receiver: Service momentanément indisponible"),
    ("http-500", RetryableError, "HTTP 500"),
    ("http-503", RetryableError, "HTTP 503"),
    ("http-400", RejectError, "HTTP 400 refused"),
    ("http-404", RejectError, "HTTP 404 refused"),
    ("garbage", RetryableError, "unreadable response"),
    ("slow", RetryableError, "timeout"),
])
def test_failures_map_to_retry_or_reject(sne, failure: str, error: type, message: str) -> None:
    fake, client = sne
    fake.fail_next(failure)
    with pytest.raises(error, match=message) as info:
        client.transmettre(_document("attribution_reportee"))
    if failure == "http-503":
        assert info.value.retry_after == 7.0
    if failure == "sender-fault":
        assert info.value.problems[0]["rule"] == "CTRL_DEM_0001"
    if error is RejectError:
        assert not isinstance(info.value, RetryableError)


def test_invalid_request_is_a_sender_fault(sne) -> None:
    """The stand-in validates requests against sneServices.xsd like the SNE would."""
    fake, client = sne
    request = etree.Element(q("doublonsRequete"))
    etree.SubElement(request, q("nom")).text = "x"
    with pytest.raises(RejectError, match="Sender"):
        client.call("doublons", request)


def test_connection_refused_is_retryable() -> None:
    port = free_port()   # nothing listens there
    client = SneSoapClient(f"http://127.0.0.1:{port}/ws/nuu", timeout=1, connect_timeout=1)
    try:
        with pytest.raises(RetryableError, match="connection failed"):
            client.transmettre(_document("attribution_reportee"))
    finally:
        client.close()


def test_unknown_operation() -> None:
    client = SneSoapClient("http://127.0.0.1:9/ws")
    try:
        with pytest.raises(ValueError, match="unknown SNE operation"):
            client.call("supprimerTout", etree.Element("x"))
    finally:
        client.close()


def test_envelope_is_soap_12() -> None:
    body = build_envelope(etree.Element(q("doublonsRequete")))
    root = parse(body, origin="env")
    assert root.tag == "{http://www.w3.org/2003/05/soap-envelope}Envelope"


# --- the connector's delivery and pull through the endpoint ---------------------------------------------------

def test_connector_delivers_through_soap(fake_server, tmp_path: Path) -> None:
    fake, url = fake_server
    fake.received.clear()
    connector = make_connector(tmp_path, endpoint=url, timeout_seconds=2)
    try:
        for name in ("attribution_reportee", "decision_dalo", "demande_radiee_fusion"):
            event = load_expected(name)
            connector.deliver(event, connector.encode(event))
        assert fake.operations() == ["demandeLogement", "declarationNouveauDalo", "demandeLogement"]
        assert not (tmp_path / "outbox").exists(), "with an endpoint nothing goes to the outbox"
        fake.fail_next("http-503")
        event = load_expected("attribution_reportee")
        with pytest.raises(RetryableError):
            connector.deliver(event, connector.encode(event))
    finally:
        connector.close()


def test_connector_pulls_into_its_inbox(fake_server, tmp_path: Path) -> None:
    fake, url = fake_server
    fake.radiees = (FIXTURES / "demande_radiee_non_renouvellement.xml").read_bytes()
    fake.dalo = (FIXTURES / "decision_dalo.xml").read_bytes()
    connector = make_connector(tmp_path, endpoint=url)
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
