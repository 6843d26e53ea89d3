"""A local stand-in for the SNE's web services, for tests: a FastAPI app served by uvicorn over TLS on 127.0.0.1,
with a test CA (``trustme``), that requires a client certificate signed by that CA — as the real service does.

It reads requests as the SNE does (MTOM/XOP ``multipart/related``, the SOAP 1.2 envelope, the ``ws:`` wrapper of
each operation, the SOAP action, the ``xop:Include`` attachments), checks the desk's certificate attachment against
the certificate the TLS client presented, validates the demand document against ``interfaceNuu.xsd``, keeps what it
received, and answers in the real shape: an ``interfaceNuu`` (``listeDoublons`` for duplicates) inside the SOAP
body, refusals as ``demande/demandeLogement/listeAnomalie/anomalie@code`` with a label, and the SNE's generic
failure. It can be told to fail the next calls in each way the client must handle.

The anomaly codes it answers are its own (the SNE's are not public); their shape is the SNE's.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import trustme
import uvicorn
from fastapi import FastAPI, Request, Response
from lxml import etree

from hub.xml_safe import local_name, parse
from plugins.sne.schema import NS, PREFIX, interface_schema, q
from plugins.sne.soap import (
    GENERIC_FAILURE,
    OPERATIONS,
    SERVICE_PATH,
    SOAP_ENV,
    WS_NS,
    XOP_NS,
    soap_action,
    split_related,
)
from tests.asgi import free_port

ANSWER_TYPE = 'multipart/related; type="application/xop+xml"; start="<root.answer>"; ' \
              'start-info="application/soap+xml"; boundary="{boundary}"'
BY_WRAPPER = {op.wrapper: op for op in OPERATIONS.values()}


@dataclass(frozen=True)
class SnePki:
    """A test CA and what it issued, as PEM files: the fake's server certificate, the desk's client certificate,
    and a client certificate from another CA (which the fake must refuse)."""

    ca_file: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    client_pem: bytes
    stranger_cert: Path
    stranger_key: Path

    @classmethod
    def create(cls, directory: Path) -> "SnePki":
        directory.mkdir(parents=True, exist_ok=True)
        ca, other_ca = trustme.CA(), trustme.CA()
        server = ca.issue_cert("127.0.0.1", "localhost")
        client = ca.issue_cert("guichet-g6304@relais.test")
        stranger = other_ca.issue_cert("guichet-g6304@relais.test")
        files = {}
        for name, blob in (("ca.pem", ca.cert_pem), ("server.pem", server.cert_chain_pems[0]),
                           ("server.key", server.private_key_pem), ("client.pem", client.cert_chain_pems[0]),
                           ("client.key", client.private_key_pem), ("stranger.pem", stranger.cert_chain_pems[0]),
                           ("stranger.key", stranger.private_key_pem)):
            files[name] = directory / name
            blob.write_to_path(str(files[name]))
        return cls(ca_file=files["ca.pem"], server_cert=files["server.pem"], server_key=files["server.key"],
                   client_cert=files["client.pem"], client_key=files["client.key"],
                   client_pem=client.cert_chain_pems[0].bytes(), stranger_cert=files["stranger.pem"],
                   stranger_key=files["stranger.key"])


@dataclass(frozen=True)
class Received:
    """One request as the fake read it: the operation, the parameters, the attachments (by Content-ID)."""

    operation: str
    action: str
    parameters: dict[str, str]
    attachments: dict[str, bytes]
    content_type: str

    @property
    def document(self) -> bytes:
        return self.attachments.get("fichierDemande", b"")


@dataclass
class FakeSne:
    """State of the fake: what it received, what it will answer, and the failures queued for the next calls."""

    client_pem: bytes = b""                                              # the certificate the desk must attach
    received: list[Received] = field(default_factory=list)
    demandes: dict[str, bytes] = field(default_factory=dict)             # numUnique -> interfaceNuu bytes
    doublons: list[str] = field(default_factory=list)                    # answer of doublons
    radiees: bytes | None = None                                         # answer of demandesRadieesDepuisLe
    dalo: bytes | None = None                                            # answer of nouveauxDaloDepuisLe
    anomalies_next: list[tuple[str, str]] = field(default_factory=list)  # (code, libellé) for the next call
    failures: deque[str] = field(default_factory=deque)
    answer_as_attachment: bool = False                                   # the interfaceNuu as an xop attachment
    counter: int = 0

    def fail_next(self, *kinds: str) -> None:
        """Queue failures: generic, sender-fault, receiver-fault, http-500, http-503, http-400, slow, garbage."""
        self.failures.extend(kinds)

    def operations(self) -> list[str]:
        return [r.operation for r in self.received]

    def reset(self) -> None:
        self.received.clear()
        self.failures.clear()
        self.anomalies_next = []
        self.demandes = {}
        self.doublons = []
        self.answer_as_attachment = False


def _soap(payload: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(payload)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _fault(code: str, reason: str) -> bytes:
    fault = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap={"soap": SOAP_ENV})
    etree.SubElement(etree.SubElement(fault, f"{{{SOAP_ENV}}}Code"), f"{{{SOAP_ENV}}}Value").text = f"soap:{code}"
    text = etree.SubElement(etree.SubElement(fault, f"{{{SOAP_ENV}}}Reason"), f"{{{SOAP_ENV}}}Text")
    text.text = reason
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
    return _soap(fault)


def _mtom(root: bytes, attachments: dict[str, bytes] | None = None) -> Response:
    """An answer the way the SNE's Java stack sends it: MTOM, even when nothing is attached."""
    boundary = "uuid:relais-fake-sne"
    parts = [b"Content-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\n"
             b"Content-Transfer-Encoding: binary\r\nContent-ID: <root.answer>\r\n\r\n" + root + b"\r\n"]
    for cid, content in (attachments or {}).items():
        parts.append(f"Content-Type: text/xml\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{cid}>\r\n\r\n"
                     .encode() + content + b"\r\n")
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p for p in parts) + b"--" + boundary.encode() + b"--\r\n"
    return Response(body, media_type=None, headers={"Content-Type": ANSWER_TYPE.format(boundary=boundary)})


