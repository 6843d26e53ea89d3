"""Client of the SNE's web services as they really are: SOAP 1.2 over HTTPS with a client certificate, requests sent
as MTOM/XOP (``multipart/related; type="application/xop+xml"``), the demand document and the desk's certificate as
attachments referenced by ``xop:Include``.

What is known publicly of the real interface comes from the public client ``libsne`` (cooperative Cliss XXI) and is
followed here: the service at ``/services/DemandeLogementImplService/``; one wrapper per operation in the namespace
``http://ws.metier.nuu.application.i2/`` (``numUniqueParametres``, ``demandeLogementParametres``,
``rechercheDoublonsParametres``, ``nouveauxDaloDepuisLeParametres``, ``demandesRadieesDepuisLeParametres``) with
unqualified parameters (``nomFichierDemande``/``fichierDemande``, ``nomCertificat``/``certificat``, ``numUnique``,
``dateNouveauDaloDepuisLe``, ``dateRadiationDepuisLe``); the SOAP action ``…/get<Operation>``; dates as
``aaaa-mm-jjTHH:MM:SS.s+hh:mm``; answers carrying an ``interfaceNuu`` (``listeDoublons`` for duplicates), refusals
as ``demande/demandeLogement/listeAnomalie/anomalie@code`` with a label, and a generic failure whose text is "Une
erreur inattendue est survenue lors du traitement de la demande". Creations, modifications, renewals and radiations
are all sent through ``numUnique``: the document's ``typeFichier`` says which. ``declarationNouveauDalo`` is named by
the SNE but not described publicly: its wrapper (``declarationNouveauDaloParametres``, document and certificate) is
our reconstruction in the same style.

Why hand-built MIME rather than a WSDL toolkit: the SNE is strict about the layout (libsne's author notes that some
elements must follow each other on one line), no WSDL is public, and building the parts ourselves keeps every byte
reviewable; answers are split with the standard library's ``email`` parser and every XML part goes through
:mod:`hub.xml` (no entity, no network fetch, size limit).

Failures follow the hub's error tree so the delivery loop can decide:

* connection refused, timeout, HTTP 5xx/408/425/429, a SOAP ``Receiver`` fault, an unreadable answer →
  :class:`~hub.RetryableError` (the SNE may accept the same message later);
* the generic failure → retried here, at once, ``generic_failure_retries`` times (it is often transient), then
  :class:`~hub.RejectError` (libsne documents it as the answer to a malformed request, or to a duplicate search on a
  legal person: retrying the same bytes for ever cannot succeed);
* the TLS client certificate refused, HTTP 4xx, a SOAP ``Sender`` fault, an answer listing anomalies →
  :class:`~hub.RejectError`, one problem per anomaly with the SNE's code (dead-lettered at once, with the reason).
"""

from __future__ import annotations

import hashlib
import ssl
import time as clock
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx
import structlog
from lxml import etree

from hub import ErrorLocation, RejectError, RetryableError
from hub.xml import XmlLimits, local_name, parse
from plugins.sne.schema import q

__all__ = ["SneSoapClient", "Anomalie", "Operation", "OPERATIONS", "SOAP_ENV", "WS_NS", "XOP_NS", "SERVICE_PATH",
           "GENERIC_FAILURE", "anomalies_of", "build_request", "soap_action", "format_depuis", "split_related"]

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
#: Namespace of the operations' wrappers (the SNE's Java package ``i2.application.nuu.metier.ws``).
WS_NS = "http://ws.metier.nuu.application.i2/"
XOP_NS = "http://www.w3.org/2004/08/xop/include"
SERVICE_PATH = "/services/DemandeLogementImplService/"
#: The SNE's generic failure (its own words): the start is enough to recognise it.
GENERIC_FAILURE = "Une erreur inattendue est survenue"
PARIS = ZoneInfo("Europe/Paris")
_RETRYABLE_STATUS = {408, 425, 429}
_RESPONSE_LIMITS = XmlLimits(max_bytes=200 * 1024 * 1024)
ROOT_ID = "soaproot"
DOCUMENT_ID = "fichierDemande"
CERTIFICATE_ID = "certificat"

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Operation:
    """One web service: its wrapper, what it carries, where its answer is."""

    name: str
    wrapper: str
    document: bool = False                 # the demand document as the ``fichierDemande`` attachment
    certificate: bool = True               # the desk's certificate as the ``certificat`` attachment
    date_parameter: str | None = None      # the "since" services' date parameter
    answer: str = "interfaceNuu"           # the element the answer carries


