"""What an authenticated partner may say: in whose name, about which dwellings, which event types — and the
identity the hub stamps on what it says.

Why in the core: the gateway authenticates, but every input path that knows its partner (the gateway today, a
partner's inbox tomorrow) must apply the same rules, in the ingest pipeline, before anything is journaled:

* the legal entity of the event is the partner's; a payload naming another SIREN is refused, naming the field;
* a landlord whose stock is known decides only on its own dwellings (``rpls``);
* the partner emits only the types of its scope (its own ``emits``, else its connector's);
* the ids the journal deduplicates on (``sourcemessageid``, and the event id, which a connector may derive from
  payload values) are scoped by the partner, so that no partner can occupy another's (an id squatted first used to
  make the victim's real decision a "duplicate").
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from contracts import Envelope
from hub.core.errors import ErrorLocation, ScopeRefused
from hub.core.partners import Partner
from hub.core.topics import topic_matches

__all__ = ["apply_partner_scope", "scoped_message_id", "scoped_event_id"]

#: Namespace of the event ids made partner-scoped (uuid5 of partner id and the connector's id).
_EVENT_IDS = uuid.UUID("6f1d8a52-2f4e-4d0e-9a57-5e0b7c1c7a11")
_SMID_MAX = 300


def scoped_message_id(partner: Partner, sourcemessageid: str | None) -> str | None:
    if sourcemessageid is None:
        return None
    scoped = f"{partner.id}/{sourcemessageid}"
    if len(scoped) > _SMID_MAX:
        scoped = f"{partner.id}/sha256:{hashlib.sha256(sourcemessageid.encode()).hexdigest()}"
    return scoped


def scoped_event_id(partner: Partner, event_id: str) -> str:
    """Deterministic (a resend keeps its id, so it is still absorbed) and different for every partner."""
    return str(uuid.uuid5(_EVENT_IDS, f"{partner.id}\x00{event_id}"))


def apply_partner_scope(partner: Partner, connector_emits: tuple[str, ...], item: Envelope[Any],
                        loc: ErrorLocation, role_emits: tuple[str, ...] | None = None) -> Envelope[Any] | ScopeRefused:
    """The event as the partner may send it (its entity stamped, its ids scoped), or why it may not.

    The types it may emit: its registration's ``emits``, else its role's (``role_emits``, from the access rules'
    ``[emits]`` table), else its connector's — and never beyond its connector's (checked before this)."""
    def refused(reason: str, field: str | None) -> ScopeRefused:
        return ScopeRefused(reason, location=ErrorLocation(file=loc.file, line=loc.line, record=loc.record,
                                                           field=field))

    emits = partner.emits if partner.emits is not None else role_emits if role_emits is not None \
        else connector_emits
    if not topic_matches(emits, item.type):
        return refused(f"type: partner {partner.id!r} may not emit {item.type!r} (its scope: {', '.join(emits)}); "
                       "ask the hub's operator to widen it if this is your role", "type")
    if partner.entity is not None and item.entity.siren != partner.entity.siren:
        return refused(f"entity.siren: the message speaks for SIREN {item.entity.siren} but the key authenticates "
                       f"partner {partner.id!r} (SIREN {partner.entity.siren}); a partner sends only in its own name "
                       "— use that legal entity's own key", "entity.siren")
    rpls = getattr(item.data, "rpls", None)
    if partner.stock is not None and rpls is not None and rpls not in partner.stock:
        return refused(f"rpls: dwelling {rpls} is not in partner {partner.id!r}'s stock ({len(partner.stock)} "
                       "dwellings known); a landlord decides only on its own dwellings — if it is yours, have the "
                       "operator import your stock again (relais partners stock import)", "rpls")
    update: dict[str, Any] = {}
    if not partner.legacy:   # a connector's own keys: one partner per connector, its ids already scoped by source
        update = {"id": scoped_event_id(partner, item.id),
                  "sourcemessageid": scoped_message_id(partner, item.sourcemessageid)}
    if partner.entity is not None:
        update["entity"] = partner.entity
    return item.model_copy(update=update) if update else item