def _answer_document(anomalies: list[tuple[str, str]], numero: str | None = None) -> etree._Element:
    """An ``interfaceNuu`` answering a demand: its number, or the anomalies that refused it."""
    root = etree.Element(q("interfaceNuu"), nsmap={PREFIX: NS}, versionInterface="02.01")
    etree.SubElement(etree.SubElement(root, q("entete")), q("dateFichier")).text = "2024-05-06T10:12:45.0+02:00"
    logement = etree.SubElement(etree.SubElement(root, q("demande")), q("demandeLogement"))
    if numero is not None:
        etree.SubElement(logement, q("numUnique")).text = numero
    if anomalies:
        liste = etree.SubElement(logement, q("listeAnomalie"))
        for code, libelle in anomalies:
            etree.SubElement(etree.SubElement(liste, q("anomalie"), code=code), q("libelle")).text = libelle
    return root


def build_app(fake: FakeSne) -> FastAPI:
    app = FastAPI()

    @app.post(SERVICE_PATH)
    async def service(request: Request) -> Response:
        body = await request.body()
        failure = fake.failures.popleft() if fake.failures else None
        if failure == "slow":
            time.sleep(1.5)           # longer than the tests' client timeout: the answer is never read
            return Response(b"", status_code=504)
        if failure == "http-500":
            return Response(b"Internal error", status_code=500, media_type="text/plain")
        if failure == "http-503":
            return Response(b"", status_code=503, headers={"Retry-After": "7"})
        if failure == "http-400":
            return Response(b"Bad request", status_code=400, media_type="text/plain")
        if failure == "garbage":
            return Response(b"<html><body>maintenance", status_code=200, media_type="text/html")
        if failure == "generic":
            return Response(_fault("Receiver", f"{GENERIC_FAILURE} lors du traitement de la demande."),
                            status_code=500, media_type="application/soap+xml")
        if failure == "receiver-fault":
            return Response(_fault("Receiver", "Service momentanément indisponible"), status_code=500,
                            media_type="application/soap+xml")
        if failure == "sender-fault":
            return Response(_fault("Sender", "Requête invalide"), status_code=400,
                            media_type="application/soap+xml")
        content_type = request.headers.get("content-type", "")
        refusal = _read(fake, content_type, body)
        if isinstance(refusal, Response):
            return refusal
        received = refusal
        fake.received.append(received)
        return _answer(fake, received)

    return app


def _read(fake: FakeSne, content_type: str, body: bytes) -> Received | Response:
    """Read a request as the SNE does, or the fault it would answer."""
    lowered = content_type.lower()
    if not (lowered.startswith("multipart/related") and 'type="application/xop+xml"' in lowered
            and 'start-info="application/soap+xml"' in lowered):
        return Response(_fault("Sender", "MTOM/XOP (multipart/related, application/xop+xml) attendu"),
                        status_code=415, media_type="application/soap+xml")
    root, attachments = split_related(content_type, body)
    envelope = parse(root, origin="request", expected_root=f"{{{SOAP_ENV}}}Envelope")
    wrapper = envelope.find(f"{{{SOAP_ENV}}}Body")[0]
    op = BY_WRAPPER.get(local_name(wrapper)) if etree.QName(wrapper).namespace == WS_NS else None
    if op is None:
        return Response(_fault("Sender", f"Opération inconnue {local_name(wrapper)}"), status_code=400,
                        media_type="application/soap+xml")
    action = content_type.split('action="', 1)[1].split('"', 1)[0] if 'action="' in content_type else ""
    if action != soap_action(op.name):
        return Response(_fault("Sender", f"Action SOAP {action!r} inattendue"), status_code=400,
                        media_type="application/soap+xml")
    for include in wrapper.iter(f"{{{XOP_NS}}}Include"):
        if include.get("href", "").removeprefix("cid:") not in attachments:
            return Response(_fault("Sender", "Pièce jointe xop:Include introuvable"), status_code=400,
                            media_type="application/soap+xml")
    parameters = {local_name(child): (child.text or "") for child in wrapper if len(child) == 0}
    return Received(operation=op.name, action=action, parameters=parameters, attachments=attachments,
                    content_type=content_type)


