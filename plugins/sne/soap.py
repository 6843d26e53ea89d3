"""SOAP 1.2 client of the SNE's web services (numUnique, doublons, demandeLogement, demandesRadieesDepuisLe,
nouveauxDaloDepuisLe, declarationNouveauDalo).

Why hand-built envelopes rather than a WSDL toolkit: the six operations are document/literal with one wrapper
element each, and building them with lxml lets every response go through :mod:`hub.xml_safe` (no entity, no
network fetch, size limit) and be validated against ``schemas/sneServices.xsd`` like any inbound document.

Failures follow the hub's error tree so the delivery loop can decide:

* connection refused, timeout, HTTP 5xx/408/429, a SOAP ``Receiver`` fault, an unreadable response →
  :class:`~hub.RetryableError` (the SNE may accept the same message later);
* HTTP 4xx, a SOAP ``Sender`` fault, a response listing anomalies (``listeAnomalie``) → :class:`~hub.RejectError`
  (the message itself is at fault; retrying the same bytes cannot succeed). Anomalies are kept as problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import structlog
from lxml import etree

from hub import ErrorLocation, RejectError, RetryableError
from hub.xml_safe import XmlLimits, element_path, local_name, parse
from plugins.sne.schema import NS, PREFIX, q, services_schema

__all__ = ["SneSoapClient", "Anomalie", "SOAP_ENV", "OPERATIONS", "build_envelope", "anomalies_of"]

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
CONTENT_TYPE = "application/soap+xml; charset=utf-8"
OPERATIONS = ("numUnique", "doublons", "demandeLogement", "demandesRadieesDepuisLe", "nouveauxDaloDepuisLe",
              "declarationNouveauDalo")
_RETRYABLE_STATUS = {408, 425, 429}
_RESPONSE_LIMITS = XmlLimits(max_bytes=200 * 1024 * 1024)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Anomalie:
    """One anomaly the SNE reports about a document (a control it failed). Holds codes and paths, never values."""

    code: str
    libelle: str
    chemin: str | None = None
    num_unique: str | None = None

    def as_problem(self, origin: str) -> dict[str, Any]:
        problem: dict[str, Any] = {"reason": f"{self.code}: {self.libelle}", "file": origin, "rule": self.code}
        if self.chemin:
            problem["field"] = self.chemin
        if self.num_unique:
            problem["numero_unique"] = self.num_unique
        return problem


def anomalies_of(element: etree._Element) -> list[Anomalie]:
    """Read every ``anomalie`` below ``element`` (a ``listeAnomalie``, a response, a whole document)."""
    found = []
    for anomalie in element.iter(q("anomalie")):
        found.append(Anomalie(code=anomalie.findtext(q("code"), default="").strip(),
                              libelle=anomalie.findtext(q("libelle"), default="").strip(),
                              chemin=anomalie.findtext(q("chemin")),
                              num_unique=anomalie.findtext(q("numUnique"))))
    return found


def build_envelope(payload: etree._Element) -> bytes:
    """Wrap one request element in a SOAP 1.2 envelope."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"env": SOAP_ENV, PREFIX: NS})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    body.append(payload)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


