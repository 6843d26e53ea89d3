"""The Habisoft connector: the departmental fichier partagé (Habisoft in Puy-de-Dôme) on the hub.

Habisoft is a system of record of demands and keeps each demand's processing history (historique): it emits and
receives the demand's lifecycle, supporting documents, priority facts, and every step from designation to lease.
Inbound: ``fichierPartage`` documents in its inbox (unit messages) or a whole extraction (:meth:`iter_bulk`).
Outbound: one document per event, written to the outbox as ``<event id>.xml``, or POSTed to ``endpoint``.
Events that came from Habisoft itself are not sent back to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import structlog

from contracts import Envelope
from hub import BulkRecord, Connector, ConnectorContext, OutboundMessage, PartnerRole, RawMessage, RecordReject
from hub.xml import XmlLimits
from plugins.habisoft.bulk import iter_bulk
from plugins.habisoft.codec import SOURCE, decode_document, encode_event
from plugins.habisoft.codes import EVENEMENTS
from plugins.habisoft.settings import HabisoftSettings
from plugins.habisoft.transport import HabisoftClient

__all__ = ["HabisoftConnector"]

log = structlog.get_logger(__name__)

_PATTERNS = tuple(event_type.rsplit(".", 1)[0] + ".*" for event_type in EVENEMENTS.values())


class HabisoftConnector(Connector):
    name = "habisoft"
    version = "1.0.0"
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = _PATTERNS
    emits = _PATTERNS
    settings_model = HabisoftSettings
    file_suffixes = (".xml", ".XML")

    settings: HabisoftSettings

    def __init__(self, settings: HabisoftSettings, context: ConnectorContext):
        super().__init__(settings, context)
        self._client: HabisoftClient | None = None

    def decode(self, raw: RawMessage) -> Iterable[Envelope[Any] | RecordReject]:
        return decode_document(raw, limits=XmlLimits(max_bytes=self.settings.max_message_bytes))

    def iter_bulk(self, path: Path) -> Iterator[BulkRecord | RecordReject]:
        return iter_bulk(Path(path))

    def encode(self, event: Envelope[Any]) -> OutboundMessage:
        return OutboundMessage(body=encode_event(event), filename=f"{event.id}.xml", content_type="application/xml")

    def deliver(self, event: Envelope[Any], message: OutboundMessage) -> None:
        if event.source == SOURCE:
            # Habisoft is where this event came from: sending it back would echo it
            log.info("delivery_skipped_echo", event_id=event.id, event_type=event.type)
            return
        if self.settings.endpoint is None:
            super().deliver(event, message)
            return
        self.client().send(message.body, event_id=event.id, filename=message.filename)

    def client(self) -> HabisoftClient:
        if self.settings.endpoint is None:
            raise RuntimeError("connector habisoft: no endpoint configured")
        if self._client is None:
            s = self.settings
            self._client = HabisoftClient(
                str(s.endpoint), timeout=s.timeout_seconds, connect_timeout=s.connect_timeout_seconds,
                token=s.token.get_secret_value() if s.token else None,
                verify=str(s.ca_bundle) if s.ca_bundle else True)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
