"""Per-demand order under concurrency, as a property: whatever order the bus hands events over in (shuffled,
some twice), with two delivery workers competing for one partner's queue and some deliveries failing transiently,
the partner receives each event exactly once and, for each demand, in journal order.

On SQLite and on PostgreSQL (whose concurrent ``claim`` statements run under READ COMMITTED). The same property is
checked end to end with two hub processes on RabbitMQ in ``test_multiprocess.py``.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter, defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import REGISTRY, DecisionCal, LegalEntity
from hub import Connector, ConnectorContext, ConnectorSettings, PartnerRole, RetryableError
from hub.core.bus import Bus, OutgoingMessage
from hub.core.delivery import DeliveryWorker
from hub.core.journal import Journal, Route
from hub.core.journal_schema import DeliveryStatus
from hub.core.routing import AccessPolicy
from hub.settings import RetrySettings
from tests.factories import decision, numero_unique
from tests.reliability.conftest import wait_until

BAILLEUR = LegalEntity(siren="276300019", nom="Office Public de l'Habitat")
_names = itertools.count()


class Recorder(Connector):
    """A partner that records what it accepts, and refuses (transiently) the first attempt of chosen events."""

    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)

    def __init__(self, settings, context, fail_first: set[str]):
        super().__init__(settings, context)
        self.fail_first = fail_first
        self.received: list[tuple[str | None, str]] = []
        self.tries: Counter[str] = Counter()
        self.lock = threading.Lock()

    def deliver(self, event, message) -> None:
        with self.lock:
            self.tries[event.id] += 1
            if event.id in self.fail_first and self.tries[event.id] == 1:
                raise RetryableError("partner busy")
            self.received.append((event.subject, event.id))


@pytest.fixture(params=["sqlite", "postgresql"])
def journal(request, tmp_path) -> Any:
    url = (f"sqlite:///{tmp_path / 'journal.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_schema_url"))
    routes: list[str] = []
    j = Journal(url, router=lambda _event: [Route(routes[0], True)])
    j.routes = routes
    yield j
    j.close()


scenario = st.integers(1, 30).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 3), min_size=n, max_size=n),        # the demand of each event (4 demands at most)
    st.permutations(range(n)),                                   # the order the bus hands them over in
    st.lists(st.integers(0, n - 1), max_size=5),                 # some handed over twice
    st.sets(st.integers(0, n - 1)),                              # whose first delivery attempt fails
    st.integers(1, 8),                                           # the workers' batch size
))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=scenario)
def test_each_demand_reaches_the_partner_in_journal_order_with_two_competing_workers(journal, tmp_path, case):
    demand_of, arrival, twice, failing, batch_size = case
    name = f"rec{next(_names)}"
    journal.routes[:] = [name]
    demands = [numero_unique() for _ in range(4)]
    envelopes = [REGISTRY.build(DecisionCal.model_validate({k: v for k, v in decision(
        numero_unique=demands[d]).items() if k != "id"}), source="bailleurs", entity=BAILLEUR)
        for d in demand_of]
    seqs = [seq for seq, _e in journal.append(envelopes).inserted]
    journal.mark_published(seqs)   # this test hands the messages over itself, in its own order

    recorder_cls = type(name.capitalize(), (Recorder,), {"name": name})
    context = ConnectorContext(name, tmp_path, tmp_path / "in", tmp_path / "out")
    partner = recorder_cls(ConnectorSettings(), context, {envelopes[i].id for i in failing})
    bus = Bus("memory://", namespace=f"o{uuid.uuid4().hex[:10]}")
    bus.declare({name: partner.subscriptions})
    retry = RetrySettings(max_attempts=10, base_delay=0.001, max_delay=0.01)
    workers = [DeliveryWorker(partner, journal, bus, AccessPolicy(), retry=retry, batch_size=batch_size,
                              batch_wait=0.002, timeout=10, lease=60, stale_dispatch=60) for _ in range(2)]
    publisher = bus.publisher()
    publisher.publish([OutgoingMessage(seqs[i], name, b"{}") for i in [*arrival, *twice]],
                      exchange=bus.topology.deliver)
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop, 0.01)) for w in workers]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: journal.delivery_counts(name) == {(name, DeliveryStatus.DELIVERED): len(seqs)},
                   timeout=60, what="every delivery")
    finally:
        stop.set()
        for t in threads:
            t.join()
        for w in workers:
            w.close()
        publisher.close()

    received_ids = [event_id for _s, event_id in partner.received]
    assert sorted(received_ids) == sorted(e.id for e in envelopes), "each event exactly once"
    by_demand: dict[str | None, list[str]] = defaultdict(list)
    for subject, event_id in partner.received:
        by_demand[subject].append(event_id)
    for subject, ids in by_demand.items():
        assert ids == [e.id for e in envelopes if e.subject == subject], "journal order within a demand"
    assert all(partner.tries[envelopes[i].id] == 2 for i in failing)
