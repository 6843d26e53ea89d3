"""The connector contract: what a plugin implements to bring a partner system onto the hub.

A connector translates one partner family's format to and from the canonical events of :mod:`contracts`:

* ``decode(raw)`` turns one inbound message (a file, an HTTP body) into envelopes, raising
  :class:`~hub.core.errors.DecodeError` / :class:`~hub.core.errors.ContractError` with the location of the problem;
* ``encode(event)`` renders one event in the partner's format;
* ``deliver(event, message)`` hands the rendered message to the partner; it raises
  :class:`~hub.core.errors.RetryableError` for transient failures and :class:`~hub.core.errors.RejectError` for
  permanent ones. The default writes the message atomically into the connector's outbox directory;
* ``poll(cursor)`` (optional) fetches what the partner has for the hub when it cannot push it, on the schedule
  ``poll_interval()`` gives (see :mod:`hub.core.polling`).

The hub guarantees a connector: ``deliver`` is only called for events the access policy lets its partner see, in
journal order for a given demand, at least once, and never again once it returned successfully and the hub recorded
it (so ``deliver`` should be idempotent on ``event.id`` for the rare crash between the two).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from contracts import Envelope, LegalEntity
from hub.core.bulk import BulkRecord, RecordReject
from hub.core.private import private_dir
from hub.core.roles import PartnerRole

__all__ = ["Connector", "ConnectorSettings", "ConnectorContext", "RawMessage", "OutboundMessage", "Polled",
           "write_atomically"]


class ConnectorSettings(BaseModel):
    """Settings every connector understands; a plugin subclasses it for its own section (``[connectors.NAME]``)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    inbox: Path | None = Field(default=None, description="Directory watched for inbound files (default HOME/inbox/NAME).")
    outbox: Path | None = Field(default=None, description="Directory deliveries are written to (default HOME/outbox/NAME).")
    entity: LegalEntity | None = Field(default=None, description="Legal entity this partner acts as, stamped on events it emits when the format does not carry one.")
    communes: list[str] = Field(default_factory=list, description="For a réservataire: INSEE codes of the communes where it holds reservations.")
    max_message_bytes: int = Field(default=50 * 1024 * 1024, ge=1, description="Inbound messages over this size are rejected.")
    dead_letter_quota_bytes: int | None = Field(default=1024 ** 3, ge=0, description="Bytes of rejected input this partner's open dead letters may hold; past it the reasons are kept, not the bytes, and an alert is raised. None: no quota.")
    inbox_partners_only: bool = Field(default=False, description="True: files at the top of the inbox are refused (moved to rejected/ with a .reason.txt, never read); only the subdirectories of registered partners (INBOX/PARTNER-ID/) are ingested, each as its partner.")
    api_keys: list[SecretStr] = Field(default_factory=list, description="Keys the partner presents to the HTTP gateway (header X-Relais-Api-Key or Authorization: Bearer); none means it may not push over HTTP. Several allow rotation.")


@dataclass(frozen=True)
class ConnectorContext:
    """What the hub gives a connector at start: where its files live, and its validated settings."""

    name: str
    home: Path
    inbox: Path | None       # None for a processor: it has no partner to receive files from
    outbox: Path
    #: a connection to the journal's database, for a processor's commands reading its projection
    #: (``with context.read() as conn: …``); the hub sets it
    read: Callable[[], AbstractContextManager[Any]] | None = None


@dataclass(frozen=True)
class RawMessage:
    """One inbound message as received, before any decoding."""

    body: bytes
    origin: str                      # file name or URL: appears in error locations
    message_id: str                  # the partner's id for it; content hash by default
    received_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_bytes(cls, body: bytes, origin: str, **metadata: Any) -> "RawMessage":
        return cls(body=body, origin=origin, message_id="sha256:" + hashlib.sha256(body).hexdigest(),
                   metadata=metadata)


@dataclass(frozen=True)
class OutboundMessage:
    """One event rendered in a partner's format."""

    body: bytes
    filename: str
    content_type: str = "application/json"


@dataclass(frozen=True)
class Polled:
    """What one pull from a partner gave: the cursor to start from next time, and how many messages it fetched."""

    cursor: str | None
    fetched: int = 0


def write_atomically(directory: Path, filename: str, body: bytes) -> Path:
    """Write ``body`` so that a reader never sees a partial file and a crash leaves either nothing or everything.

    Rewriting the same name with the same content is harmless, which makes file delivery idempotent."""
    private_dir(directory)
    target = directory / filename
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


#: Media types of the usual inbox file suffixes (``Connector.accepted_content_types``).
_SUFFIX_MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    ".json": ("application/json",), ".xml": ("application/xml", "text/xml"), ".csv": ("text/csv",),
}


