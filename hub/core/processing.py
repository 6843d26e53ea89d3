"""Processors: plugins through which the hub computes (cotation, lists, deadlines, the dossier).

A processor is a connector whose partner is the hub itself. It subscribes to event patterns like any connector and
receives each event in per-demand order, but instead of rendering it for a partner it returns the events it
*derives*. Why the journal is involved: the derived events, the processor's projection updates, the timers it sets
and its delivery outcome are committed in **one transaction**, so that the at-least-once delivery of the bus gives
an exactly-once effect — an input redelivered after a crash finds its delivery already recorded, or finds nothing
of its earlier processing committed.

What a derived event carries (set by the hub, not the processor): ``source`` = the processor's name,
``causationid`` = the input's id, ``correlationid`` = the input's (or the input's id), a deterministic ``id`` (the
same input derives the same ids), and ``entity``: the processor's configured legal entity (``[connectors.NAME]
entity``, the device's manager), else the entity of the event that caused it.

Cycles: two processors feeding each other forever are refused at start (``check_processor_graph``, both named);
at run time an event chain deeper than ``MAX_CAUSATION_DEPTH`` is refused (the input is dead-lettered).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from contracts import REGISTRY, Envelope, LegalEntity
from contracts.base import EventData
from hub.core.connector import Connector, OutboundMessage
from hub.core.errors import ConfigurationError, ContractError, ErrorLocation, RejectError
from hub.core.roles import PartnerRole
from hub.core.routing import topic_matches

__all__ = ["Processor", "ProcessContext", "DetachedContext", "NeedsTransaction", "DeferredWrites",
           "DeferredWritesFailed", "Timer", "MAX_CAUSATION_DEPTH", "TERRITORY_ZONE", "check_processor_graph",
           "derived_id", "end_of_day"]

#: Deepest chain of derived events (partner event = 0). Deeper is a loop the start-up check could not see.
MAX_CAUSATION_DEPTH = 16

#: The territory's civil time: "due on 1 March" means until the end of 1 March there.
TERRITORY_ZONE = ZoneInfo("Europe/Paris")

#: Where a timer's payload keeps the entity of the event that set it (taken out before the processor sees it).
ENTITY_KEY = "_relais_entity"

_NAMESPACE = uuid.UUID("6b1f3f5e-93c1-4a40-9d0b-3c1e1d6a0b52")


def derived_id(processor: str, cause: str, index: int) -> str:
    """The id of the ``index``-th event a processor derives from ``cause`` (an event id, or a timer): the same
    input always derives the same ids, so the journal absorbs a repetition instead of journaling it twice."""
    return str(uuid.uuid5(_NAMESPACE, f"{processor}\x1f{cause}\x1f{index}"))


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in the territory's time, as UTC."""
    return datetime.combine(day, time(23, 59, 59, 999999), TERRITORY_ZONE).astimezone(timezone.utc)


@dataclass(frozen=True)
class Timer:
    """A timer a processor set, as it gets it back when it fires."""

    key: str
    subject: str | None
    due_at: datetime
    payload: Mapping[str, Any]
    #: the legal entity of the event that set it: answerable for what it derives when the processor has none
    entity: LegalEntity | None = None


class DeferredWritesFailed(Exception):
    """Control flow between :class:`DeferredWrites` and the processor's worker, never raised to a caller of the hub
    (hence not in :mod:`hub.core.errors`' tree): a deferred projection write failed when the batch's writes ran
    together; which event's write it was is not known, so the hub rolls the batch back and handles it again with
    each write run at once (the culprit then fails alone, as it would have without deferral)."""


class DeferredWrites:
    """The projection writes a batch's processor deferred with :meth:`ProcessContext.write`, run in the batch's
    transaction, in the order they were asked for: consecutive writes of one statement (and one set of parameter
    names) go to the database as one ``executemany``.

    Why: a statement executed per event cost a processor more than the hub's whole hosting of the event (py-spy,
    bench/README.md "Fifth round": ~12 µs per event on SQLite, ~38 on PostgreSQL where each one is also a round
    trip); one executemany per batch costs a fraction of it."""

    __slots__ = ("conn", "pending", "failed")

    def __init__(self, conn: Connection):
        self.conn = conn
        self.pending: list[tuple[Any, dict[str, Any]]] = []
        self.failed: BaseException | None = None

    def add(self, statement: Any, params: dict[str, Any]) -> None:
        self.pending.append((statement, params))

    def flush(self) -> None:
        """Run every pending write now (raises :class:`DeferredWritesFailed` if one fails)."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        try:
            for statement, rows in _runs(pending):
                self.conn.execute(statement, rows if len(rows) > 1 else rows[0])
        except Exception as exc:
            self.failed = exc
            raise DeferredWritesFailed(f"{type(exc).__name__}: {str(exc)[:300]}") from exc


def _runs(pending: Sequence[tuple[Any, dict[str, Any]]]) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Consecutive writes of one statement with the same parameter names, grouped (order kept)."""
    runs: list[tuple[Any, list[dict[str, Any]]]] = []
    for statement, params in pending:
        if runs and runs[-1][0] is statement and runs[-1][1][0].keys() == params.keys():
            runs[-1][1].append(params)
        else:
            runs.append((statement, [params]))
    return runs


