"""A delivery worker records a batch and claims the next one in one transaction when the next batch's messages have
already arrived (one commit less per batch at a steady rate, bench/README.md) — and keeps every promise of the two
separate commits: the next batch is claimed (committed) before the partner sees it, its messages are acknowledged
only by the step that records it, a failed transaction loses nothing, and a worker that stops with a batch claimed
ahead gives it back untried."""

from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event, select

from contracts import REGISTRY, DecisionCal, LegalEntity
from hub import Connector, ConnectorContext, ConnectorSettings, PartnerRole
from hub.core.bus import Bus, OutgoingMessage
from hub.core.delivery import DeliveryWorker
from hub.core.journal import DeliveryOutcome, Journal, Route
from hub.core.journal_schema import DeliveryStatus as S
from hub.core.journal_schema import deliveries
from hub.core.routing import AccessPolicy
from hub.settings import RetrySettings

ENTITY = LegalEntity(siren="392812343", nom="Bailleur de test")
PARTNER = "ahead_partner"


class Watching(Connector):
    """Accepts everything; notes, at each delivery, the journal state of every delivery row (claimed or not)."""

    name = PARTNER
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)

    def __init__(self, *args, journal: Journal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.journal = journal
        self.received: list[str] = []
        self.seen_states: list[dict[int, str]] = []

    def deliver(self, event, message) -> None:
        self.received.append(event.id)
        with self.journal.engine.connect() as conn:   # another connection: only what was committed
            self.seen_states.append(dict(conn.execute(select(deliveries.c.seq, deliveries.c.status).where(
                deliveries.c.subscriber == PARTNER)).all()))


def _event(demand: int):
    return REGISTRY.build(DecisionCal(numero_unique="06311260000%02dG6301" % demand, rpls="6300054321",
                                      commune="63430", date_commission=date(2026, 11, 20), decision="attribution"),
                          source="bailleurs", entity=ENTITY, time=datetime(2026, 11, 20, tzinfo=timezone.utc))


@pytest.fixture(params=["sqlite", "postgresql"])
def journal(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'journal.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_schema_url"))
    journal = Journal(url, router=lambda e: [Route(PARTNER, True)])
    yield journal
    journal.close()


@pytest.fixture
def setup(journal, tmp_path):
    """Six events of six demands on the partner's queue, one message each; a worker taking batches of two."""
    seqs = [seq for seq, _e in journal.append([_event(d) for d in range(6)]).inserted]
    journal.mark_published(seqs)   # the test puts the messages on the bus itself
    bus = Bus("memory://", namespace=f"a{uuid.uuid4().hex[:10]}")
    bus.declare({PARTNER: Watching.subscriptions})
    partner = Watching(ConnectorSettings(), ConnectorContext(PARTNER, tmp_path, tmp_path / "in", tmp_path / "out"),
                       journal=journal)
    worker = DeliveryWorker(partner, journal, bus, AccessPolicy(), retry=RetrySettings(), batch_size=2,
                            batch_wait=0.05, timeout=10, lease=60, stale_dispatch=60)
    publisher = bus.publisher()
    publisher.publish([OutgoingMessage(seq, PARTNER, b"{}") for seq in seqs], exchange=bus.topology.deliver)
    commits: list[int] = []
    event.listen(journal.engine, "commit", lambda conn: commits.append(1))
    yield journal, seqs, partner, worker, commits
    worker.close()
    publisher.close()


def _states(journal: Journal) -> dict[int, tuple[str, int]]:
    with journal.engine.connect() as conn:
        return {seq: (status, attempts) for seq, status, attempts in conn.execute(
            select(deliveries.c.seq, deliveries.c.status, deliveries.c.attempts).where(
                deliveries.c.subscriber == PARTNER))}


def test_the_next_batch_is_claimed_with_the_record_of_the_previous_one(setup) -> None:
    journal, seqs, partner, worker, commits = setup
    received = [worker.step(wait=1).received for _ in range(3)]
    assert received == [2, 2, 2]
    assert _states(journal) == {seq: (S.DELIVERED, 1) for seq in seqs}
    assert len(partner.received) == 6
    # one claim, then one commit per batch recording it and claiming the next (the old way: two per batch, 6)
    assert len(commits) == 4
    # every event the partner got was claimed, and committed as such, before it was called
    for index, states in enumerate(partner.seen_states):
        assert states[seqs[index]] == S.DELIVERING


def test_a_batch_claimed_ahead_is_acknowledged_by_the_step_that_records_it(setup) -> None:
    journal, seqs, partner, worker, commits = setup
    worker.step(wait=1)
    assert worker._ahead is not None
    ahead_messages = worker._ahead[0]
    assert [m.headers["seq"] for m in ahead_messages] == seqs[2:4]
    assert all(not m.acknowledged for m in ahead_messages)   # claimed, not yet delivered: not acknowledged
    assert _states(journal)[seqs[2]] == (S.DELIVERING, 1)
    worker.step(wait=1)
    assert all(m.acknowledged for m in ahead_messages)


def test_a_failed_record_and_claim_loses_nothing(setup, monkeypatch) -> None:
    journal, seqs, partner, worker, commits = setup
    real = journal.deliveries.settle_and_claim
    calls = []

    def failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("journal away")
        return real(*args, **kwargs)

    monkeypatch.setattr(journal.deliveries, "settle_and_claim", failing_once)
    with pytest.raises(RuntimeError):
        worker.step(wait=1)
    assert partner.received and worker._unrecorded is not None and len(worker._held) == 4   # this batch + the next
    for _ in range(5):
        worker.step(wait=0.1)
    assert _states(journal) == {seq: (S.DELIVERED, 1) for seq in seqs}
    assert sorted(partner.received) == sorted(set(partner.received)) and len(partner.received) == 6


def test_a_worker_stopping_with_a_batch_claimed_ahead_gives_it_back_untried(setup) -> None:
    journal, seqs, partner, worker, commits = setup
    stop = threading.Event()
    worker.step(wait=1)
    assert worker._ahead is not None
    stop.set()
    worker.run(stop)   # stopped at once: the batch claimed ahead is given back
    states = _states(journal)
    assert [states[s] for s in seqs[2:4]] == [(S.PENDING, 0), (S.PENDING, 0)]   # no attempt spent
    assert worker._ahead is None and len(partner.received) == 2


def test_record_and_claim_takes_the_next_event_of_each_settled_demand_and_the_batch_in_hand(journal) -> None:
    a1, a2, b1, c1 = (seq for seq, _e in journal.append([_event(1), _event(1), _event(2), _event(3)]).inserted)
    claimed = journal.claim(PARTNER, [a1, a2, b1])
    assert [c.seq for c in claimed] == [a1, b1]   # a2 waits behind a1 (same demand)
    subject = {c.seq: c.subject for c in claimed}
    lost, following = journal.deliveries.settle_and_claim(
        PARTNER, [DeliveryOutcome(a1, S.DELIVERED), DeliveryOutcome(b1, S.DELIVERED)],
        claimed_at=claimed[0].claimed_at, follow=subject, then=[c1])
    assert lost == [] and [c.seq for c in following] == [a2, c1]
    assert len({c.claimed_at for c in following}) == 1 and following[0].body   # one claim, the events' bodies
    states = _states(journal)
    assert [states[s] for s in (a1, b1, a2, c1)] == [(S.DELIVERED, 1)] * 2 + [(S.DELIVERING, 1)] * 2


def test_record_and_claim_does_not_take_again_a_delivery_whose_claim_was_lost(journal) -> None:
    a1, _a2 = (seq for seq, _e in journal.append([_event(1), _event(1)]).inserted)
    [claimed] = journal.claim(PARTNER, [a1])
    journal.expire_leases(PARTNER, lease=-1, max_attempts=5)   # taken back: pending again, due at once
    lost, following = journal.deliveries.settle_and_claim(
        PARTNER, [DeliveryOutcome(a1, S.DELIVERED)], claimed_at=claimed.claimed_at, follow={a1: claimed.subject})
    assert lost == [a1] and following == []   # whoever takes it back delivers it, not this worker again
    assert _states(journal)[a1] == (S.PENDING, 1)