class Connector:
    """Base class of every connector and processor. Subclasses set the class attributes and override what they do.

    Class attributes:
      ``name``: unique, lowercase; names the queue, the settings section and the inbox.
      ``version``: the connector's own version (shown by ``relais plugins``).
      ``role``: the kind of partner, which the access policy decides on.
      ``subscriptions``: routing patterns (topic-exchange syntax: ``decision_cal.*``, ``#``) of the events the partner
      receives; empty for an inbound-only connector.
      ``emits``: event types (patterns) this connector may put on the hub; anything else is refused at ingest.
      ``settings_model``: its settings section's model.
      ``file_suffixes``: which inbox files are messages (others are left alone).
      ``content_types``: media types the gateway accepts for its inbound messages (others get 415); empty (the
      default) derives them from ``file_suffixes`` (``.json``: ``application/json``, ``.xml``: ``application/xml``
      and ``text/xml``, ``.csv``: ``text/csv``).
    """

    name: ClassVar[str]
    version: ClassVar[str] = "0.0.0"
    role: ClassVar[PartnerRole] = PartnerRole.AUTRE
    subscriptions: ClassVar[tuple[str, ...]] = ()
    emits: ClassVar[tuple[str, ...]] = ()
    settings_model: ClassVar[type[ConnectorSettings]] = ConnectorSettings
    file_suffixes: ClassVar[tuple[str, ...]] = (".json",)
    content_types: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext):
        self.settings = settings
        self.context = context

    # inbound ---------------------------------------------------------------------------------------------------
    def decode(self, raw: RawMessage) -> Iterable[Envelope[Any] | RecordReject]:
        """Turn one inbound message into events.

        Raise a :class:`~hub.core.errors.RejectError` when the whole message is unusable; yield a
        :class:`~hub.core.bulk.RecordReject` for one bad record among good ones. Set ``sourcemessageid`` on each
        envelope (stable across redeliveries of the same message) so the journal can absorb duplicates."""
        raise NotImplementedError(f"connector {self.name!r} does not accept inbound messages")

    def accepted_content_types(self) -> tuple[str, ...]:
        """The media types of inbound messages: ``content_types``, else those of ``file_suffixes``."""
        if self.content_types:
            return tuple(t.lower() for t in self.content_types)
        found: list[str] = []
        for suffix in self.file_suffixes:
            for media_type in _SUFFIX_MEDIA_TYPES.get(suffix.lower(), ("application/octet-stream",)):
                if media_type not in found:
                    found.append(media_type)
        return tuple(found)

    def inbound_schema(self) -> dict[str, Any] | None:
        """The JSON Schema of one inbound message, if the format is JSON: the gateway publishes it as the request
        body of ``POST /v1/inbound/NAME`` in its OpenAPI document. None (the default): the body is described by its
        media types only (an XML format points to its XSD in the connector's README)."""
        return None

    def iter_bulk(self, path: Path) -> Iterator[BulkRecord | RecordReject]:
        """Stream a bulk extraction file record by record, in constant memory (``relais import``)."""
        raise NotImplementedError(f"connector {self.name!r} has no bulk import")

    # outbound --------------------------------------------------------------------------------------------------
    def encode(self, event: Envelope[Any]) -> OutboundMessage:
        """Render an event for the partner. The default is the canonical JSON envelope."""
        return Connector.envelope_message(event, event.model_dump_json())

    @staticmethod
    def envelope_message(event: Envelope[Any], text: str) -> OutboundMessage:
        """The default rendering of ``event`` whose canonical JSON is ``text``: the delivery worker passes the
        journaled text itself when the connector keeps the default ``encode`` (the journal holds exactly
        ``model_dump_json()`` of the event, so it is not serialised again for every subscriber)."""
        return OutboundMessage(body=text.encode(), filename=f"{event.id}.json")

    def deliver(self, event: Envelope[Any], message: OutboundMessage) -> None:
        """Hand the rendered event to the partner; the default drops it in the outbox directory."""
        write_atomically(self.context.outbox, message.filename, message.body)

    # pulling from the partner --------------------------------------------------------------------------------------
    def poll_interval(self) -> float | None:
        """Seconds between two scheduled pulls, or None (the default) for a connector the partner pushes to."""
        return None

    def poll(self, cursor: str | None) -> Polled:
        """Fetch what the partner has published since ``cursor`` (None on the very first pull) and put each message
        in the inbox (``write_atomically(self.context.inbox, …)``), from where the hub ingests it durably.

        Return the cursor to resume from. The hub stores it only after a pull that returned, so a pull that raised
        is redone from the same cursor: fetching overlapping ranges must be harmless, which it is when the decoded
        events carry a ``sourcemessageid`` that identifies the fact rather than the file it came in."""
        raise NotImplementedError(f"connector {self.name!r} does not pull from its partner")

    # lifecycle -------------------------------------------------------------------------------------------------
    def close(self) -> None:
        """Release what the connector holds (HTTP clients, sessions). Called once when the hub stops."""