class ProcessContext:
    """What a processor may do while it handles one event or one timer.

    ``conn`` is the transaction the outcome will be committed in: a processor updates its projection tables through
    it (and reads them), never through a connection of its own. ``write`` defers a projection write to the end of
    the batch (see :meth:`write`). ``now`` is the hub's clock (injectable: ``relais tick --at`` replays a day with
    it). ``replaying`` is true during ``relais projections rebuild``: derived events and timers are then ignored —
    they were journaled the first time."""

    __slots__ = ("_conn", "processor", "now", "cause", "timer", "replaying", "schedules", "cancels", "purges",
                 "_writes")

    def __init__(self, conn: Connection, processor: "Processor", now: datetime, cause: Envelope[Any] | None = None,
                 timer: Timer | None = None, replaying: bool = False, *, writes: DeferredWrites | None = None):
        self._conn = conn
        self.processor = processor
        self.now = now
        self.cause = cause
        self.timer = timer
        self.replaying = replaying
        self.schedules: list[tuple[str, str | None, datetime, dict[str, Any]]] = []
        self.cancels: list[str] = []
        self.purges: list[str] = []
        self._writes = writes

    @property
    def conn(self) -> Connection:
        """The batch's transaction. Every write deferred with :meth:`write` runs first (in order), so what the
        processor reads or writes through ``conn`` comes after all it deferred, as if nothing had been deferred."""
        if self._writes is not None and self._writes.pending:
            self._writes.flush()
        return self._conn

    def write(self, statement: Any, params: Mapping[str, Any] | None = None) -> None:
        """Write to the projection like ``ctx.conn.execute(statement, params)``, but run with the rest of the
        batch's writes of that statement, as one ``executemany``, before the batch commits: in the same transaction
        (committed with the claim, the derived events and the outcomes, or rolled back with them), in the order
        written.

        For a statement built once (``table.insert()``, an ``update()`` with ``bindparam``) given its values as
        ``params`` — it returns nothing (no ``RETURNING``, no row count). Reading is unchanged: ``ctx.conn`` runs
        every deferred write first, so a processor that reads sees what it wrote (it then gains nothing from
        deferring: the writes run one event at a time). A processor whose events only write gains most. If a
        deferred write fails, the hub handles the batch again with each write run at once, so that the event whose
        write fails is the one retried or dead-lettered, alone. Outside a processor's batch (a rebuild without a
        batch, a timer) the write runs at once."""
        if self._writes is None:
            self._conn.execute(statement, dict(params) if params else None)
        else:
            self._writes.add(statement, dict(params) if params else {})

    def schedule(self, key: str, at: datetime | date, payload: Mapping[str, Any] | None = None, *,
                 subject: str | None = None, entity: LegalEntity | Mapping[str, Any] | None = None) -> None:
        """Be called back (``on_timer``) at ``at`` — a date means the end of that day in the territory's time.

        ``key`` names the timer within this processor: setting it again before it fired moves it; once fired, a key
        is spent (a timer fires once). ``payload`` is JSON given back with it. ``subject`` defaults to the demand
        of the event being handled. ``entity`` answers for what the timer derives when the processor has no entity
        of its own; by default, the entity of the event (or timer) being handled."""
        if not key or len(key) > 200:
            raise ValueError("timer key: 1 to 200 characters")
        due = end_of_day(at) if not isinstance(at, datetime) else at
        if due.tzinfo is None:
            raise ValueError(f"timer {key!r}: give the due time a time zone")
        if subject is None:
            subject = self.cause.subject if self.cause is not None else (self.timer.subject if self.timer else None)
        stored = json.loads(json.dumps(dict(payload or {})))
        if ENTITY_KEY in stored:
            raise ValueError(f"timer {key!r}: the payload key {ENTITY_KEY!r} is reserved")
        setter = LegalEntity.model_validate(entity) if entity is not None else (
            self.cause.entity if self.cause is not None else (self.timer.entity if self.timer else None))
        if setter is not None:
            stored[ENTITY_KEY] = setter.model_dump(mode="json")
        self.schedules.append((key, subject, due, stored))

    def cancel(self, key: str) -> None:
        """Forget a timer that has not fired yet (nothing happens if it already fired or never existed)."""
        self.cancels.append(key)

    def purge(self, subject: str) -> None:
        """Ask the hub to delete the demand's personal data (retention, :mod:`hub.core.retention`) in this
        transaction, before the events this firing derives are journaled. Only from ``on_timer``: a purge is a
        deadline's consequence, never a partner event's."""
        if self.timer is None:
            raise RuntimeError("ctx.purge: only from on_timer")
        self.purges.append(subject)

    @property
    def entity(self) -> LegalEntity:
        """The legal entity the derived events are answerable to (see the module docstring)."""
        configured = self.processor.settings.entity
        if configured is not None:
            return configured
        if self.cause is not None:
            return self.cause.entity
        if self.timer is not None and self.timer.entity is not None:
            return self.timer.entity
        raise ConfigurationError(f"[connectors.{self.processor.name}] entity: set the legal entity (siren, nom) "
                                 "answerable for what this processor derives from its timers")