OPERATIONS: dict[str, Operation] = {op.name: op for op in (
    Operation("numUnique", "numUniqueParametres", document=True),
    Operation("demandeLogement", "demandeLogementParametres"),
    Operation("doublons", "rechercheDoublonsParametres", document=True, certificate=False, answer="listeDoublons"),
    Operation("nouveauxDaloDepuisLe", "nouveauxDaloDepuisLeParametres", date_parameter="dateNouveauDaloDepuisLe"),
    Operation("demandesRadieesDepuisLe", "demandesRadieesDepuisLeParametres",
              date_parameter="dateRadiationDepuisLe"),
    Operation("declarationNouveauDalo", "declarationNouveauDaloParametres", document=True),   # reconstruction
)}


def soap_action(operation: str) -> str:
    """``http://ws.metier.nuu.application.i2/getNumUnique`` for ``numUnique``."""
    return f"{WS_NS}get{operation[0].upper()}{operation[1:]}"


def format_depuis(day: date) -> str:
    """A "since" date as the services want it: midnight in France, ``aaaa-mm-jjTHH:MM:SS.s+hh:mm``."""
    moment = datetime.combine(day, time(0), tzinfo=PARIS)
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%dT%H:%M:%S}.0{offset[:3]}:{offset[3:]}"


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
    """Every ``anomalie`` below ``element``. The SNE writes ``<anomalie code="…"><libelle>…</libelle></anomalie>``
    (the code as attribute, the label as first child); Relais's anomaly reports use ``code``/``libelle``/``chemin``
    children. Both are read."""
    found = []
    for anomalie in element.iter(q("anomalie")):
        children = [c for c in anomalie if isinstance(c.tag, str)]
        first_text = (children[0].text or "").strip() if children else ""
        found.append(Anomalie(
            code=(anomalie.get("code") or anomalie.findtext(q("code"), default="")).strip(),
            libelle=(anomalie.findtext(q("libelle")) or first_text or (anomalie.text or "")).strip(),
            chemin=anomalie.findtext(q("chemin")), num_unique=anomalie.findtext(q("numUnique"))))
    return found


@dataclass(frozen=True)
class Request:
    """One MTOM/XOP request, ready to POST: its bytes and its ``Content-Type``."""

    body: bytes
    content_type: str


def _part(headers: Mapping[str, str], content: bytes) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return head.encode("ascii") + b"\r\n" + content + b"\r\n"


def build_request(operation: str, *, document: bytes | None = None, certificate: bytes | None = None,
                  numero_unique: str | None = None, depuis: date | None = None, desk: str = "RELAIS",
                  when: datetime) -> Request:
    """The MTOM/XOP message of one call. ``when`` names the attachments (``DEM<desk>-<aaaammjjhhmm>-000000.xml``,
    ``CER<desk>-<aaaammjjhhmm>.pem``, as the SNE's desks name them): it is passed in, never read from the clock
    here, so the same call renders the same bytes."""
    op = OPERATIONS[operation]
    stamp = when.strftime("%Y%m%d%H%M")
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "ws": WS_NS})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
    wrapper = etree.SubElement(etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{WS_NS}}}{op.wrapper}")
    attachments: list[bytes] = []
    if op.document:
        if document is None:
            raise ValueError(f"SNE {operation}: needs the demand document")
        etree.SubElement(wrapper, "nomFichierDemande").text = f"DEM{desk}-{stamp}-000000.xml"
        _include(etree.SubElement(wrapper, "fichierDemande"), "text/xml", DOCUMENT_ID)
        attachments.append(_part({"Content-Type": "text/xml; charset=UTF-8", "Content-Transfer-Encoding": "8bit",
                                  "Content-ID": f"<{DOCUMENT_ID}>",
                                  "Content-Disposition": f'attachment; name="{DOCUMENT_ID}"'}, document))
    if numero_unique is not None:
        etree.SubElement(wrapper, "numUnique").text = numero_unique
    if op.date_parameter is not None:
        if depuis is None:
            raise ValueError(f"SNE {operation}: needs a date")
        etree.SubElement(wrapper, op.date_parameter).text = format_depuis(depuis)
    if op.certificate:
        if certificate is None:
            raise ValueError(f"SNE {operation}: needs the desk's certificate; set [connectors.sne] "
                             "client_certificate")
        etree.SubElement(wrapper, "nomCertificat").text = f"CER{desk}-{stamp}.pem"
        _include(etree.SubElement(wrapper, "certificat"), "application/x-x509-ca-cert", CERTIFICATE_ID)
        attachments.append(_part({"Content-Type": "application/octet-stream", "Content-Transfer-Encoding": "binary",
                                  "Content-ID": f"<{CERTIFICATE_ID}>", "Content-Disposition": "attachment"},
                                 certificate))
    soap = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    action = soap_action(operation)
    root = _part({"Content-Type": f'application/xop+xml; charset=UTF-8; type="application/soap+xml"; '
                                  f'action="{action}"', "Content-Transfer-Encoding": "8bit",
                  "Content-ID": f"<{ROOT_ID}>"}, soap)
    parts = [root, *attachments]
    boundary = "MIMEBoundary_" + hashlib.sha256(b"".join(parts)).hexdigest()[:40]
    delimiter = b"--" + boundary.encode()
    body = b"".join(delimiter + b"\r\n" + part for part in parts) + delimiter + b"--\r\n"
    content_type = (f'multipart/related; type="application/xop+xml"; start="<{ROOT_ID}>"; '
                    f'start-info="application/soap+xml"; boundary="{boundary}"; action="{action}"')
    return Request(body=body, content_type=content_type)


