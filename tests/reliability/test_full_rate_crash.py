"""kill -9 of a hub moving thousands of events a second — the fast paths on (batch reference messages on the
in-process bus, group commits, a processor in the loop) — then a restart: nothing lost, nothing handled twice by the
processor, and the partner's copies bounded by what was in hand when the process died.

Unlike ``test_crash_recovery`` (an HTTP partner, a few hundred events a second) the partner and the processor here
cost the hub next to nothing (``full_rate_plugin``), so the kill lands while every stage runs at full speed."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from hub.core.journal import Journal
from tests.reliability.conftest import (
    journal_order,
    settings_with,
    subprocess_env,
    wait_until,
    write_batch,
)
from tests.reliability.full_rate_plugin import SINK_FILE, ledger_seen

N = 10_000
PLUGIN = "tests.reliability.full_rate_plugin"


def _ledger(settings) -> Counter:
    journal = Journal(settings.journal)
    try:
        with journal.engine.connect() as conn:
            return Counter(event_id for (event_id,) in conn.execute(select(ledger_seen.c.event_id)))
    finally:
        journal.close()


def _received(path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    return [tuple(line.split(" ")) for line in path.read_text().splitlines() if line]


@pytest.mark.slow
@pytest.mark.timeout(900)   # RabbitMQ + PostgreSQL on a loaded 2-core machine: minutes, not seconds
def test_sigkill_at_full_rate_loses_nothing_and_the_processor_handles_each_event_once(hub_settings, hub_processes):
    settings = settings_with(hub_settings, {}, batch_size=500)
    write_batch(settings.home / "inbox" / "bailleurs", N, per_file=1000)
    env = subprocess_env(settings, RELAIS_EXTRA_PLUGINS=PLUGIN)
    received = settings.home / "outbox" / "sink" / SINK_FILE

    first = hub_processes(env).start()
    wait_until(lambda: len(_received(received)) >= N // 5, what="deliveries before the kill")
    first.kill()
    before = len(_received(received))
    assert before < N, "the hub finished before it could be killed mid-stream"

    second = hub_processes(env).start()
    wait_until(lambda: sum(_ledger(settings).values()) >= N and len({i for i, _ in _received(received)}) >= N,
               timeout=300, what="every event handled after the restart")
    assert second.terminate() == 0, second.output()[-3000:]

    order = journal_order(settings)
    journaled = {i for ids in order.values() for i in ids}
    assert len(journaled) == N
    ledger = _ledger(settings)
    assert set(ledger) == journaled and max(ledger.values()) == 1, "the processor lost or handled twice an event"
    got = _received(received)
    copies = Counter(i for i, _ in got)
    assert set(copies) == journaled, f"{len(journaled - set(copies))} events never reached the partner"
    # a copy only of what was delivered and not yet recorded at the kill: at most one claimed batch
    assert sum(copies.values()) - N <= 500, f"{sum(copies.values()) - N} redeliveries"
    # each demand's events reached the partner in journal order (first copies)
    firsts: dict[str, list[str]] = {}
    seen: set[str] = set()
    for event_id, subject in got:
        if event_id not in seen:
            seen.add(event_id)
            firsts.setdefault(subject, []).append(event_id)
    assert all(ids == order[subject] for subject, ids in firsts.items())