class NeedsTransaction(Exception):
    """Control flow between :class:`DetachedContext` and the processor's worker, never raised to a caller of the hub:
    a processor handled outside its batch's transaction touched ``ctx.conn``; its handling is thrown away and done
    again inside the transaction."""


class DetachedContext(ProcessContext):
    """A :class:`ProcessContext` for handling an event *before* the batch's transaction begins (SQLite:
    :mod:`hub.core.processor_worker`, "handled before the claim"): writes are deferred, timers and derived events
    only collected, and ``conn`` is not there — touching it marks the context (``touched``, whatever the processor
    does with the exception) and raises :class:`NeedsTransaction`.

    Why this is safe: a handling that never read the database depends only on the event, the clock and the
    processor (which must be deterministic), so it gives what the same handling inside the transaction would have
    given, whenever it ran; a handling that did read is never used."""

    __slots__ = ("touched",)

    def __init__(self, processor: "Processor", now: datetime, cause: Envelope[Any], writes: DeferredWrites):
        super().__init__(None, processor, now, cause=cause, writes=writes)   # type: ignore[arg-type]
        self.touched = False

    @property
    def conn(self) -> Connection:
        self.touched = True
        raise NeedsTransaction("handled outside the batch's transaction")


class Processor(Connector):
    """Base class of a processor. Subclasses set ``name``, ``subscriptions``, ``emits`` and implement
    ``process`` (and ``on_timer`` when they set timers).

    Class attributes, besides a connector's:
      ``tables``: the SQLAlchemy ``MetaData`` of its projection tables (created in the journal's database, owned by
      the processor; prefix their names with the processor's name). None: no projection.
      ``projection_version``: change it when the tables or their meaning change: the hub then drops them and
      rebuilds them from the journal at the next start.
    """

    role: ClassVar[PartnerRole] = PartnerRole.PROCESSOR
    file_suffixes: ClassVar[tuple[str, ...]] = ()
    tables: ClassVar[MetaData | None] = None
    projection_version: ClassVar[str] = "1"

    def process(self, event: Envelope[Any], ctx: ProcessContext) -> Iterable[EventData | Envelope[Any]]:
        """Handle one event; return (or yield) the events it derives — payloads (``EventData``), which the hub
        wraps, or envelopes. Raise :class:`hub.RetryableError` for a transient failure (retried with backoff),
        :class:`hub.RejectError` for an input it can never handle (dead-lettered)."""
        return ()

    def on_timer(self, timer: Timer, ctx: ProcessContext) -> Iterable[EventData | Envelope[Any]]:
        """A timer set with ``ctx.schedule`` is due; return what it derives. Do not write the projection here (a
        rebuild replays events, not timers): record what the firing decided in ``applied``."""
        return ()

    def applied(self, event: Envelope[Any], ctx: ProcessContext) -> None:
        """Called with each event this processor derived, in the transaction that journals it, and again with the
        same event during a rebuild: the place to update the projection from the processor's own decisions ("notice
        sent", "radiated"), which it is never given back as input. The default does nothing."""

    def forget(self, subject: str, conn: Connection) -> None:
        """Delete what the projection holds about one demand whose personal data are purged (retention, one year
        after its radiation). Called inside the purge's transaction. Default: nothing (a projection without
        personal data keeps its rows)."""

    def reset_projection(self, conn: Connection) -> None:
        """Empty the projection before a rebuild; the default deletes every row of ``tables``."""
        if self.tables is not None:
            for table in reversed(self.tables.sorted_tables):
                conn.execute(table.delete())

    # a processor has no partner to render for or deliver to
    def encode(self, event: Envelope[Any]) -> OutboundMessage:  # pragma: no cover - never called by the hub
        raise NotImplementedError("a processor does not render events")

    def deliver(self, event: Envelope[Any], message: OutboundMessage) -> None:  # pragma: no cover
        raise NotImplementedError("a processor does not deliver events")


