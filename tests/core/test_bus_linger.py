"""A consumer's batch does not keep waiting while messages trickle in: once its oldest message has waited ``LINGER``,
only what has already arrived is added (at a steady rate the batch in hand used to wait for every message that
followed less than ``IDLE`` apart). A flood still fills the batch, and nothing is dropped or reordered."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from hub.core import bus as bus_module
from hub.core.bus import IDLE, LINGER, Bus


class Clock:
    def __init__(self):
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


class Arrivals:
    """A connection whose messages arrive at given instants of the fake clock."""

    def __init__(self, reader, clock: Clock, times: list[float]):
        self.reader, self.clock = reader, clock
        self.pending = [(clock.now + t, n) for n, t in enumerate(times)]
        self.connected = True

    def drain_events(self, timeout: float) -> None:
        if self.pending and self.pending[0][0] <= self.clock.now + timeout:
            at, n = self.pending.pop(0)
            self.clock.now = max(self.clock.now, at)
            self.reader._on_message(SimpleNamespace(headers={"seq": n}))
            return
        self.clock.now += timeout
        raise socket.timeout()


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(bus_module, "time", clock)
    return clock


def _reader(clock: Clock, times: list[float]):
    reader = Bus("memory://", namespace="t").consumer("partner", ["#"], prefetch=1000)
    reader.conn = Arrivals(reader, clock, times)
    return reader


def _seqs(batch) -> list[int]:
    return [m.headers["seq"] for m in batch]


def test_a_trickle_closes_the_batch_once_its_oldest_message_has_lingered(clock: Clock) -> None:
    gap = IDLE / 2   # each message follows the previous well within IDLE: without the bound, one batch of 100
    reader = _reader(clock, [i * gap for i in range(100)])
    first = reader.next_batch(500, wait=1.0)
    assert 1 < len(first) <= LINGER / gap + 2
    taken = _seqs(first)
    while len(taken) < 100:
        taken += _seqs(reader.next_batch(500, wait=1.0))
    assert taken == list(range(100))   # nothing lost, nothing reordered


def test_a_flood_still_fills_the_batch(clock: Clock) -> None:
    reader = _reader(clock, [0.0] * 600)
    first = reader.next_batch(500, wait=1.0)
    assert _seqs(first) == list(range(500))
    assert _seqs(reader.next_batch(500, wait=1.0)) == list(range(500, 600))


def test_messages_a_moment_apart_still_make_one_batch(clock: Clock) -> None:
    reader = _reader(clock, [i * IDLE / 4 for i in range(10)])   # all within LINGER of the first
    assert _seqs(reader.next_batch(500, wait=1.0)) == list(range(10))
