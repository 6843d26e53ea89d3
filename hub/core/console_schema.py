"""The tables of the web console's people (issue 19), on the journal's ``metadata`` (same database, revision 0009).

Why in the journal's database: an account names the registry partner it acts for, and the audit trail names the
account; an operator backs up and restores them together.

* ``console_users`` — one row per person: e-mail (the login), the registry partner they work for, their role
  (``operator`` or ``reader``), an argon2 hash of their password (never the password), whether they are disabled.
* ``console_sessions`` — server-side sessions: a random id (the cookie holds it, signed), the account, the CSRF
  token of the session, when it was last used (idle expiry) and when it was ended.
* ``console_login_failures`` — failed sign-ins, by e-mail and by client address, for the lockout (N in a window).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from hub.core.journal_schema import SeqType, UtcDateTime, metadata

__all__ = ["console_login_failures", "console_sessions", "console_users"]

console_users = Table(
    "console_users", metadata,
    Column("email", String(254), primary_key=True),       # lower-cased
    Column("partner", String(64), nullable=False),         # a partners.id
    Column("role", String(12), nullable=False),            # operator | reader
    Column("password_hash", String(300), nullable=False),  # argon2id, PHC string
    Column("status", String(12), nullable=False),          # active | disabled
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

console_sessions = Table(
    "console_sessions", metadata,
    Column("id", String(64), primary_key=True),            # random, 256 bits, URL-safe
    Column("email", String(254), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime()),
    Index("ix_console_sessions_email", "email"),
)

console_login_failures = Table(
    "console_login_failures", metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False),
    Column("client", String(64), nullable=False),          # the client's address
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_console_failures_email", "email", "at"),
    Index("ix_console_failures_client", "client", "at"),
)