def wrap_derived(ctx: ProcessContext, produced: Iterable[EventData | Envelope[Any]] | None, cause_key: str,
                 depth: int) -> list[Envelope[Any]]:
    """Turn what a processor returned into journalable envelopes, or raise a :class:`RejectError` naming what is
    wrong (a type it does not declare in ``emits``, a chain too deep, something that is not an event)."""
    processor = ctx.processor
    cause = ctx.cause
    out: list[Envelope[Any]] = []
    for index, item in enumerate(produced or ()):
        where = f"{processor.name}: derived event #{index}"
        if isinstance(item, Envelope):
            data, time_, subject = item.data, item.time, item.subject
        elif isinstance(item, EventData):
            data, time_, subject = item, ctx.now, item.subject()
        else:
            raise ContractError(f"{where} is a {type(item).__name__}, not an event payload or envelope",
                                location=ErrorLocation(field=f"derived[{index}]"))
        event_type = getattr(type(data), "event_type", None)
        if event_type is None or not topic_matches(processor.emits, event_type):
            raise RejectError(f"{where}: processor {processor.name!r} may not emit {event_type!r}; declare it in "
                              f"its `emits` (now {list(processor.emits)})", location=ErrorLocation(field=f"derived[{index}].type"))
        if depth > MAX_CAUSATION_DEPTH:
            raise RejectError(f"{where}: causation depth {depth} exceeds {MAX_CAUSATION_DEPTH}; processors are "
                              "feeding each other in a loop", location=ErrorLocation(field=f"derived[{index}]"))
        out.append(REGISTRY.build(
            data, id=derived_id(processor.name, cause_key, index), source=processor.name,
            entity=ctx.entity, subject=subject if subject is not None else data.subject(), time=time_,
            correlationid=(cause.correlationid or cause.id) if cause is not None else None,
            causationid=cause.id if cause is not None else None))
    return out


def _may_feed(emitter: Processor, subscriber: Processor) -> list[str]:
    """The registered event types ``emitter`` may emit that ``subscriber`` takes."""
    return [t for t in REGISTRY.types() if topic_matches(emitter.emits, t) and topic_matches(subscriber.subscriptions, t)]


def check_processor_graph(connectors: Mapping[str, Connector]) -> None:
    """Refuse processors that would feed each other in a loop (A's events go to B, whose events go back to A).

    A processor is never given its own events (the router skips an event's source), so a self-loop is harmless."""
    processors = {n: c for n, c in connectors.items() if isinstance(c, Processor)}
    edges: dict[str, dict[str, list[str]]] = {
        a: {b: types for b, pb in processors.items() if b != a and (types := _may_feed(pa, pb))}
        for a, pa in processors.items()}
    state: dict[str, int] = {}   # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                steps = "; ".join(f"{a} emits {', '.join(edges[a][b][:3])} which {b} subscribes to"
                                  for a, b in zip(cycle, cycle[1:]))
                raise ConfigurationError(f"processors {' → '.join(cycle)} form a cycle ({steps}); change the "
                                         "subscriptions or emits of one of them")
            if state.get(nxt) is None:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(processors):
        if state.get(name) is None:
            visit(name)


def processors_of(connectors: Mapping[str, Connector]) -> dict[str, Processor]:
    return {n: c for n, c in connectors.items() if isinstance(c, Processor)}


def subscribed_types(processor: Connector, types: Sequence[str] | None = None) -> list[str]:
    """The registered event types this processor takes (for a rebuild's query)."""
    return [t for t in (types or REGISTRY.types()) if topic_matches(processor.subscriptions, t)]
