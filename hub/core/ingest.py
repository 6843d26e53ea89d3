"""The ingest pipeline: raw partner input → decoded events → checks → journal, in batches.

Order of the checks: size limit, decode (the connector's job), contract (the envelope must be a registered, valid
event, its text storable), provenance (its ``source`` must be the connector that decoded it), authorisation (a
connector may only emit the types it declares), the partner's scopes when the input path knows who sent it (its
legal entity stamped, its ids scoped, its types and dwellings checked: :mod:`hub.core.scopes`), then the journal, which absorbs duplicates, refuses a changed resend
and isolates an event it cannot store from the rest of its batch. Whatever fails is kept in the dead-letter store
with its location and raw bytes: nothing that came in disappears. Only when the journal and the dead-letter store
have committed may the caller acknowledge upstream.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import ValidationError

from contracts import REGISTRY, Envelope
from hub.core import metrics
from hub.core.bulk import RecordReject
from hub.core.connector import Connector, RawMessage
from hub.core.faults import failpoint
from hub.core.direct_dispatch import DirectDispatch
from hub.core.fresh import FreshEvents
from hub.core.errors import (
    AccessDenied, ConflictingResend, ContractError, ErrorLocation, InputTooLarge, RejectError, ScopeRefused,
)
from hub.core.isolation import append_isolating
from hub.core.journal import Journal
from hub.core.partners import Partner
from hub.core.routing import AccessPolicy
from hub.core.scopes import apply_partner_scope
from hub.core.storable import unstorable_text

__all__ = ["Ingestor", "IngestReport", "Rejection", "Origin"]

log = structlog.get_logger(__name__)

#: Messages of one connector decoded at once when callers bound the wait (HTTP requests arrive concurrently).
DECODE_THREADS_PER_CONNECTOR = 4


@dataclass(frozen=True)
class Rejection:
    """One rejected message or record, ready for the dead-letter store."""

    connector: str
    origin: str
    error: RejectError
    payload: bytes
    line: int | None = None
    event_type: str | None = None

    def as_row(self) -> dict[str, Any]:
        loc = self.error.location
        return {"connector": self.connector, "origin": self.origin, "event_type": self.event_type,
                "line": self.line if self.line is not None else loc.line, "field": loc.field,
                "reason": self.error.reason[:4000], "problems": json.dumps(self.error.problems, default=str),
                "payload": self.payload}


@dataclass(frozen=True)
class _WholeMessage:
    """A rejection of the message as a whole (unreadable, over its size, a connector crash): what was decoded of it
    before is not journaled by ``decode``."""

    rejection: Rejection


@dataclass(frozen=True)
class Origin:
    """Where an accepted event came from: what a dead letter keeps if the journal refuses it later (a changed
    resend), so that it can be fixed and replayed like any rejected input."""

    origin: str
    payload: bytes
    line: int | None = None


@dataclass
class IngestReport:
    journaled: int = 0
    duplicates: int = 0
    rejected: int = 0          # rejections and conflicts: each is in the dead-letter store
    dead_letter_ids: list[int] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    #: changed resends: {"event_id", "sourcemessageid", "journaled_id", "fields", "dead_letter_id"}
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    #: accepted events the journal could not store: {"event_id", "reason", "problems", "dead_letter_id"}
    refused: list[dict[str, Any]] = field(default_factory=list)
    #: the rejections given to ``commit``, as a partner is told of them: {"reason", "problems", "dead_letter_id"}
    rejected_parts: list[dict[str, Any]] = field(default_factory=list)
    #: records outside the authenticated partner's scopes (never kept): {"reason", "problems"}
    scope_refused: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: "IngestReport") -> None:
        self.journaled += other.journaled
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.dead_letter_ids += other.dead_letter_ids
        self.event_ids += other.event_ids
        self.conflicts += other.conflicts
        self.refused += other.refused
        self.rejected_parts += other.rejected_parts
        self.scope_refused += other.scope_refused


class Ingestor:
    def __init__(self, journal: Journal, policy: AccessPolicy, on_journaled: Any = None):
        self.journal = journal
        self.policy = policy
        self.on_journaled = on_journaled or (lambda: None)
        #: where this process's own workers find the events it journaled (``Hub.run`` enables it)
        self.fresh: FreshEvents | None = None
        #: embedded: commits publish their own references instead of outbox rows (``Hub.run`` starts it)
        self.direct: DirectDispatch | None = None
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._pools_lock = threading.Lock()

    def decode(self, connector: Connector, raw: RawMessage, timeout: float | None = None,
               partner: Partner | None = None) -> tuple[list[Envelope[Any]], list[Rejection]]:
        """Decode and check one message; never raises for bad input (it becomes rejections).

        With ``timeout``, decoding runs in the connector's decoding pool and a connector whose decoding hangs is
        abandoned for this message, which is rejected (and so kept) under the connector's name: one stuck connector
        must not stop the others' inboxes."""
        if timeout is not None:
            try:
                return self.submit_decode(connector, raw, partner).result(timeout=timeout)
            except FutureTimeout:
                return self.decode_timed_out(connector, raw, timeout)
        accepted: list[Envelope[Any]] = []
        rejections: list[Rejection] = []
        for item in self._scan(connector, raw, partner):
            if isinstance(item, _WholeMessage):   # the message itself is unusable: only that is kept
                return [], [item.rejection]
            if isinstance(item, Rejection):
                rejections.append(item)
            else:
                accepted.append(item)
        return accepted, rejections

    def ingest_in_chunks(self, connector: Connector, raw: RawMessage, chunk: int = 2_000,
                         partner: Partner | None = None) -> IngestReport:
        """Decode and journal one large message a chunk of events at a time, in constant memory per chunk.

        Why: holding every event of a 40 MB message (and its journal rows) at once took 30 times its size in
        memory. Each chunk is its own transaction, so a crash midway leaves part of the message journaled and
        unacknowledged: the partner's resend journals the rest, the first part being recognised as duplicates. A
        message found unusable midway is kept whole as a dead letter after the chunks already journaled. A record
        outside the ``partner``'s scopes is not kept (see :class:`~hub.core.errors.ScopeRefused`): it is counted in
        ``report.scope_refused``."""
        report = IngestReport()
        events: list[Envelope[Any]] = []
        rejections: list[Rejection] = []

        def flush() -> None:
            origins = {e.id: Origin(raw.origin, raw.body) for e in events}
            report.add(self.commit(events, rejections, origins=origins))
            events.clear()
            rejections.clear()

        for item in self._scan(connector, raw, partner):
            if isinstance(item, _WholeMessage):
                rejections.append(item.rejection)
            elif isinstance(item, Rejection) and isinstance(item.error, ScopeRefused):
                report.scope_refused.append({"reason": item.error.reason, "problems": item.error.problems})
            elif isinstance(item, Rejection):
                rejections.append(item)
            else:
                events.append(item)
            if len(events) + len(rejections) >= chunk:
                flush()
        flush()
        return report

    def _scan(self, connector: Connector, raw: RawMessage,
              partner: Partner | None = None) -> Iterator[Envelope[Any] | Rejection | "_WholeMessage"]:
        """The checked items of one message, as the connector yields them (see ``decode``)."""
        def rejection(error: RejectError, payload: bytes = raw.body, line: int | None = None,
                      event_type: str | None = None) -> Rejection:
            return Rejection(connector.name, raw.origin, error, payload, line, event_type)

        limit = connector.settings.max_message_bytes
        if len(raw.body) > limit:
            yield _WholeMessage(rejection(InputTooLarge(
                f"message is {len(raw.body)} bytes, over the limit of {limit} "
                f"(connectors.{connector.name}.max_message_bytes)", location=ErrorLocation(file=raw.origin))))
            return
        try:
            for index, item in enumerate(connector.decode(raw)):
                if isinstance(item, RecordReject):
                    # the record alone when the connector can replay it so, else the whole message (RecordReject)
                    yield rejection(item.error, item.replay if item.replay is not None else raw.body, item.line)
                    continue
                checked = self._check(connector, item, ErrorLocation(file=raw.origin, record=index), partner)
                if isinstance(checked, RejectError):
                    yield rejection(checked, raw.body, None, getattr(item, "type", None))
                else:
                    yield checked
        except RejectError as exc:
            if exc.location.file is None:
                exc.location = ErrorLocation(file=raw.origin, line=exc.location.line, field=exc.location.field,
                                             record=exc.location.record)
            yield _WholeMessage(rejection(exc))
        except ValidationError as exc:
            yield _WholeMessage(rejection(ContractError.from_validation(exc, location=ErrorLocation(file=raw.origin))))
        except Exception as exc:  # a connector bug must not lose the message nor stop the hub
            log.error("connector_decode_crashed", connector=connector.name, error_type=type(exc).__name__)
            yield _WholeMessage(rejection(RejectError(
                f"connector {connector.name!r} failed to decode: {type(exc).__name__}: {exc}",
                location=ErrorLocation(file=raw.origin))))

    def submit_decode(self, connector: Connector, raw: RawMessage, partner: Partner | None = None) -> Future:
        """``decode`` in the connector's own pool of decoding threads, for callers that bound how long they wait
        (the inbox scanner, the HTTP gateway): a hung connector only ever holds its own threads."""
        return self.submit(connector, self.decode, connector, raw, None, partner)

    def submit(self, connector: Connector, work: Any, *args: Any) -> Future:
        """Run ``work(*args)`` in ``connector``'s own pool of decoding threads."""
        with self._pools_lock:
            pool = self._pools.get(connector.name)
            if pool is None:
                pool = self._pools[connector.name] = ThreadPoolExecutor(
                    DECODE_THREADS_PER_CONNECTOR, thread_name_prefix=f"decode-{connector.name}")
        return pool.submit(work, *args)

    def decode_timed_out(self, connector: Connector, raw: RawMessage,
                         timeout: float) -> tuple[list[Envelope[Any]], list[Rejection]]:
        """The outcome of a message whose decoding outlasted ``timeout``: rejected and kept under the connector's
        name. The connector's pool is replaced, its stuck thread left to finish on its own."""
        with self._pools_lock:
            pool = self._pools.pop(connector.name, None)
        if pool is not None:
            pool.shutdown(wait=False)   # decodes already queued there still run; new ones go to a fresh pool
        log.error("connector_decode_timed_out", connector=connector.name, timeout=timeout)
        error = RejectError(f"connector {connector.name!r} did not decode the message within {timeout:g}s",
                            location=ErrorLocation(file=raw.origin))
        return [], [Rejection(connector.name, raw.origin, error, raw.body)]

    def decode_checked(self, connector: Connector, item: Any, origin: str,
                       line: int | None) -> tuple[Envelope[Any] | None, RejectError | None]:
        """The contract and authorisation checks for one envelope a connector built (bulk imports)."""
        checked = self._check(connector, item, ErrorLocation(file=origin, line=line))
        return (None, checked) if isinstance(checked, RejectError) else (checked, None)

    def _check(self, connector: Connector, item: Any, loc: ErrorLocation,
               partner: Partner | None = None) -> Envelope[Any] | RejectError:
        if not isinstance(item, Envelope):
            return RejectError(f"connector {connector.name!r} produced {type(item).__name__}, not an Envelope",
                               location=loc)
        try:
            model = REGISTRY.model_for(item.type)
        except ValueError as exc:
            return ContractError(str(exc), location=ErrorLocation(file=loc.file, line=loc.line, record=loc.record,
                                                                  field="type"))
        if not isinstance(item.data, model):
            try:   # a connector that built a loose envelope: validate it against the registered contract
                item = REGISTRY.parse(item.model_dump(mode="json"))
            except ValidationError as exc:
                return ContractError.from_validation(exc, location=loc)
        bad_text = unstorable_text(item, loc)
        if bad_text is not None:
            return bad_text
        if item.source != connector.name:
            # Why not stamp it: a connector that names another system is a bug or a forgery, and the router would
            # take the event for that system's own echo and never deliver it there.
            return AccessDenied(f"source: the event says it comes from {item.source!r} but connector "
                                f"{connector.name!r} decoded it; a connector emits under its own name only "
                                f"(build the envelope with source=self.name)",
                                location=ErrorLocation(file=loc.file, line=loc.line, record=loc.record,
                                                       field="source"))
        if not self.policy.may_emit(connector, item):
            return AccessDenied(f"connector {connector.name!r} may not emit {item.type!r} "
                                f"(it declares emits={list(connector.emits)})", location=loc)
        if partner is not None:   # who authenticated decides the entity, the ids and what may be said
            return apply_partner_scope(partner, tuple(connector.emits), item, loc,
                                       self.policy.rules.emits.get(partner.role))
        return item

    def commit(self, events: Sequence[Envelope[Any]], rejections: Sequence[Rejection],
               snapshots_seen: Sequence[tuple[str, str, str]] = (), *,
               origins: Mapping[str, Origin] | None = None, keep_conflicts: bool = True) -> IngestReport:
        """Journal accepted events and keep rejections; after this returns, the input may be acknowledged.

        Events the journal refuses become rejections too, kept with the bytes of their message (``origins``: event
        id → where it came from): a changed resend (:class:`~hub.core.journal.Conflict`, unless ``keep_conflicts``
        is False — an operator's retry reports it instead of filing it again), and an event the database cannot
        store, isolated from its batch (:mod:`hub.core.isolation`) so that the others commit."""
        report = IngestReport()
        direct = self.direct if self.direct is not None and self.direct.enabled else None
        result, poisoned = append_isolating(self.journal, events, snapshots_seen, outbox=direct is None)
        failpoint("after_journal")
        report.journaled = len(result.inserted)
        report.duplicates = len(result.duplicates)
        report.event_ids = [e.id for _, e in result.inserted]
        origins = origins or {}
        conflicts = [(c, self._refusal(c.envelope, origins.get(c.envelope.id), ConflictingResend(
            f"{c.envelope.sourcemessageid or c.envelope.id} was already journaled (event {c.journaled_id}) with "
            f"different content ({', '.join(c.fields)}); a journaled fact is never overwritten: send the correction "
            "under a new id", fields=c.fields, journaled_id=c.journaled_id), field=c.fields[0]))
            for c in result.conflicts]
        refused = [(p, self._refusal(p.envelope, origins.get(p.envelope.id), RejectError(p.reason)))
                   for p in poisoned]
        kept = list(rejections) + [r for _, r in refused] + ([r for _, r in conflicts] if keep_conflicts else [])
        ids = iter(self._keep(kept))
        report.dead_letter_ids = [next(ids) for _ in rejections]
        report.rejected_parts = [{"reason": r.error.reason, "problems": r.error.problems, "dead_letter_id": i}
                                 for r, i in zip(rejections, report.dead_letter_ids)]
        for p, rejection in refused:
            dead_letter_id = next(ids)
            report.dead_letter_ids.append(dead_letter_id)
            report.refused.append({"event_id": p.envelope.id, "reason": rejection.error.reason,
                                   "problems": rejection.error.problems, "dead_letter_id": dead_letter_id})
        for c, _rejection in conflicts:
            dead_letter_id = next(ids) if keep_conflicts else None
            if dead_letter_id is not None:
                report.dead_letter_ids.append(dead_letter_id)
            report.conflicts.append({"event_id": c.envelope.id, "sourcemessageid": c.envelope.sourcemessageid,
                                     "journaled_id": c.journaled_id, "fields": list(c.fields),
                                     "dead_letter_id": dead_letter_id})
        report.rejected = len(rejections) + len(refused) + len(conflicts)
        if result.inserted:
            # one bound logger for the batch: the module's lazy proxy binds anew on every call (py-spy: ~7 % of an
            # embedded hub's samples, for lines filtered out below the info level)
            journaled = log.bind()
            for _, e in result.inserted:
                journaled.info("event_journaled", event_id=e.id, type=e.type, connector=e.source)
        for (source, event_type), n in Counter((e.source, e.type) for _, e in result.inserted).items():
            metrics.EVENTS_IN.labels(connector=source, type=event_type).inc(n)
        if result.inserted:
            if self.fresh is not None:
                self.fresh.add(result.inserted, result.takers)
            if direct is None:
                self.on_journaled()
            else:
                direct.publish(result.inserted)
        return report

    def _keep(self, rejections: Sequence[Rejection]) -> list[int]:
        """File rejections in the dead-letter store (one transaction); their ids, in order."""
        if not rejections:
            return []
        ids = self.journal.add_inbound_dead_letters([r.as_row() for r in rejections])
        for r in rejections:
            metrics.DEAD_LETTERS.labels(direction="inbound", connector=r.connector).inc()
            log.warning("inbound_rejected", connector=r.connector, origin=r.origin, reason=r.error.reason,
                        line=r.line or r.error.location.line, field=r.error.location.field)
        return ids

    @staticmethod
    def _refusal(e: Envelope[Any], origin: Origin | None, error: RejectError, field: str | None = None) -> Rejection:
        """A journaled-time refusal of an accepted event, kept with its message's bytes (or, without them, the
        event itself) so that it can be fixed and replayed."""
        error.location = ErrorLocation(file=origin.origin if origin else None, line=origin.line if origin else None,
                                       field=field or error.location.field)
        for problem in error.problems:
            problem.update(error.location.as_dict())
        payload = origin.payload if origin is not None else e.model_dump_json().encode()
        return Rejection(e.source, origin.origin if origin else f"event:{e.id}", error, payload,
                         origin.line if origin else None, e.type)

    def ingest(self, connector: Connector, messages: Iterable[RawMessage],
               timeout: float | None = None, partner: Partner | None = None) -> IngestReport:
        """Decode and journal several messages as one batch (group commit).

        With ``partner`` (an operator ingesting a partner's files as that partner), a message with a part outside
        the partner's scopes is refused whole and not kept: ``report.scope_refused`` says why."""
        events: list[Envelope[Any]] = []
        rejections: list[Rejection] = []
        origins: dict[str, Origin] = {}
        refused: list[dict[str, Any]] = []
        for raw in messages:
            accepted, rejected = self.decode(connector, raw, timeout, partner)
            out_of_scope = [r for r in rejected if isinstance(r.error, ScopeRefused)]
            if out_of_scope:
                refused += [{"reason": r.error.reason, "problems": r.error.problems, "origin": raw.origin}
                            for r in out_of_scope]
                continue
            events += accepted
            rejections += rejected
            origins.update((e.id, Origin(raw.origin, raw.body)) for e in accepted)
        report = self.commit(events, rejections, origins=origins)
        report.scope_refused = refused
        return report
