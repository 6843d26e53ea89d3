"""The journal: the durable, append-only record of every event, and of every partner's delivery of it — one engine,
one schema, and the stores that each own a part of it.

Why stores: the journal used to be one class with five jobs. Each store now owns the statements that write its table
(:mod:`hub.core.stores`): ``events`` (appends, conflicts, history, import snapshots), ``outbox`` (what the broker has
not confirmed), ``deliveries`` (claims, outcomes, re-dispatch, operator actions), ``dead_letter_store`` (inbound and
outbound dead letters) and ``polls`` (scheduled pulls). What spans stores — an append writes events, outbox rows
and delivery rows — happens in one transaction that the stores share (``append_in``, ``complete_in`` take the
caller's connection).

Why the methods below stay: every caller (the runtime, the faces, plugins' tests, the benches) talks to ``Journal``;
each public method of the single class it was is kept, with its signature, as a forward to the store that does the
work. New code may use the stores directly.

The schema is versioned (:mod:`hub.core.migrations`): opening a journal brings it to this release's revision, or
refuses (see :class:`Journal`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts import Envelope
from hub.core import migrations
from hub.core.polling import PollStore
from hub.core.stores.common import as_utc, utcnow
from hub.core.stores.dead_letters import DeadLetterStore
from hub.core.stores.deliveries import (
    WORKER_LOST, Backlog, ClaimedDelivery, DeliveryOutcome, DeliveryStore, LeaseExpiry,
)
from hub.core.stores.engine import make_engine
from hub.core.stores.events import AppendResult, Conflict, EventStore, Route
from hub.core.stores.outbox import OutboxStore
from hub.core import partners_schema  # noqa: F401  (its tables are on the same metadata, in revision 0003)
from hub.core import console_schema  # noqa: F401  (the console's people, revision 0009)

__all__ = [
    "Journal", "AppendResult", "Backlog", "Conflict", "Route", "ClaimedDelivery", "DeliveryOutcome", "LeaseExpiry",
    "WORKER_LOST", "utcnow", "as_utc",
]


class _Forward:
    """A method of ``Journal`` that is the method of one of its stores: the signature and docstring are the
    store's, so the facade can never drift from what it forwards to."""

    def __init__(self, store: str, method: str | None = None):
        self.store = store
        self.method = method

    def __set_name__(self, owner: type, name: str) -> None:
        self.method = self.method or name

    def __get__(self, journal: Any, owner: type | None = None) -> Any:
        if journal is None:
            return self
        return getattr(getattr(journal, self.store), self.method)


class Journal:
    """The journal's engine, schema and stores.

    Opening it brings the schema to this release's revision under a lock (:func:`hub.core.migrations.prepare`):
    an empty database is created at the head revision; a journal behind is migrated if ``auto_upgrade`` (the
    ``journal_auto_upgrade`` setting), refused otherwise; a journal ahead of this release is always refused."""

    def __init__(self, url: str, *, router: Callable[[Envelope[Any]], list[Route]] | None = None,
                 connect_timeout: float = 10.0, statement_timeout: float = 60.0,
                 dead_letter_quota: Callable[[str], int | None] | None = None, auto_upgrade: bool = True):
        self.url = url
        self.engine = make_engine(url, connect_timeout=connect_timeout, statement_timeout=statement_timeout)
        try:
            migrations.prepare(self.engine, auto_upgrade=auto_upgrade)
        except BaseException:
            self.engine.dispose()
            raise
        self.dead_letter_store = DeadLetterStore(self.engine, dead_letter_quota)
        self.inbound_dead_letters = self.dead_letter_store.inbound
        self.outbox = OutboxStore(self.engine)
        self.deliveries = DeliveryStore(self.engine, self.dead_letter_store)
        self.events = EventStore(self.engine, self.outbox, self.deliveries, router)
        self.polls = PollStore(self.engine)

    @property
    def router(self) -> Callable[[Envelope[Any]], list[Route]]:
        """Who receives each appended event (the hub's :class:`~hub.core.routing.Router`)."""
        return self.events.router

    @router.setter
    def router(self, router: Callable[[Envelope[Any]], list[Route]]) -> None:
        self.events.router = router

    def close(self) -> None:
        self.engine.dispose()

    # --- events (hub.core.stores.events) ----------------------------------------------------------------------
    append = _Forward("events")
    append_in = _Forward("events")
    known_fingerprints = _Forward("events")
    find_event = _Forward("events")
    history = _Forward("events")
    count_events = _Forward("events", "count")
    bodies = _Forward("events")

    # --- outbox (hub.core.stores.outbox) ----------------------------------------------------------------------
    unpublished = _Forward("outbox")
    unpublished_batch = _Forward("outbox")
    mark_published = _Forward("outbox")
    outbox_size = _Forward("outbox", "size")

    # --- deliveries (hub.core.stores.deliveries) --------------------------------------------------------------
    claim = _Forward("deliveries")
    complete = _Forward("deliveries")
    complete_in = _Forward("deliveries")
    successors = _Forward("deliveries")
    take_due = _Forward("deliveries")
    take_stale = _Forward("deliveries")
    flag_undispatched = _Forward("deliveries")
    flag_for_dispatch = _Forward("deliveries")
    expire_leases = _Forward("deliveries")
    backlog = _Forward("deliveries")
    delivery_counts = _Forward("deliveries", "counts")
    delivery_states = _Forward("deliveries", "states")
    requeue = _Forward("deliveries")
    set_status = _Forward("deliveries")
    ensure_deliveries = _Forward("deliveries")

    # --- dead letters (hub.core.stores.dead_letters) ----------------------------------------------------------
    add_inbound_dead_letters = _Forward("dead_letter_store", "add_inbound")
    dead_letters = _Forward("dead_letter_store", "list")
    set_dead_letter_status = _Forward("dead_letter_store", "set_status")