def _include(parent: etree._Element, content_type: str, content_id: str) -> None:
    parent.set(f"{{{WS_NS}}}contentType", content_type)
    etree.SubElement(parent, f"{{{XOP_NS}}}Include", nsmap={"xop": XOP_NS}, href=f"cid:{content_id}")


def split_related(content_type: str, body: bytes) -> tuple[bytes, dict[str, bytes]]:
    """The root part of a ``multipart/related`` body and its other parts by Content-ID (without ``<>``). A body that
    is not multipart is its own root. Used by the client on answers and by the tests' SNE on requests."""
    if not content_type.lower().startswith("multipart/"):
        return body, {}
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    parts: list[Message] = list(message.iter_parts())  # type: ignore[attr-defined]
    if not parts:
        raise ValueError("multipart body without parts")
    start = (message.get_param("start") or "").strip().strip("<>")
    ids = [(part.get("Content-ID") or "").strip().strip("<>") for part in parts]
    root_index = ids.index(start) if start in ids else 0
    others = {ids[i]: parts[i].get_payload(decode=True) or b"" for i in range(len(parts)) if i != root_index}
    return parts[root_index].get_payload(decode=True) or b"", others


class _GenericFailure(Exception):
    """The SNE's generic failure text was in the answer (internal: retried, then a RejectError)."""


