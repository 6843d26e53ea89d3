"""The flow page's figures: per connector, events received and where its deliveries are (pending, retrying,
delivered, dead…), the rates over the last hour and day, the last errors, and the health of the bus and journal.

Read-only queries on the journal's tables (the same rows as ``relais deliveries`` and ``relais event``); counts and
error texts only, never an event's body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hub.core.journal_schema import DeliveryStatus, deliveries, events
from hub.core.stores.common import attempt_list

__all__ = ["STATUS_LABELS", "FlowReport", "flow_report", "health"]

ZONE = ZoneInfo("Europe/Paris")
STATUS_LABELS = {DeliveryStatus.PENDING: "en attente", DeliveryStatus.RETRYING: "nouvel essai prévu",
                 DeliveryStatus.DELIVERED: "livrés", DeliveryStatus.DEAD: "en lettre morte",
                 "delivering": "en cours", "discarded": "abandonnés", "denied": "refusés (règles d'accès)",
                 "unrenderable": "non convertibles"}


@dataclass
class FlowReport:
    connectors: list[str]
    received: dict[str, int] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    hours: list[str] = field(default_factory=list)
    received_per_hour: list[int] = field(default_factory=list)
    delivered_per_hour: list[int] = field(default_factory=list)
    last_hour: dict[str, int] = field(default_factory=dict)
    last_day: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)


def flow_report(hub: Any, connectors: list[str], now: datetime) -> FlowReport:
    """The figures for these connectors (the person's scope) as of ``now`` (the hub's clock)."""
    report = FlowReport(connectors=connectors)
    if not connectors:
        return report
    hour_ago = now - timedelta(hours=1)
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    slots = [start + timedelta(hours=i) for i in range(24)]
    report.hours = [f"{s.astimezone(ZONE):%Hh}" for s in slots]
    received_slots, delivered_slots = [0] * 24, [0] * 24
    with hub.journal.engine.connect() as conn:
        for source, n in conn.execute(select(events.c.source, func.count()).where(events.c.source.in_(connectors))
                                      .group_by(events.c.source)):
            report.received[source] = n
        for sub, status, n in conn.execute(select(deliveries.c.subscriber, deliveries.c.status, func.count())
                                           .where(deliveries.c.subscriber.in_(connectors))
                                           .group_by(deliveries.c.subscriber, deliveries.c.status)):
            report.counts.setdefault(sub, {})[status] = n
        for (at,) in conn.execute(select(events.c.recorded_at).where(events.c.source.in_(connectors),
                                                                     events.c.recorded_at >= start,
                                                                     events.c.recorded_at <= now)):
            _count(received_slots, start, at)
            report.last_day["received"] = report.last_day.get("received", 0) + 1
            if at >= hour_ago:
                report.last_hour["received"] = report.last_hour.get("received", 0) + 1
        for (at,) in conn.execute(select(deliveries.c.updated_at).where(
                deliveries.c.subscriber.in_(connectors), deliveries.c.status == DeliveryStatus.DELIVERED,
                deliveries.c.updated_at >= start, deliveries.c.updated_at <= now)):
            _count(delivered_slots, start, at)
            report.last_day["delivered"] = report.last_day.get("delivered", 0) + 1
            if at >= hour_ago:
                report.last_hour["delivered"] = report.last_hour.get("delivered", 0) + 1
        failing = conn.execute(select(deliveries.c.subscriber, deliveries.c.seq, deliveries.c.status,
                                      deliveries.c.attempts, deliveries.c.last_error, deliveries.c.updated_at)
                               .where(deliveries.c.subscriber.in_(connectors), deliveries.c.last_error.is_not(None),
                                      deliveries.c.status.in_((DeliveryStatus.RETRYING, DeliveryStatus.DEAD)))
                               .order_by(deliveries.c.updated_at.desc()).limit(10))
        for row in failing:
            attempts = attempt_list(row.last_error)
            report.errors.append({"connector": row.subscriber, "seq": row.seq,
                                  "status": STATUS_LABELS.get(row.status, row.status), "attempts": row.attempts,
                                  "at": row.updated_at, "error": str(attempts[-1].get("error", "?"))[:300]
                                  if attempts else "?"})
    report.received_per_hour, report.delivered_per_hour = received_slots, delivered_slots
    return report


def _count(slots: list[int], start: datetime, at: datetime) -> None:
    if at.tzinfo is None:   # SQLite hands back naive UTC when the column type was bypassed
        at = at.replace(tzinfo=start.tzinfo)
    index = int((at - start).total_seconds() // 3600)
    if 0 <= index < len(slots):   # a stamp from a clock ahead of ``now`` is left out
        slots[index] += 1


def health(hub: Any) -> dict[str, tuple[bool, str]]:
    """Whether the journal and the bus answer now, in words for the page."""
    out: dict[str, tuple[bool, str]] = {}
    try:
        out["journal"] = (True, f"répond ; {hub.journal.outbox_size()} événement(s) en attente de publication")
    except Exception as exc:  # noqa: BLE001  the page's whole point is to say so
        out["journal"] = (False, f"ne répond pas ({type(exc).__name__})")
    try:
        with hub.bus.connect() as conn:
            conn.ensure_connection(max_retries=1)
        out["bus"] = (True, "joignable (" + ("RabbitMQ" if hub.bus.is_amqp else "en mémoire, dans le processus")
                      + ")")
    except Exception as exc:  # noqa: BLE001  idem
        out["bus"] = (False, f"injoignable ({type(exc).__name__})")
    return out
