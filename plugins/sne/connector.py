"""The SNE connector: the national registration system (système national d'enregistrement) on the hub.

Inbound: ``interfaceNuu`` documents dropped in its inbox (or pulled from the SNE's web services every
``poll_every_seconds`` when ``endpoint`` is set, see :meth:`SneConnector.poll`) become registrations,
modifications, renewals, radiations, attribution reports and DALO decisions; a department's extraction is imported
in bulk with :meth:`SneConnector.iter_bulk`.

Outbound: what the SNE must receive (the fichier partagé's daily transmission of demands, landlords' radiations and
attribution reports, COMED decisions) is rendered as ``interfaceNuu`` documents and written to the outbox, or sent
to the SNE's SOAP endpoint when ``endpoint`` is configured (``declarationNouveauDalo`` for DALO decisions,
``demandeLogement`` for everything else). Events that came from the SNE itself are not sent back to it. The day's
list of renewal notices due (``avis_renouvellement_liste``, :mod:`plugins.sne.preavis`) is a file, always written to
the outbox.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from contracts import Envelope
from hub import (
    BulkRecord,
    Connector,
    ConnectorContext,
    DeferredRecord,
    OutboundMessage,
    PartnerRole,
    Polled,
    RawMessage,
    RecordReject,
    write_atomically,
)
from hub.xml import XmlLimits, parse
from plugins.sne.bulk import iter_bulk
from plugins.sne.codec import PARIS, SOURCE, decode_document, encode_event
from plugins.sne.messages import ENCODABLE_TYPES
from plugins.sne.preavis import LIST_TYPE, render_list
from plugins.sne.schema import q
from plugins.sne.settings import SneSettings
from plugins.sne.soap import SneSoapClient

__all__ = ["SneConnector"]

log = structlog.get_logger(__name__)

#: Routing patterns of the event types the SNE format carries, in both directions.
_PATTERNS = tuple(t.rsplit(".", 1)[0] + ".*" for t in ENCODABLE_TYPES)


def _certificate_pem(path: Path) -> bytes:
    """The certificate blocks of a PEM file (the services want the desk's certificate, never its private key, which
    may share the file)."""
    text = Path(path).read_bytes()
    blocks = []
    marker = b"-----BEGIN CERTIFICATE-----"
    start = text.find(marker)
    while start != -1:
        end = text.index(b"-----END CERTIFICATE-----", start) + len(b"-----END CERTIFICATE-----")
        blocks.append(text[start:end])
        start = text.find(marker, end)
    if not blocks:
        raise ValueError(f"connector sne: {path} holds no PEM certificate; client_certificate must be one")
    return b"\n".join(blocks) + b"\n"


class SneConnector(Connector):
    name = "sne"
    version = "1.0.0"
    role = PartnerRole.SNE
    #: plus the day's list of renewal notices due, which the SNE receives and never emits
    subscriptions = (*_PATTERNS, "avis_renouvellement_liste.*")
    emits = _PATTERNS
    settings_model = SneSettings
    file_suffixes = (".xml", ".XML")

    settings: SneSettings

    def __init__(self, settings: SneSettings, context: ConnectorContext):
        super().__init__(settings, context)
        self._client: SneSoapClient | None = None

    # inbound -------------------------------------------------------------------------------------------------
    def decode(self, raw: RawMessage) -> Iterable[Envelope[Any] | RecordReject]:
        limits = XmlLimits(max_bytes=self.settings.max_message_bytes)
        return decode_document(raw, default_entity=self.settings.entity, limits=limits)

    def iter_bulk(self, path: Path) -> Iterator[BulkRecord | RecordReject]:
        return iter_bulk(Path(path), default_entity=self.settings.entity)

    def iter_bulk_shard(self, path: Path, owned: Callable[[int], bool]) -> Iterator[BulkRecord | RecordReject | None]:
        """``iter_bulk`` decoding only the records ``owned`` accepts (two readers share an import: ShardedBulk)."""
        return iter_bulk(Path(path), default_entity=self.settings.entity, owned=owned)

    def iter_bulk_split(self, path: Path, defer: Callable[[int], bool]
                        ) -> Iterator[BulkRecord | RecordReject | DeferredRecord]:
        """``iter_bulk`` leaving the records ``defer`` accepts to the journaling process to decode (SplitBulk)."""
        return iter_bulk(Path(path), default_entity=self.settings.entity, defer=defer)

    # outbound ------------------------------------------------------------------------------------------------
    def encode(self, event: Envelope[Any]) -> OutboundMessage:
        if event.type == LIST_TYPE:
            return render_list(event, self.settings.numero_guichet)
        body = encode_event(event, version=self.settings.version_interface)
        return OutboundMessage(body=body, filename=f"{event.id}.xml", content_type="application/xml")

    def deliver(self, event: Envelope[Any], message: OutboundMessage) -> None:
        if event.source == SOURCE:
            # the SNE is where this event came from: sending it back would echo it
            log.info("delivery_skipped_echo", event_id=event.id, event_type=event.type)
            return
        if self.settings.endpoint is None or event.type == LIST_TYPE:
            # the SOAP interface has no operation for the notices' list: it is a file drop (outbox), whatever
            # carries it from there to the GIP SNE (its SFTP account, or the designated provider's)
            super().deliver(event, message)
            return
        document = parse(message.body, origin=message.filename, expected_root=q("interfaceNuu"))
        client = self.client()
        if event.type.startswith("decision_dalo."):
            client.declarer_nouveau_dalo(document)
        else:
            client.transmettre(document)
        log.info("delivered_to_sne", event_id=event.id, event_type=event.type)

    # pulling from the SNE's web services ---------------------------------------------------------------------
    def client(self) -> SneSoapClient:
        """The SOAP client, created on first use (a connector without endpoint never opens one)."""
        if self.settings.endpoint is None:
            raise RuntimeError("connector sne: no endpoint configured")
        if self._client is None:
            s = self.settings
            auth = (s.username, s.password.get_secret_value()) if s.username and s.password else None
            cert: Any = None
            if s.client_certificate is not None:
                cert = (str(s.client_certificate), str(s.client_key)) if s.client_key else str(s.client_certificate)
            certificate = _certificate_pem(s.client_certificate) if s.client_certificate is not None else None
            self._client = SneSoapClient(
                str(s.endpoint), timeout=s.timeout_seconds, connect_timeout=s.connect_timeout_seconds, auth=auth,
                verify=str(s.ca_bundle) if s.ca_bundle else True, cert=cert, certificate=certificate,
                desk=s.numero_guichet or "RELAIS", generic_failure_retries=s.generic_failure_retries)
        return self._client

    def poll_interval(self) -> float | None:
        return self.settings.poll_every_seconds if self.settings.endpoint is not None else None

    def poll(self, cursor: str | None) -> Polled:
        """Pull since the cursor's day (an ISO date; the services take a day, not an instant) and return today as
        the next cursor. Each pull therefore re-reads the current day: the overlap is absorbed by the journal,
        since a record's ``sourcemessageid`` identifies its content, whatever document brought it."""
        today = datetime.now(PARIS).date()
        if cursor is None:
            since = today - timedelta(days=self.settings.poll_first_days)
        else:
            try:
                since = date.fromisoformat(cursor)
            except ValueError:
                raise ValueError(f"connector sne: cursor {cursor!r} is not a date; use YYYY-MM-DD") from None
        files = self.pull_into_inbox(since)
        return Polled(cursor=today.isoformat(), fetched=len(files))

    def pull_into_inbox(self, since: date) -> list[Path]:
        """Fetch the radiations and the new DALO households since ``since`` and drop each answer in the inbox, from
        where the hub ingests it like any inbound file (durably, with the usual errors). Returns the files written;
        fetching twice writes the same names (content-addressed), so a repeated pull is harmless."""
        client = self.client()
        written = []
        for operation, body in (("demandesRadieesDepuisLe", client.demandes_radiees_depuis(since)),
                                ("nouveauxDaloDepuisLe", client.nouveaux_dalo_depuis(since))):
            digest = hashlib.sha256(body).hexdigest()[:16]
            filename = f"sne-{operation}-{since.isoformat()}-{digest}.xml"
            written.append(write_atomically(self.context.inbox, filename, body))
        log.info("sne_pulled", since=since.isoformat(), files=len(written))
        return written

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
