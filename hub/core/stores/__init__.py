"""The journal's stores: one per table (or per tightly bound pair of tables), all on the journal's one engine.

:class:`hub.core.journal.Journal` builds them and exposes them (``journal.events``, ``journal.outbox``,
``journal.deliveries``, ``journal.dead_letter_store``, ``journal.polls``); the scheduled pulls' store and the
instances registry live beside the code that uses them (:mod:`hub.core.polling`, :mod:`hub.core.instances`).
"""

from hub.core.stores.dead_letters import DeadLetterStore
from hub.core.stores.deliveries import DeliveryStore
from hub.core.stores.engine import make_engine
from hub.core.stores.events import EventStore
from hub.core.stores.outbox import OutboxStore

__all__ = ["EventStore", "OutboxStore", "DeliveryStore", "DeadLetterStore", "make_engine"]