def _answer(fake: FakeSne, received: Received) -> Response:
    op = OPERATIONS[received.operation]
    anomalies, fake.anomalies_next = fake.anomalies_next, []
    if op.certificate and received.attachments.get("certificat", b"").strip() != fake.client_pem.strip():
        anomalies = [("CERT_NON_CONFORME", "Le certificat associé n'est pas celui du guichet authentifié.")]
    if op.document and not anomalies:
        document = parse(received.document, origin="fichierDemande", expected_root=q("interfaceNuu"))
        anomalies = [("XSD", f"{p.field}: {p.message}") for p in interface_schema().problems(document)]
    if received.operation == "doublons" and not anomalies:
        liste = etree.Element(q("listeDoublons"), nsmap={PREFIX: NS})
        for numero in fake.doublons:
            etree.SubElement(liste, q("numUnique")).text = numero
        return _carry(fake, received, liste)
    if anomalies:
        return _carry(fake, received, _answer_document(anomalies))
    if received.operation == "numUnique":
        document = parse(received.document, origin="fichierDemande", expected_root=q("interfaceNuu"))
        numero = document.findtext(f"{q('demande')}/{q('demandeLogement')}/{q('numUnique')}")
        if not numero:
            fake.counter += 1
            numero = f"0630524{fake.counter:06d}G6304"
        return _carry(fake, received, _answer_document([], numero))
    if received.operation == "demandeLogement":
        stored = fake.demandes.get(received.parameters.get("numUnique", ""))
        if stored is None:
            return _carry(fake, received, _answer_document([("DEM_INCONNUE", "Demande inconnue")]))
        return _carry(fake, received, etree.fromstring(stored))
    if received.operation == "demandesRadieesDepuisLe":
        return _carry(fake, received, etree.fromstring(fake.radiees))
    if received.operation == "nouveauxDaloDepuisLe":
        return _carry(fake, received, etree.fromstring(fake.dalo))
    return _carry(fake, received, _answer_document([]))        # declarationNouveauDalo accepted


def _carry(fake: FakeSne, received: Received, answer: etree._Element) -> Response:
    """The SOAP answer ``ns2:get<Op>Response/return`` carrying ``answer`` inline, or as an xop attachment."""
    name = soap_action(received.operation).rpartition("/")[2]
    response = etree.Element(f"{{{WS_NS}}}{name}Response", nsmap={"ns2": WS_NS})
    holder = etree.SubElement(response, "return")
    if fake.answer_as_attachment:
        etree.SubElement(holder, f"{{{XOP_NS}}}Include", nsmap={"xop": XOP_NS}, href="cid:reponse")
        return _mtom(_soap(response), {"reponse": etree.tostring(answer, xml_declaration=True, encoding="UTF-8")})
    holder.append(answer)
    return _mtom(_soap(response))


class _Tls12Config(uvicorn.Config):
    """TLS 1.2 at most: a refused client certificate then fails the handshake itself, which the client can tell
    from a dropped connection. (In TLS 1.3 the server checks the certificate after the handshake, and asyncio closes
    the connection without sending the alert.)"""

    def load(self) -> None:
        super().load()
        if self.ssl is not None:
            self.ssl.maximum_version = ssl.TLSVersion.TLSv1_2


@contextmanager
def serve_tls(app: FastAPI, pki: SnePki) -> Iterator[str]:
    """Run ``app`` under uvicorn with TLS on 127.0.0.1 (a free port), requiring a client certificate signed by the
    test CA; yield the service's URL; always stop it."""
    port = free_port()
    config = _Tls12Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                          access_log=False, ssl_certfile=str(pki.server_cert), ssl_keyfile=str(pki.server_key),
                          ssl_ca_certs=str(pki.ca_file), ssl_cert_reqs=ssl.CERT_REQUIRED)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"fake-sne-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake SNE server did not start")
            time.sleep(0.01)
        yield f"https://127.0.0.1:{port}{SERVICE_PATH}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
