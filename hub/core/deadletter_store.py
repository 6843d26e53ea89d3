"""The inbound side of the dead-letter store: rejected input kept once, with its reason, within a quota.

Why dedupe: a partner whose client resends the same bad message every minute (or an attacker) must not fill the
journal with copies — identical rejected inputs of one connector (same digest) are kept once, with how many times
they came and when last. Why a quota: each connector's open dead letters may hold at most ``quota`` bytes of
payload; past it the reason and the location are still kept (nothing vanishes silently) but not the bytes, and an
alert is raised (log ``dead_letter_quota_reached`` and the metric ``relais_dead_letter_quota_reached_total``): the
operator fixes the partner, or discards, and the partner still has what it sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine

from hub.core import metrics
from hub.core.journal_schema import dead_letters

__all__ = ["InboundDeadLetters", "payload_digest"]

log = structlog.get_logger(__name__)

#: What a rejection row carries besides the store's own bookkeeping.
_COLUMNS = ("connector", "origin", "event_type", "line", "field", "reason", "problems", "payload")


def payload_digest(item: dict[str, Any]) -> str:
    """What identical rejections share: the same bytes refused at the same place for the same reason (three bad rows
    of one file kept whole are three dead letters; the same file sent again adds to their counts). Input kept
    without bytes (a file refused on its size) is told apart by where it came from."""
    digest = hashlib.sha256(item.get("payload") or f"origin:{item.get('origin')}".encode())
    digest.update(f"|{item.get('line')}|{item.get('field')}|{item.get('reason')}".encode())
    return "sha256:" + digest.hexdigest()


class InboundDeadLetters:
    def __init__(self, engine: Engine, quota: Callable[[str], int | None] | None = None):
        self.engine = engine
        self.quota = quota or (lambda _connector: None)

    def add(self, items: Sequence[dict[str, Any]], now: datetime) -> list[int]:
        """Keep rejected inbound messages/records (one transaction); the id of each, an existing one for a repeat.

        Two statements whatever the batch: one finds the repeats, one inserts the new ones (a file of 20,000 bad
        records must not cost 20,000 round trips)."""
        digests = [payload_digest(item) for item in items]
        used: dict[str, int] = {}
        with self.engine.begin() as conn:
            open_repeats: dict[tuple[str, str], int] = {}
            for chunk in range(0, len(digests), 500):
                wanted = set(digests[chunk:chunk + 500])
                for row_id, connector, digest in conn.execute(
                        select(dead_letters.c.id, dead_letters.c.connector, dead_letters.c.digest).where(
                            dead_letters.c.digest.in_(wanted), dead_letters.c.direction == "inbound",
                            dead_letters.c.status == "open").order_by(dead_letters.c.id)):
                    open_repeats.setdefault((connector, digest), row_id)
            ids: list[int | None] = []
            fresh: list[tuple[int, dict[str, Any]]] = []
            counts: dict[int, int] = {}
            first_in_batch: dict[tuple[str, str], int] = {}
            for index, (item, digest) in enumerate(zip(items, digests)):
                key = (item["connector"], digest)
                if key in open_repeats:
                    counts[open_repeats[key]] = counts.get(open_repeats[key], 0) + 1
                    ids.append(open_repeats[key])
                elif key in first_in_batch:     # the same rejection twice in one batch: one row, counted twice
                    fresh[first_in_batch[key]][1]["occurrences"] += 1
                    ids.append(None)
                else:
                    first_in_batch[key] = len(fresh)
                    row = self._within_quota(conn, dict(item), used)
                    fresh.append((index, {"direction": "inbound", "status": "open", "created_at": now,
                                          "updated_at": now, "last_seen_at": now, "occurrences": 1, "digest": digest,
                                          "payload_bytes": len(item.get("payload") or b""),
                                          **{k: row.get(k) for k in _COLUMNS}}))
                    ids.append(None)
            for row_id, extra in counts.items():
                conn.execute(update(dead_letters).where(dead_letters.c.id == row_id).values(
                    occurrences=func.coalesce(dead_letters.c.occurrences, 1) + extra, last_seen_at=now,
                    updated_at=now))
            if fresh:
                new_ids = [r[0] for r in conn.execute(dead_letters.insert().returning(dead_letters.c.id,
                                                                                      sort_by_parameter_order=True),
                                                      [row for _i, row in fresh])]
                by_key = {(row["connector"], row["digest"]): new_id for (_i, row), new_id in zip(fresh, new_ids)}
                ids = [i if i is not None else by_key[(item["connector"], digest)]
                       for i, item, digest in zip(ids, items, digests)]
        return [int(i) for i in ids]  # type: ignore[arg-type]

    def _within_quota(self, conn: Connection, row: dict[str, Any], used: dict[str, int]) -> dict[str, Any]:
        connector = row["connector"]
        quota = self.quota(connector)
        size = len(row.get("payload") or b"")
        if quota is None or not size:
            return row
        if connector not in used:
            used[connector] = int(conn.execute(select(func.coalesce(func.sum(dead_letters.c.payload_bytes), 0))
                                               .where(dead_letters.c.connector == connector,
                                                      dead_letters.c.direction == "inbound",
                                                      dead_letters.c.status == "open")).scalar_one())
        if used[connector] + size <= quota:
            used[connector] += size
            return row
        metrics.DEAD_LETTER_QUOTA.labels(connector=connector).inc()
        log.error("dead_letter_quota_reached", connector=connector, quota=quota, used=used[connector])
        row["payload"] = None
        row["reason"] = (f"{row['reason']} [payload of {size} bytes not kept: connector {connector!r}'s open dead "
                         f"letters reached their quota of {quota} bytes (connectors.{connector}."
                         "dead_letter_quota_bytes); the partner still has what it sent]")
        return row