class SneSoapClient:
    """One HTTP connection pool to the SNE endpoint; methods are the SNE operations, named in French as the
    service is. Thread-safe as httpx.Client is; close it when the connector stops."""

    def __init__(self, endpoint: str, *, timeout: float = 30.0, connect_timeout: float = 5.0,
                 auth: tuple[str, str] | None = None, verify: bool | str = True,
                 cert: tuple[str, str] | str | None = None, transport: httpx.BaseTransport | None = None,
                 headers: Mapping[str, str] | None = None):
        self.endpoint = endpoint
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=connect_timeout), auth=auth, verify=verify, cert=cert,
            transport=transport, headers={"User-Agent": "relais-sne", **(headers or {})})

    def close(self) -> None:
        self._client.close()

    # --- the six operations ------------------------------------------------------------------------------------
    def demander_numero_unique(self, document: etree._Element) -> str:
        """Register a new demand (an ``interfaceNuu`` without ``numUnique``) and return the numéro unique given."""
        response = self.call("numUnique", _request("numUnique", document))
        numero = response.findtext(q("numUnique"))
        if not numero:
            raise RetryableError("SNE numUnique response carries no numUnique")
        return numero.strip()

    def rechercher_doublons(self, *, nom: str, prenom: str, date_naissance: date) -> list[str]:
        """Numéros uniques of demands the SNE considers possible duplicates of this person (before registering)."""
        request = _request("doublons")
        etree.SubElement(request, q("nom")).text = nom
        etree.SubElement(request, q("prenom")).text = prenom
        etree.SubElement(request, q("dateNaissance")).text = date_naissance.isoformat()
        response = self.call("doublons", request)
        return [n.text.strip() for n in response.iter(q("numUnique")) if n.text]

    def consulter_demande(self, numero_unique: str) -> bytes:
        """The current state of one demand, as an ``interfaceNuu`` document ready for ``SneConnector.decode``."""
        request = _request("demandeLogement")
        etree.SubElement(request, q("numUnique")).text = numero_unique
        return _embedded_document(self.call("demandeLogement", request), "demandeLogement")

    def transmettre(self, document: etree._Element) -> None:
        """Send an ``interfaceNuu`` document (modification, renouvellement, radiation, attribution) to the SNE."""
        self.call("demandeLogement", _request("demandeLogement", document))

    def demandes_radiees_depuis(self, depuis: date) -> bytes:
        """Every demand radiated since ``depuis``, as one ``interfaceNuu`` document of ``radiation`` elements."""
        request = _request("demandesRadieesDepuisLe")
        etree.SubElement(request, q("date")).text = depuis.isoformat()
        return _embedded_document(self.call("demandesRadieesDepuisLe", request), "demandesRadieesDepuisLe")

    def nouveaux_dalo_depuis(self, depuis: date) -> bytes:
        """Households newly recognised DALO since ``depuis``, as one ``interfaceNuu`` document of ``decisionDalo``."""
        request = _request("nouveauxDaloDepuisLe")
        etree.SubElement(request, q("date")).text = depuis.isoformat()
        return _embedded_document(self.call("nouveauxDaloDepuisLe", request), "nouveauxDaloDepuisLe")

    def declarer_nouveau_dalo(self, document: etree._Element) -> None:
        """Declare a COMED decision (``decisionDalo`` elements of an ``interfaceNuu`` document) to the SNE."""
        self.call("declarationNouveauDalo", _request("declarationNouveauDalo", document))

    # --- transport ---------------------------------------------------------------------------------------------
    def call(self, operation: str, request: etree._Element) -> etree._Element:
        """POST one request and return the response element (``<operation>Reponse``), or raise per the module
        docstring. A response carrying anomalies raises :class:`RejectError` with one problem per anomaly."""
        if operation not in OPERATIONS:
            raise ValueError(f"unknown SNE operation {operation!r}; known: {', '.join(OPERATIONS)}")
        origin = f"{self.endpoint}#{operation}"
        headers = {"Content-Type": f'{CONTENT_TYPE}; action="{NS}{operation}"'}
        try:
            reply = self._client.post(self.endpoint, content=build_envelope(request), headers=headers)
        except httpx.TimeoutException as exc:
            raise RetryableError(f"SNE {operation}: timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise RetryableError(f"SNE {operation}: connection failed ({type(exc).__name__})") from exc
        log.info("sne_soap_call", operation=operation, status=reply.status_code, bytes=len(reply.content))
        body = _body_of(reply, operation, origin)
        response = body[0]
        if response.tag != q(f"{operation}Reponse"):
            raise RetryableError(f"SNE {operation}: unexpected response element {local_name(response)!r}")
        problems = services_schema().problems(response)
        if problems:
            first = problems[0]
            raise RetryableError(f"SNE {operation}: response does not validate against sneServices.xsd: "
                                 f"{first.field} (line {first.line}): {first.message}")
        anomalies = anomalies_of(response)
        if anomalies:
            summary = "; ".join(f"{a.code}: {a.libelle}" for a in anomalies[:5])
            raise RejectError(f"SNE {operation} refused the message with {len(anomalies)} anomalies: {summary}",
                              location=ErrorLocation(file=origin, field=anomalies[0].chemin),
                              problems=[a.as_problem(origin) for a in anomalies])
        return response


def _request(operation: str, document: etree._Element | None = None) -> etree._Element:
    request = etree.Element(q(f"{operation}Requete"), nsmap={PREFIX: NS})
    if document is not None:
        request.append(document)
    return request


def _embedded_document(response: etree._Element, operation: str) -> bytes:
    document = response.find(q("interfaceNuu"))
    if document is None:
        raise RetryableError(f"SNE {operation}: response carries no interfaceNuu document")
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def _retry_after(reply: httpx.Response) -> float | None:
    value = reply.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _body_of(reply: httpx.Response, operation: str, origin: str) -> etree._Element:
    """The SOAP Body of a reply, having turned faults and HTTP errors into the hub's errors."""
    envelope = None
    if reply.content.strip():
        try:
            envelope = parse(reply.content, origin=origin, limits=_RESPONSE_LIMITS,
                             expected_root=f"{{{SOAP_ENV}}}Envelope")
        except RejectError as exc:
            if reply.is_success:
                raise RetryableError(f"SNE {operation}: unreadable response ({exc.reason})") from exc
    body = envelope.find(f"{{{SOAP_ENV}}}Body") if envelope is not None else None
    fault = body.find(f"{{{SOAP_ENV}}}Fault") if body is not None else None
    if fault is not None:
        _raise_fault(fault, operation, origin, reply)
    if reply.status_code >= 500 or reply.status_code in _RETRYABLE_STATUS:
        raise RetryableError(f"SNE {operation}: HTTP {reply.status_code}", retry_after=_retry_after(reply))
    if reply.status_code >= 400:
        raise RejectError(f"SNE {operation}: HTTP {reply.status_code} refused the request",
                          location=ErrorLocation(file=origin))
    if body is None or len(body) == 0:
        raise RetryableError(f"SNE {operation}: HTTP {reply.status_code} without a SOAP body")
    return body


def _raise_fault(fault: etree._Element, operation: str, origin: str, reply: httpx.Response) -> None:
    code = (fault.findtext(f"{{{SOAP_ENV}}}Code/{{{SOAP_ENV}}}Value") or "").strip()
    reason = " ".join((t.text or "").strip() for t in fault.iterfind(f"{{{SOAP_ENV}}}Reason/{{{SOAP_ENV}}}Text"))
    code_local = code.rpartition(":")[2]
    detail = fault.find(f"{{{SOAP_ENV}}}Detail")
    anomalies = anomalies_of(detail) if detail is not None else []
    message = f"SNE {operation}: SOAP fault {code_local or '?'}: {reason or 'no reason given'}"
    if code_local == "Sender":
        field = anomalies[0].chemin if anomalies else element_path(fault)
        raise RejectError(message, location=ErrorLocation(file=origin, field=field),
                          problems=[a.as_problem(origin) for a in anomalies] or None)
    raise RetryableError(message, retry_after=_retry_after(reply))
