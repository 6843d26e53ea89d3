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
        """Keep rejected inbound messages/records (one transaction); the id of each, an existing one for a repeat."""
        ids: list[int] = []
        used: dict[str, int] = {}
        with self.engine.begin() as conn:
            for item in items:
                digest = payload_digest(item)
                repeat = conn.execute(select(dead_letters.c.id).where(
                    dead_letters.c.connector == item["connector"], dead_letters.c.digest == digest,
                    dead_letters.c.direction == "inbound", dead_letters.c.status == "open")
                    .order_by(dead_letters.c.id).limit(1)).scalar()
                if repeat is not None:
                    conn.execute(update(dead_letters).where(dead_letters.c.id == repeat).values(
                        occurrences=func.coalesce(dead_letters.c.occurrences, 1) + 1, last_seen_at=now,
                        updated_at=now))
                    ids.append(repeat)
                    continue
                row = self._within_quota(conn, dict(item), used)
                res = conn.execute(dead_letters.insert().values(
                    direction="inbound", status="open", created_at=now, updated_at=now, last_seen_at=now,
                    occurrences=1, digest=digest, payload_bytes=len(item.get("payload") or b""), **row))
                ids.append(res.inserted_primary_key[0])
        return ids

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
