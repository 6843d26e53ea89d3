"""The outbox relay publishes each journaled event once when all goes well, without an empty read after a short
batch, and on PostgreSQL removes a confirmed batch's rows while it reads the next: rows whose removal is still
committing are not read (nor published) again, and a removal that is lost only leaves them to be published again."""

from __future__ import annotations

import gc
from datetime import date, datetime, timezone

import pytest

from contracts import REGISTRY, DecisionCal, LegalEntity
from hub.core.bus import Bus
from hub.core.journal import Journal, Route
from hub.core.outbox import OutboxRelay
from hub.core.stores.outbox import OutboxBatch

ENTITY = LegalEntity(siren="392812343", nom="Bailleur de test")


def _events(n: int, start: int = 0):
    return [REGISTRY.build(DecisionCal(numero_unique="06311260000%02dG6301" % i, rpls="6300054321", commune="63430",
                                       date_commission=date(2026, 11, 20), decision="attribution"),
                           source="bailleurs", entity=ENTITY, time=datetime(2026, 11, 20, tzinfo=timezone.utc))
            for i in range(start, start + n)]


@pytest.fixture(params=["sqlite", "postgresql"])
def journal(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'journal.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_schema_url"))
    journal = Journal(url, router=lambda e: [Route("partner_a", True)])
    yield journal
    journal.close()


class Recording:
    """A publisher that keeps the seqs it was given, in order."""

    def __init__(self):
        self.published: list[int] = []
        self.calls = 0

    def publish(self, messages, **_kw):
        self.calls += 1
        self.published += [seq for m in messages for seq in (m.seqs or (m.seq,))]

    def close(self):
        pass


def _relay(journal: Journal, batch_size: int) -> tuple[OutboxRelay, Recording]:
    relay = OutboxRelay(journal, Bus("memory://", namespace="t"), batch_size)
    relay.publisher = recording = Recording()
    return relay, recording


def test_every_event_is_published_once_and_its_row_removed(journal: Journal) -> None:
    seqs = [seq for seq, _ in journal.append(_events(12)).inserted]
    relay, recording = _relay(journal, batch_size=5)
    assert relay.publish_pending() == 12
    assert recording.published == seqs
    assert recording.calls == 3   # 5 + 5 + 2: the short batch ends the round, no read of an empty outbox
    assert journal.outbox_size() == 0
    assert relay.publish_pending() == 0 and recording.published == seqs
    relay.close()


def test_rows_being_removed_are_not_read_again(pg_schema_url) -> None:
    journal = Journal(pg_schema_url, router=lambda e: [Route("partner_a", True)])
    try:
        seqs = [seq for seq, _ in journal.append(_events(6)).inserted]
        first = journal.outbox.lock_batch(4)
        assert [r[0] for r in first.rows] == seqs[:4] and first.locked
        second = journal.outbox.lock_batch(4)   # while the first batch's removal has not committed
        assert [r[0] for r in second.rows] == seqs[4:]
        first.remove()
        second.release()   # not published: its rows stay
        left = journal.outbox.lock_batch(10)
        assert [r[0] for r in left.rows] == seqs[4:]
        left.release()
    finally:
        journal.close()


def test_a_lost_removal_only_publishes_the_batch_again(pg_schema_url, monkeypatch) -> None:
    journal = Journal(pg_schema_url, router=lambda e: [Route("partner_a", True)])
    try:
        seqs = [seq for seq, _ in journal.append(_events(3)).inserted]
        relay, recording = _relay(journal, batch_size=10)

        def lost(batch):   # the database went away during the removal: rolled back
            batch.release()
            raise ConnectionError("server closed the connection unexpectedly")

        with monkeypatch.context() as patched:
            patched.setattr(OutboxBatch, "remove", lost)
            assert relay.publish_pending() == 3   # published and confirmed: the relay goes on
        assert journal.outbox_size() == 3
        assert relay.publish_pending() == 3
        assert recording.published == seqs + seqs and journal.outbox_size() == 0
        relay.close()
    finally:
        journal.close()


def test_the_relay_reads_events_by_primary_key_on_a_young_journal(pg_schema_url) -> None:
    """On a journal with no statistics yet and an outbox full of deleted rows (what a busy first minute leaves
    before autovacuum), the relay's read must not scan and sort the whole ``events`` table: it grew with the
    journal (9 ms per read at 5,000 events, bench/README.md)."""
    from sqlalchemy import event, text

    journal = Journal(pg_schema_url, router=lambda e: [Route("partner_a", True)])
    try:
        events = [REGISTRY.build(DecisionCal(numero_unique="063112%07dG6301" % i, rpls="6300054321",
                                             commune="63430", date_commission=date(2026, 11, 20),
                                             decision="attribution"),
                                 source="bailleurs", entity=ENTITY, time=datetime(2026, 11, 20, tzinfo=timezone.utc))
                  for i in range(3000)]
        seqs = [seq for seq, _ in journal.append(events).inserted]
        with journal.engine.begin() as conn:   # published and removed, not vacuumed: dead rows in the outbox
            conn.execute(text("DELETE FROM outbox WHERE seq < :last"), {"last": seqs[-20]})
        seen: list[tuple[str, object]] = []

        def capture(_conn, _cursor, statement, parameters, _context, _many):
            seen.append((statement, parameters))

        event.listen(journal.engine, "before_cursor_execute", capture)
        try:
            batch = journal.outbox.lock_batch(500)
        finally:
            event.remove(journal.engine, "before_cursor_execute", capture)
        assert [r[0] for r in batch.rows] == seqs[-20:]
        batch.release()
        statement, parameters = next((s, p) for s, p in seen if "outbox" in s and s.lstrip().startswith("SELECT"))
        with journal.engine.connect() as conn:
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
        assert "Seq Scan on events" not in plan, plan
    finally:
        journal.close()


def test_relaying_batch_after_batch_leaves_no_cyclic_garbage(journal: Journal) -> None:
    """The outbox's statements are built once: built per batch they left cyclic garbage at every commit and relay
    batch, which young collections freed in 20 ms stops at 1,000 events/s (bench/README.md, "Fifth round")."""
    relay, recording = _relay(journal, batch_size=2)
    journal.append(_events(2))
    relay.publish_pending()   # warm: first compilation, the remover thread
    journal.append(_events(40, start=2))
    gc.collect()
    gc.disable()
    try:
        assert relay.publish_pending() == 40
        left = gc.collect()
    finally:
        gc.enable()
    assert left < 20   # fewer than one object per batch (built per batch on PostgreSQL: ~12 each)
    assert len(recording.published) == 42 and journal.outbox_size() == 0
    relay.close()