class SneSoapClient:
    """One HTTPS connection pool to the SNE (client certificate, CA), one method per web service, named in French
    as the services are. Thread-safe as httpx.Client is; close it when the connector stops.

    ``certificate`` is the desk's certificate (PEM) the services want as an attachment — the public half of the TLS
    client certificate. ``now`` names the attachments; ``sleep`` paces the retries of the generic failure: both
    injected so that tests neither read the clock nor wait."""

    def __init__(self, endpoint: str, *, timeout: float = 30.0, connect_timeout: float = 5.0,
                 auth: tuple[str, str] | None = None, verify: bool | str | ssl.SSLContext = True,
                 cert: tuple[str, str] | str | None = None, certificate: bytes | None = None,
                 desk: str = "RELAIS", generic_failure_retries: int = 2, retry_pause: float = 1.0,
                 transport: httpx.BaseTransport | None = None, headers: Mapping[str, str] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(PARIS),
                 sleep: Callable[[float], None] = clock.sleep):
        self.endpoint = service_url(endpoint)
        self.certificate = certificate
        self.desk = desk
        self.generic_failure_retries = generic_failure_retries
        self.retry_pause = retry_pause
        self._now = now
        self._sleep = sleep
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=connect_timeout), auth=auth, verify=tls_context(verify, cert),
            transport=transport, headers={"User-Agent": "relais-sne", **(headers or {})})

    def close(self) -> None:
        self._client.close()

    # --- the services ------------------------------------------------------------------------------------------
    def demander_numero_unique(self, document: etree._Element) -> str:
        """Send a demand document (creation, modification, renewal, radiation: its ``typeFichier`` says which) and
        return the numéro unique of the demand the SNE answers with."""
        answer = self.call("numUnique", document=document)
        numero = answer.findtext(f"{q('demande')}/{q('demandeLogement')}/{q('numUnique')}")
        if not numero or not numero.strip():
            raise RetryableError("SNE numUnique: the answer carries no numUnique")
        return numero.strip()

    def transmettre(self, document: etree._Element) -> str:
        """Deliver a document to the SNE (everything but DALO decisions); returns the numéro unique answered."""
        return self.demander_numero_unique(document)

    def rechercher_doublons(self, document: etree._Element) -> list[str]:
        """Numéros uniques of demands the SNE considers possible duplicates of the demand ``document`` describes."""
        answer = self.call("doublons", document=document)
        return [n.text.strip() for n in answer.iter(q("numUnique")) if n.text and n.text.strip()]

    def consulter_demande(self, numero_unique: str) -> bytes:
        """The current state of one demand, as an ``interfaceNuu`` document ready for ``SneConnector.decode``."""
        return _document_bytes(self.call("demandeLogement", numero_unique=numero_unique))

    def demandes_radiees_depuis(self, depuis: date) -> bytes:
        """Every demand radiated since ``depuis``, as one ``interfaceNuu`` document."""
        return _document_bytes(self.call("demandesRadieesDepuisLe", depuis=depuis))

    def nouveaux_dalo_depuis(self, depuis: date) -> bytes:
        """Households newly recognised DALO since ``depuis``, as one ``interfaceNuu`` document."""
        return _document_bytes(self.call("nouveauxDaloDepuisLe", depuis=depuis))

    def declarer_nouveau_dalo(self, document: etree._Element) -> None:
        """Declare a COMED decision (``decisionDalo`` records of an ``interfaceNuu`` document) to the SNE."""
        self.call("declarationNouveauDalo", document=document)

    # --- transport ---------------------------------------------------------------------------------------------
    def call(self, operation: str, *, document: etree._Element | None = None, numero_unique: str | None = None,
             depuis: date | None = None) -> etree._Element:
        """POST one request and return the element the answer carries (``interfaceNuu`` or ``listeDoublons``), or
        raise per the module docstring."""
        if operation not in OPERATIONS:
            raise ValueError(f"unknown SNE operation {operation!r}; known: {', '.join(OPERATIONS)}")
        try:
            request = build_request(
                operation, document=etree.tostring(document, xml_declaration=True, encoding="UTF-8")
                if document is not None else None, certificate=self.certificate, numero_unique=numero_unique,
                depuis=depuis, desk=self.desk, when=self._now())
        except ValueError as exc:
            # a setting is missing (the desk's certificate): no retry can help until an operator sets it
            raise RejectError(str(exc), location=ErrorLocation(file=f"{self.endpoint}#{operation}")) from None
        for attempt in range(1, self.generic_failure_retries + 2):
            try:
                return self._exchange(operation, request)
            except _GenericFailure:
                log.warning("sne_generic_failure", operation=operation, attempt=attempt)
                if attempt > self.generic_failure_retries:
                    break
                self._sleep(self.retry_pause * attempt)
        raise RejectError(
            f"SNE {operation}: the service answered its generic failure ({GENERIC_FAILURE}…) "
            f"{self.generic_failure_retries + 1} times; it answers so to a request it cannot read (check the "
            "document against the interface) and, for doublons, to a search on a legal person",
            location=ErrorLocation(file=f"{self.endpoint}#{operation}"))

    def _exchange(self, operation: str, request: Request) -> etree._Element:
        origin = f"{self.endpoint}#{operation}"
        headers = {"Content-Type": request.content_type, "MIME-Version": "1.0"}
        try:
            reply = self._client.post(self.endpoint, content=request.body, headers=headers)
        except httpx.TimeoutException as exc:
            raise RetryableError(f"SNE {operation}: timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            if _tls_refusal(exc):
                raise RejectError(
                    f"SNE {operation}: the TLS handshake failed ({_ssl_reason(exc)}): the SNE refused the client "
                    "certificate or is not the server the CA vouches for; check [connectors.sne] "
                    "client_certificate, client_key and ca_bundle", location=ErrorLocation(file=origin)) from exc
            raise RetryableError(f"SNE {operation}: connection failed ({type(exc).__name__})") from exc
        log.info("sne_soap_call", operation=operation, status=reply.status_code, bytes=len(reply.content))
        return _answer_of(reply, operation, origin)


def _refuse_anomalies(element: etree._Element, operation: str, origin: str) -> None:
    """A :class:`RejectError` with one problem per anomaly (the SNE's code, its label) when ``element`` lists any:
    the SNE answers a refused demand with the demand and its ``listeAnomalie``, whatever the service."""
    anomalies = anomalies_of(element)
    if anomalies:
        summary = "; ".join(f"{a.code}: {a.libelle}" for a in anomalies[:5])
        raise RejectError(f"SNE {operation} refused the message with {len(anomalies)} anomalies: {summary}",
                          location=ErrorLocation(file=origin, field=anomalies[0].chemin),
                          problems=[a.as_problem(origin) for a in anomalies])


def tls_context(verify: bool | str | ssl.SSLContext, cert: tuple[str, str] | str | None) -> ssl.SSLContext | bool:
    """The TLS context: the CA bundle to trust (``verify``: a file, or True for the system's) and the client
    certificate to present (``cert``: a PEM holding both, or (certificate, key)). Built here because the SNE refuses
    any connection without the desk's certificate, and httpx no longer takes one apart from a context."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is False and cert is None:
        return False
    context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
        context.load_cert_chain(certfile, keyfile)
    return context


def service_url(endpoint: str) -> str:
    """The service's URL: ``endpoint`` as given, or with the SNE's service path when it names only the host."""
    parts = urlsplit(endpoint)
    if parts.path in ("", "/"):
        return urlunsplit(parts._replace(path=SERVICE_PATH))
    return endpoint


def _tls_refusal(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _ssl_reason(exc: BaseException) -> str:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen.reason or type(seen).__name__
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


def _document_bytes(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")


def _answer_of(reply: httpx.Response, operation: str, origin: str) -> etree._Element:
    """The element the answer carries, having turned faults, HTTP errors and the generic failure into errors."""
    op = OPERATIONS[operation]
    try:
        root_part, attachments = split_related(reply.headers.get("content-type", ""), reply.content)
    except ValueError as exc:
        raise RetryableError(f"SNE {operation}: unreadable multipart answer ({exc})") from exc
    if GENERIC_FAILURE.encode() in root_part:
        raise _GenericFailure()
    envelope = None
    if root_part.strip():
        try:
            envelope = parse(root_part, origin=origin, limits=_RESPONSE_LIMITS,
                             expected_root=f"{{{SOAP_ENV}}}Envelope")
        except RejectError as exc:
            if reply.is_success:
                raise RetryableError(f"SNE {operation}: unreadable answer ({exc.reason})") from exc
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
    _refuse_anomalies(body, operation, origin)
    found = next(body.iter(q(op.answer)), None)
    if found is None:
        include = next(body.iter(f"{{{XOP_NS}}}Include"), None)
        if include is not None:
            content = attachments.get(include.get("href", "").removeprefix("cid:"))
            if content is None:
                raise RetryableError(f"SNE {operation}: the answer refers to an attachment it does not carry")
            if GENERIC_FAILURE.encode() in content:
                raise _GenericFailure()
            found = parse(content, origin=origin, limits=_RESPONSE_LIMITS)
            _refuse_anomalies(found, operation, origin)
            if found.tag != q(op.answer):
                raise RetryableError(f"SNE {operation}: the attachment is a {local_name(found)}, not {op.answer}")
    if found is None:
        names = sorted({local_name(e) for e in body.iter(etree.Element)})
        raise RetryableError(f"SNE {operation}: the answer carries no {op.answer} (elements: {', '.join(names)})")
    return found


def _retry_after(reply: httpx.Response) -> float | None:
    value = reply.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _raise_fault(fault: etree._Element, operation: str, origin: str, reply: httpx.Response) -> None:
    code = (fault.findtext(f"{{{SOAP_ENV}}}Code/{{{SOAP_ENV}}}Value") or "").strip()
    reason = " ".join((t.text or "").strip() for t in fault.iterfind(f"{{{SOAP_ENV}}}Reason/{{{SOAP_ENV}}}Text"))
    if GENERIC_FAILURE in reason:
        raise _GenericFailure()
    code_local = code.rpartition(":")[2]
    detail = fault.find(f"{{{SOAP_ENV}}}Detail")
    anomalies = anomalies_of(detail) if detail is not None else []
    message = f"SNE {operation}: SOAP fault {code_local or '?'}: {reason or 'no reason given'}"
    if code_local == "Sender":
        field = anomalies[0].chemin if anomalies else None
        raise RejectError(message, location=ErrorLocation(file=origin, field=field),
                          problems=[a.as_problem(origin) for a in anomalies] or None)
    raise RetryableError(message, retry_after=_retry_after(reply))
