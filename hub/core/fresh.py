"""Events this process has just journaled, handed to its own delivery workers as the validated objects they are.

Why: every subscriber's worker read each event back from its journaled JSON and validated it again — a decision
≈ 18 µs, a demand ≈ 150 µs, per subscriber (py-spy, embedded: the largest share of a delivery thread, twice that
with a processor subscribed). The object the ingestor journaled is that same event: frozen (it cannot change after
its text was journaled), already checked, of the current contract version. A worker takes it when the event comes
from this process and is still held; otherwise — another process journaled it, a retry, a replay, after a restart
— it reads the journal as before. Nothing is decided from this map: it only spares a parse.

What is held is bounded: an entry goes once every subscriber it was routed to took it, and the whole is capped by
the journaled text's size (``budget``); when full, entries older than ``max_age`` seconds (their subscriber's
worker runs elsewhere, or is far behind) make room, else the new events are not held (their workers parse them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from contracts import Envelope
from hub.core.storable import journal_text

__all__ = ["FreshEvents"]


class FreshEvents:
    def __init__(self, budget: int = 4 * 1024 * 1024, max_age: float = 5.0):
        self.budget = budget           # characters of journaled JSON held at most (the objects weigh ~5-6 ×)
        self.max_age = max_age
        self.enabled = False           # on while the hub's workers run in this process (``Hub.run``)
        self._held: dict[int, list[Any]] = {}   # seq → [event, takers left, size, when added]
        self._size = 0
        self._lock = threading.Lock()

    def add(self, inserted: Iterable[tuple[int, Envelope[Any]]], takers: Mapping[int, int]) -> None:
        """Hold the events just committed (seq, event), each until its ``takers[seq]`` subscribers took it."""
        if not self.enabled:
            return
        now = time.monotonic()
        with self._lock:
            for seq, event in inserted:
                count = takers.get(seq, 0)
                size = len(journal_text(event)) if count > 0 else 0
                if count <= 0 or (self._size + size > self.budget and not self._make_room(size, now)):
                    continue
                self._held[seq] = [event, count, size, now]
                self._size += size

    def take(self, seq: int) -> Envelope[Any] | None:
        """The event journaled under ``seq`` if this process holds it, else None (read it from the journal)."""
        entry = self._held.get(seq)
        if entry is None:
            return None
        with self._lock:
            entry[1] -= 1
            if entry[1] <= 0 and self._held.pop(seq, None) is not None:
                self._size -= entry[2]
        return entry[0]

    def peek(self, seq: int) -> Envelope[Any] | None:
        """The event journaled under ``seq`` if held, without counting a take: a processor's worker reads its
        batch before claiming it (:mod:`hub.core.processor_worker`), and only what it then claimed was taken
        (:meth:`taken`); an event it read but did not claim stays held for whoever handles it."""
        entry = self._held.get(seq)
        return entry[0] if entry is not None else None

    def taken(self, seqs: Iterable[int]) -> None:
        """Count one take of each of ``seqs`` (read with :meth:`peek`), under one acquisition of the lock."""
        with self._lock:
            for seq in seqs:
                entry = self._held.get(seq)
                if entry is None:
                    continue
                entry[1] -= 1
                if entry[1] <= 0:
                    del self._held[seq]
                    self._size -= entry[2]

    def clear(self) -> None:
        with self._lock:
            self._held.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._held)

    def _make_room(self, size: int, now: float) -> bool:
        """Drop the oldest entries older than ``max_age`` until ``size`` fits (caller holds the lock)."""
        while self._held and self._size + size > self.budget:
            seq, entry = next(iter(self._held.items()))
            if now - entry[3] < self.max_age:
                return False
            del self._held[seq]
            self._size -= entry[2]
        return self._size + size <= self.budget
