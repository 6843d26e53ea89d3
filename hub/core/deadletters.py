"""Operator actions on the dead-letter store: retry (after fixing the cause) and discard.

Inbound dead letters are decoded again from their kept bytes (or from a corrected file), as if just received — as
the partner who sent them when one did (its entity stamped, its ids scoped, its scopes checked); the journal's
idempotency makes the records that had gone through harmless. Outbound dead letters put the delivery
back to pending with a fresh retry budget, flagged for dispatch; a running hub's sweep picks it up within a second.
Discarding an outbound one settles its delivery, which frees the later events of the same demand it was holding
back (they are flagged for dispatch too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.core.connector import RawMessage
from hub.core.journal_schema import DeliveryStatus as S
from hub.core.partners import origin_partner

__all__ = ["DeadLetterOps", "RetryOutcome"]


@dataclass
class RetryOutcome:
    retried: list[int] = field(default_factory=list)
    still_failing: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


class DeadLetterOps:
    def __init__(self, hub: Any):
        self.hub = hub
        self.journal = hub.journal

    def retry(self, items: list[dict[str, Any]], replacement: bytes | None = None) -> RetryOutcome:
        outcome = RetryOutcome()
        for item in items:
            if item["status"] != "open":
                outcome.skipped.append((item["id"], f"already {item['status']}"))
                continue
            connector = self.hub.subscribers.get(item["connector"])   # a connector, or partner.<id>
            if connector is None:
                outcome.skipped.append((item["id"], f"connector {item['connector']!r} is not loaded"))
                continue
            if item["direction"] == "outbound":
                self.journal.requeue(connector.name, [item["event_seq"]])
                self.journal.set_dead_letter_status([item["id"]], "retried")
                outcome.retried.append(item["id"])
                continue
            body = replacement if replacement is not None else (item["payload"] or b"")
            raw = RawMessage.from_bytes(body, origin=f"dead-letter:{item['id']}:{item['origin'] or ''}")
            partner_id = origin_partner(item["origin"])
            partner = self.hub.partners.get(partner_id) if partner_id else None
            if partner_id and partner is None:
                outcome.skipped.append((item["id"], f"partner {partner_id!r} who sent it is not in the registry"))
                continue
            events, rejections = self.hub.ingestor.decode(connector, raw, partner=partner)
            if rejections:
                outcome.still_failing.append((item["id"], "; ".join(str(r.error) for r in rejections)))
                continue
            report = self.hub.ingestor.commit(events, [], keep_conflicts=False)
            if report.conflicts:   # still a changed resend: say so, file nothing new
                fields = sorted({f for c in report.conflicts for f in c["fields"]})
                outcome.still_failing.append((item["id"], "already journaled with different content ("
                                              + ", ".join(fields) + "); send the correction under a new id"))
                continue
            self.journal.set_dead_letter_status([item["id"]], "retried")
            outcome.retried.append(item["id"])
        return outcome

    def discard(self, items: list[dict[str, Any]]) -> list[int]:
        """Give up on these; an outbound one stops blocking later events of the same demand."""
        ids = []
        for item in items:
            if item["status"] != "open":
                continue
            if item["direction"] == "outbound" and item["event_seq"] is not None:
                self.journal.set_status(item["connector"], [item["event_seq"]], S.DISCARDED)
            ids.append(item["id"])
        self.journal.set_dead_letter_status(ids, "discarded")
        return ids
