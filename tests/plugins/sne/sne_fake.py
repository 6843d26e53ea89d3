"""A local stand-in for the SNE's SOAP 1.2 endpoint, for tests: a small FastAPI app served by uvicorn in a thread.

It parses requests with the hub's hardened XML helper, validates them against ``sneServices.xsd`` (a Sender fault
with anomalies when invalid), keeps what it receives, and can be told to fail the next call in each way the
client must handle (SOAP faults, HTTP errors, slowness, garbage).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from fastapi import FastAPI, Request, Response
from lxml import etree

from hub.xml_safe import local_name, parse
from plugins.sne.schema import NS, PREFIX, q, services_schema
from plugins.sne.soap import SOAP_ENV
from tests.asgi import free_port, serve  # noqa: F401  (re-exported for the tests)

CONTENT_TYPE = "application/soap+xml; charset=utf-8"


@dataclass
class FakeSne:
    """State of the fake: what it received, what it will answer, and the failures queued for the next calls."""

    received: list[tuple[str, bytes]] = field(default_factory=list)      # (operation, request element bytes)
    demandes: dict[str, bytes] = field(default_factory=dict)              # numUnique -> interfaceNuu bytes
    radiees: bytes | None = None                                          # answer of demandesRadieesDepuisLe
    dalo: bytes | None = None                                             # answer of nouveauxDaloDepuisLe
    anomalies_next: list[tuple[str, str, str]] = field(default_factory=list)  # (code, libelle, chemin)
    failures: deque[str] = field(default_factory=deque)
    delay: float = 0.0
    counter: int = 0

    def fail_next(self, *kinds: str) -> None:
        """Queue failures: sender-fault, receiver-fault, http-500, http-503, http-400, http-404, slow, garbage."""
        self.failures.extend(kinds)

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.received]


def _envelope(payload: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"env": SOAP_ENV, PREFIX: NS})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(payload)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _fault(code: str, reason: str, anomalies: list[tuple[str, str, str]] = ()) -> bytes:
    fault = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap={"env": SOAP_ENV})
    etree.SubElement(etree.SubElement(fault, f"{{{SOAP_ENV}}}Code"), f"{{{SOAP_ENV}}}Value").text = f"env:{code}"
    text = etree.SubElement(etree.SubElement(fault, f"{{{SOAP_ENV}}}Reason"), f"{{{SOAP_ENV}}}Text")
    text.text = reason
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
    if anomalies:
        detail = etree.SubElement(fault, f"{{{SOAP_ENV}}}Detail")
        detail.append(_liste_anomalie(anomalies))
    return _envelope(fault)


def _liste_anomalie(anomalies: list[tuple[str, str, str]]) -> etree._Element:
    liste = etree.Element(q("listeAnomalie"), nsmap={PREFIX: NS})
    for code, libelle, chemin in anomalies:
        anomalie = etree.SubElement(liste, q("anomalie"))
        etree.SubElement(anomalie, q("code")).text = code
        etree.SubElement(anomalie, q("libelle")).text = libelle
        if chemin:
            etree.SubElement(anomalie, q("chemin")).text = chemin
    return liste


def build_app(fake: FakeSne) -> FastAPI:
    app = FastAPI()

    @app.post("/ws/nuu")
    async def endpoint(request: Request) -> Response:
        body = await request.body()
        if fake.delay:
            time.sleep(fake.delay)
        failure = fake.failures.popleft() if fake.failures else None
        if failure == "slow":
            time.sleep(1.5)
        if failure == "http-500":
            return Response(b"Internal error", status_code=500, media_type="text/plain")
        if failure == "http-503":
            return Response(b"", status_code=503, headers={"Retry-After": "7"})
        if failure == "http-400":
            return Response(b"Bad request", status_code=400, media_type="text/plain")
        if failure == "http-404":
            return Response(b"", status_code=404)
        if failure == "garbage":
            return Response(b"<html><body>maintenance", status_code=200, media_type="text/html")
        if failure == "sender-fault":
            return Response(_fault("Sender", "Requête invalide", [("CTRL_DEM_0001", "Contrôle échoué",
                                                                     "demandeLogement/numUnique")]),
                            status_code=400, media_type=CONTENT_TYPE)
        if failure == "receiver-fault":
            return Response(_fault("Receiver", "Service momentanément indisponible"), status_code=500,
                            media_type=CONTENT_TYPE)
        envelope = parse(body, origin="request", expected_root=f"{{{SOAP_ENV}}}Envelope")
        request_element = envelope.find(f"{{{SOAP_ENV}}}Body")[0]
        operation = local_name(request_element).removesuffix("Requete")
        fake.received.append((operation, etree.tostring(request_element)))
        problems = services_schema().problems(request_element)
        if problems:
            return Response(_fault("Sender", "Requête non conforme",
                                   [("XSD", p.message, p.field or "") for p in problems]),
                            status_code=400, media_type=CONTENT_TYPE)
        response = etree.Element(q(f"{operation}Reponse"), nsmap={PREFIX: NS})
        _answer(fake, operation, request_element, response)
        return Response(_envelope(response), media_type=CONTENT_TYPE)

    return app


def _compte_rendu(fake: FakeSne, response: etree._Element) -> None:
    compte_rendu = etree.SubElement(response, q("compteRendu"))
    if fake.anomalies_next:
        etree.SubElement(compte_rendu, q("statut")).text = "KO"
        compte_rendu.append(_liste_anomalie(fake.anomalies_next))
        fake.anomalies_next = []
    else:
        etree.SubElement(compte_rendu, q("statut")).text = "OK"


def _answer(fake: FakeSne, operation: str, request: etree._Element, response: etree._Element) -> None:
    if operation == "numUnique":
        fake.counter += 1
        etree.SubElement(response, q("numUnique")).text = f"0630124{fake.counter:06d}G6300"
    elif operation == "doublons":
        liste = etree.SubElement(response, q("listeNumUnique"))
        for numero in fake.demandes:
            etree.SubElement(liste, q("numUnique")).text = numero
    elif operation == "demandeLogement":
        numero = request.findtext(q("numUnique"))
        if numero is not None:
            stored = fake.demandes.get(numero)
            if stored is None:
                _compte_rendu_not_found(response, numero)
            else:
                response.append(etree.fromstring(stored))
        else:
            _compte_rendu(fake, response)
    elif operation == "demandesRadieesDepuisLe":
        response.append(etree.fromstring(fake.radiees))
    elif operation == "nouveauxDaloDepuisLe":
        response.append(etree.fromstring(fake.dalo))
    elif operation == "declarationNouveauDalo":
        _compte_rendu(fake, response)


def _compte_rendu_not_found(response: etree._Element, numero: str) -> None:
    compte_rendu = etree.SubElement(response, q("compteRendu"))
    etree.SubElement(compte_rendu, q("statut")).text = "KO"
    liste = etree.SubElement(compte_rendu, q("listeAnomalie"))
    anomalie = etree.SubElement(liste, q("anomalie"))
    etree.SubElement(anomalie, q("code")).text = "DEM_INCONNUE"
    etree.SubElement(anomalie, q("libelle")).text = "Demande inconnue"
    etree.SubElement(anomalie, q("numUnique")).text = numero

