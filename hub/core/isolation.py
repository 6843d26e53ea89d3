"""Poison isolation for group commit: one event the database refuses must not keep a whole batch out of the journal.

Why: the hub journals many events per transaction (docs/architecture.md, invariant 8). If one of them cannot be stored —
text PostgreSQL refuses, a value over a column's size — the transaction fails for all of them: the inbox would
rescan the file forever and the files behind it would never pass; through the gateway every request sharing the
commit would get 503. So a batch that fails *because of its data* is split in halves, recursively, until the
offending events are alone; those are returned with the database's reason (to be dead-lettered), the others commit.

A failure that is not about the data (connection lost, disk full, a missing table) is re-raised untouched: nothing
is acknowledged and the caller retries later. When every event fails on its own, the cause is the database, not the
events, and the original error is re-raised too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from contracts import Envelope
from hub.core.journal import AppendResult, Journal

__all__ = ["Poisoned", "append_isolating", "is_data_error"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Poisoned:
    """An event the journal cannot store, and the database's reason."""

    envelope: Envelope[Any]
    reason: str


@dataclass
class _Isolation:
    result: AppendResult = field(default_factory=AppendResult)
    poisoned: list[Poisoned] = field(default_factory=list)
    committed: int = 0      # transactions that succeeded during the split


def is_data_error(exc: BaseException) -> bool:
    """Whether a failed append was refused because of what it carried (as opposed to the database being away)."""
    if isinstance(exc, (DataError, IntegrityError)):
        return True
    if isinstance(exc, StatementError) and not isinstance(exc, DBAPIError):
        # a value the driver cannot bind; OverflowError: an instant outside the datetime range once in UTC (a
        # commission "on 0001-01-01" in Europe/Paris)
        return isinstance(exc.orig, (ValueError, TypeError, UnicodeError, OverflowError))
    return isinstance(exc, (ValueError, UnicodeError, OverflowError))


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return f"the journal cannot store this event: {type(orig).__name__}: {text[:500]}"


def append_isolating(journal: Journal, events: Sequence[Envelope[Any]],
                     snapshots_seen: Sequence[tuple[str, str, str]] = (), *,
                     outbox: bool = True) -> tuple[AppendResult, list[Poisoned]]:
    """``journal.append`` that isolates the events the database refuses (see the module docstring); ``outbox``
    as for ``EventStore.append``."""
    try:
        return journal.append(events, snapshots_seen, outbox=outbox), []
    except Exception as exc:  # classified below: data errors are split, anything else re-raised
        if not is_data_error(exc) or not events:
            raise
        first_error = exc
    state = _Isolation()
    _split(journal, list(events), list(snapshots_seen), state, outbox)
    if state.committed == 0 and len(events) > 1:
        raise first_error   # every event failed alone: the database, not the data
    log.warning("journal_batch_split", events=len(events), poisoned=len(state.poisoned))
    return state.result, state.poisoned


def _split(journal: Journal, events: list[Envelope[Any]], snapshots: list[tuple[str, str, str]],
           state: _Isolation, outbox: bool) -> None:
    try:
        result = journal.append(events, snapshots, outbox=outbox)
    except Exception as exc:  # classified below
        if not is_data_error(exc):
            raise
        if len(events) == 1:
            state.poisoned.append(Poisoned(events[0], _reason(exc)))
            return
        middle = len(events) // 2
        left, right = events[:middle], events[middle:]
        # a bulk import's fingerprints go with their record's events, so a refused record is imported again later
        left_subjects = {e.subject for e in left}
        _split(journal, left, [s for s in snapshots if s[1] in left_subjects], state, outbox)
        _split(journal, right, [s for s in snapshots if s[1] not in left_subjects], state, outbox)
        return
    state.committed += 1
    state.result.inserted += result.inserted
    state.result.duplicates += result.duplicates
    state.result.conflicts += result.conflicts
    state.result.takers.update(result.takers)
