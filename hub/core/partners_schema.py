"""The tables of the partner registry and of the audit trail, on the journal's ``metadata`` (same database).

Why in the journal's database: the audit trail and the identities it names must be as durable as the events they
explain, and an operator restores them together. Kept in a module of their own so that a versioned migration
(Alembic) can be written for exactly these tables.

* ``partners`` — one row per partner: a legal entity (SIREN, name) with a role, the connector it speaks through
  (several landlords share ``bailleurs``), its territory (INSEE communes, JSON list), the event types it may emit
  (JSON list of topic patterns; NULL: what its connector declares), and whether it is revoked.
* ``partner_keys`` — API keys: the public key id, a salted scrypt hash of the whole key (never the key), when it
  was made, when it expires (rotation: old and new both valid until then) and when it was revoked.
* ``partner_certificates`` — client certificate subjects (mutual TLS) that identify a partner.
* ``partner_stock`` — a landlord's dwellings (RPLS identifiers): when known, it decides only on those.
* ``partner_channels`` — how a partner receives its events, if it does (docs/partners.md, "Receiving events"):
  ``webhook`` (URL, signing secret, requests in flight), ``outbox`` (a directory) or ``pull`` (the gateway's pull
  API); its subscriptions (JSON list of topic patterns; NULL: its connector's, else every event its access rules
  let it see). The signing secret is stored as given: the hub must sign with it, so it cannot keep only a hash.
* ``audit`` — append-only: every inbound call (accepted or refused, with the key id and why), every refusal of the
  access policy, every read or export of nominative data by an operator or a partner.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from hub.core.journal_schema import SeqType, UtcDateTime, metadata

__all__ = ["partners", "partner_keys", "partner_certificates", "partner_stock", "partner_channels", "audit",
           "PartnerStatus"]


class PartnerStatus:
    ACTIVE = "active"
    REVOKED = "revoked"     # every key refused; the row stays: audit rows and journaled events name it


partners = Table(
    "partners", metadata,
    Column("id", String(64), primary_key=True),           # the operator's name for it, e.g. "bailleur-ophis"
    Column("siren", String(9), nullable=False),
    Column("nom", String(200), nullable=False),
    Column("role", String(20), nullable=False),           # hub.core.roles.PartnerRole
    Column("connector", String(64), nullable=False),
    Column("communes", Text, nullable=False),             # JSON list of INSEE codes (the territory)
    Column("emits", Text),                                # JSON list of type patterns; NULL: the connector's
    Column("status", String(12), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_partners_connector", "connector"),
)

partner_keys = Table(
    "partner_keys", metadata,
    Column("key_id", String(32), primary_key=True),       # public: the middle of rk_<key_id>_<secret>
    Column("partner", String(64), nullable=False),
    Column("hash", String(300), nullable=False),          # scrypt$n$r$p$salt$digest (base64)
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime()),                  # NULL: until rotated or revoked
    Column("revoked_at", UtcDateTime()),
    Index("ix_partner_keys_partner", "partner"),
)

partner_certificates = Table(
    "partner_certificates", metadata,
    Column("subject", String(500), primary_key=True),     # RFC 4514 subject of the client certificate
    Column("partner", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

partner_stock = Table(
    "partner_stock", metadata,
    Column("partner", String(64), primary_key=True),
    Column("rpls", String(10), primary_key=True),
    Column("imported_at", UtcDateTime(), nullable=False),
)

partner_channels = Table(
    "partner_channels", metadata,
    Column("partner", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),            # webhook | outbox | pull
    Column("url", String(2000)),                          # webhook: where events are POSTed
    Column("secret", String(200)),                        # webhook: the HMAC-SHA256 signing secret
    Column("directory", String(1000)),                    # outbox: absolute path
    Column("concurrency", Integer, nullable=False),       # webhook: requests in flight at most
    Column("subscriptions", Text),                        # JSON list of topic patterns; NULL: the default
    Column("updated_at", UtcDateTime(), nullable=False),
)

audit = Table(
    "audit", metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("kind", String(24), nullable=False),           # inbound | policy | read | reveal | admin
    Column("actor", String(200), nullable=False),         # partner id, or operator:NAME
    Column("key_id", String(32)),                         # the credential used (inbound)
    Column("outcome", String(12), nullable=False),        # accepted | refused | allowed | denied | done
    Column("action", String(100), nullable=False),        # e.g. POST /v1/inbound/bailleurs, history, dead show
    Column("target", String(300)),                        # numéro unique, event id, dead letter id, partner id
    Column("reason", Text),                               # why refused; the operator's reason for a reveal
    Index("ix_audit_at", "at"),
    Index("ix_audit_actor", "actor", "at"),
)
