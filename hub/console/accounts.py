"""The console's people: accounts tied to a registry partner and a role, their passwords, sessions and lockout.

Why server-side sessions: an operator can end them (disable an account, reset a password) and they expire when
idle, which a self-contained cookie cannot promise. The cookie carries a random id; the table keeps only its
SHA-256, so a copy of the database opens no session. Passwords are hashed with argon2id (``argon2-cffi``).

The lockout counts failed sign-ins per claimed identity and per client address over a window: past
``max_failures`` in ``window``, sign-in is refused (even with the right password) until the oldest failure leaves
the window. Every time comes from the injected clock (the hub's), so tests move time instead of waiting.

What a failed sign-in keeps of what was typed (the failures table, the audit trail): the account's e-mail when it
names a known account, else never the text itself — anyone's address, a typo, a password typed in the wrong field —
but a keyed hash of it (:meth:`AccountStore.claimed`), the same for the same text so that repeated tries are counted
and show in the trail. An unknown address and a wrong password get the same answer, locked out alike: no oracle of
which accounts exist.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, insert, select, update

from hub.core.console_schema import (
    console_login_failures,
    console_sessions,
    console_users,
)
from hub.core.private import write_private

__all__ = ["MIN_PASSWORD", "ROLES", "AccountError", "AccountStore", "Person", "SignInRefused", "normalise_email",
           "login_key", "LOGIN_KEY_FILE", "UNKNOWN"]

ROLES = ("operator", "reader")
MIN_PASSWORD = 12
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,185}\.[A-Za-z]{2,24}$")
_HASHER = PasswordHasher()
#: compared against when the e-mail is unknown, so that the answer's timing does not tell which accounts exist
_DUMMY = _HASHER.hash("relais-console-no-such-account")
#: the key of the hashes standing for what was typed at a refused sign-in naming no account, in the hub's home
LOGIN_KEY_FILE = "console-login.key"
#: how such a sign-in is named (``inconnu:`` and 24 hex digits of the keyed hash)
UNKNOWN = "inconnu:"


class AccountError(ValueError):
    """A wrong argument to an account operation: the message names the field and the fix."""


class SignInRefused(Exception):
    """Sign-in refused; ``message`` is what the person reads (French), ``locked`` when it is the lockout."""

    def __init__(self, message: str, locked: bool = False, actor: str = "person:?"):
        super().__init__(message)
        self.message = message
        self.locked = locked
        #: who the sign-in claimed to be, as the audit trail may keep it (:meth:`AccountStore.claimed`)
        self.actor = actor


@dataclass(frozen=True)
class Person:
    """A signed-in person: who (e-mail), for which registry partner, with which role, and their session."""
    email: str
    partner: str
    role: str
    session: str = ""
    csrf: str = ""

    @property
    def actor(self) -> str:
        """How the audit trail names them."""
        return f"person:{self.email}@{self.partner}"

    @property
    def operator(self) -> bool:
        return self.role == "operator"


def normalise_email(email: str) -> str:
    """Lower-cased and checked; at most 120 characters, so that ``person:EMAIL@PARTNER`` fits the audit trail."""
    email = (email or "").strip().lower()
    if len(email) > 120:
        raise AccountError("e-mail: at most 120 characters")
    if not _EMAIL.match(email):
        raise AccountError(f"e-mail {email!r}: give an address like prenom.nom@organisme.fr")
    return email


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def login_key(home: Path) -> bytes:
    """The console's key for hashing unknown sign-in names: ``HOME/console-login.key``, 32 random bytes made
    owner-only on first use. Why a file and not the journal: a copy of the database alone must not let anyone test
    guessed addresses against the hashes. Several hub hosts on one journal share it by copying the file (else each
    counts an unknown name's failures on its own; the client address's lockout is shared either way)."""
    path = home / LOGIN_KEY_FILE
    if not path.exists():
        fresh = home / f".{LOGIN_KEY_FILE}.{secrets.token_hex(4)}.part"
        write_private(fresh, secrets.token_bytes(32))
        try:
            os.link(fresh, path)   # atomic, and never over the key another process has just made
        except FileExistsError:
            pass
        finally:
            fresh.unlink()
    key = path.read_bytes()
    if len(key) < 32:
        raise ValueError(f"{path}: the console's login key is damaged (under 32 bytes); delete it, a new one is "
                         "made at the next start")
    return key


class AccountStore:
    """Accounts, sessions and failed sign-ins on the journal's engine."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime], *, idle: timedelta = timedelta(minutes=30),
                 max_failures: int = 5, window: timedelta = timedelta(minutes=15), key: bytes | None = None):
        self.engine = engine
        self.clock = clock
        self.idle = idle
        self.max_failures = max_failures
        self.window = window
        #: keys the hashes of unknown sign-in names (:func:`login_key`); without one, this store's own
        self._key = key or secrets.token_bytes(32)

    # --- accounts (the CLI) -------------------------------------------------------------------------------------
    def add(self, email: str, partner: str, role: str, password: str) -> str:
        email = normalise_email(email)
        if role not in ROLES:
            raise AccountError(f"role {role!r}: one of {', '.join(ROLES)}")
        _check_password(password)
        now = self.clock()
        with self.engine.begin() as conn:
            if conn.execute(select(console_users.c.email).where(console_users.c.email == email)).first():
                raise AccountError(f"e-mail {email}: an account already exists (reset its password with "
                                   "`relais console users reset-password`)")
            conn.execute(insert(console_users).values(email=email, partner=partner, role=role, status="active",
                                                      password_hash=_HASHER.hash(password), created_at=now,
                                                      updated_at=now))
        return email

    def list(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(
                select(console_users.c.email, console_users.c.partner, console_users.c.role, console_users.c.status,
                       console_users.c.created_at).order_by(console_users.c.email)).mappings()]

    def get(self, email: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(console_users).where(console_users.c.email == email.strip().lower())).first()
        return dict(row._mapping) if row else None

    def disable(self, email: str) -> None:
        """The account can no longer sign in, and its open sessions end now."""
        self._change(email, status="disabled")

    def reset_password(self, email: str, password: str) -> None:
        """A new password; every open session of the account ends (whoever had it is signed out)."""
        _check_password(password)
        self._change(email, password_hash=_HASHER.hash(password))

    def _change(self, email: str, **values: str) -> None:
        email = email.strip().lower()
        now = self.clock()
        with self.engine.begin() as conn:
            done = conn.execute(update(console_users).where(console_users.c.email == email)
                                .values(**values, updated_at=now)).rowcount
            if not done:
                raise LookupError(f"no console account {email!r} (see `relais console users list`)")
            conn.execute(update(console_sessions).where(console_sessions.c.email == email,
                                                        console_sessions.c.ended_at.is_(None)).values(ended_at=now))

    # --- sign-in ------------------------------------------------------------------------------------------------
    def claimed(self, typed: str) -> tuple[dict | None, str]:
        """Who a sign-in claims to be: the account (None when the text names none) and the name its failures are
        counted and audited by — the account's e-mail, else ``inconnu:`` and a keyed hash of the text, never the
        text itself."""
        typed = (typed or "").strip().lower()[:254]
        account = self.get(typed) if typed else None
        if account is not None:
            return account, account["email"]
        return None, UNKNOWN + hmac.new(self._key, typed.encode("utf-8", "surrogatepass"), "sha256").hexdigest()[:24]

    def failures(self, name: str, client: str) -> tuple[int, int]:
        """Failed sign-ins in the window: for this claimed name (:meth:`claimed`), from this client."""
        since = self.clock() - self.window
        f = console_login_failures
        with self.engine.connect() as conn:
            by_email = conn.execute(select(func.count()).where(f.c.email == name, f.c.at >= since)).scalar_one()
            by_client = conn.execute(select(func.count()).where(f.c.client == client, f.c.at >= since)).scalar_one()
        return int(by_email), int(by_client)

    def sign_in(self, email: str, password: str, client: str) -> tuple[Person, str]:
        """The person and a new session id (for the cookie); raises :class:`SignInRefused`, the same for an unknown
        address as for a wrong password."""
        client = (client or "unknown")[:64]
        self._forget_old()
        account, name = self.claimed(email)
        actor = f"person:{name}@{account['partner']}" if account is not None else f"person:{name}"
        by_email, by_client = self.failures(name, client)
        if by_email >= self.max_failures or by_client >= self.max_failures:
            minutes = int(self.window.total_seconds() // 60)
            raise SignInRefused(f"Trop de tentatives de connexion échouées : compte ou poste bloqué pendant "
                                f"{minutes} minutes. Réessayez plus tard ou demandez à l'administrateur.", locked=True,
                                actor=actor)
        ok = False
        try:
            ok = _HASHER.verify(account["password_hash"] if account else _DUMMY, password or "")
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or account is None or account["status"] != "active":
            with self.engine.begin() as conn:
                conn.execute(insert(console_login_failures).values(email=name, client=client, at=self.clock()))
            raise SignInRefused("Adresse électronique ou mot de passe incorrect (ou compte désactivé).", actor=actor)
        email = account["email"]
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(delete(console_login_failures).where(console_login_failures.c.email == email))
            conn.execute(insert(console_sessions).values(id=_digest(session_id), email=email, csrf=csrf,
                                                         created_at=now, last_seen_at=now))
        return Person(email, account["partner"], account["role"], _digest(session_id), csrf), session_id

    def _forget_old(self) -> None:
        """Failures older than the window count for nothing, and sessions unused for a week are over: both are
        dropped, so that the tables stay the size of the present (the audit trail keeps every sign-in)."""
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(delete(console_login_failures).where(console_login_failures.c.at < now - self.window))
            conn.execute(delete(console_sessions).where(console_sessions.c.last_seen_at < now - timedelta(days=7)))

    def person(self, session_id: str | None) -> Person | None:
        """The person of a live session (and the session's last use moved to now), or None: unknown, ended,
        idle past ``idle``, or its account disabled."""
        if not session_id or len(session_id) > 128:
            return None
        digest = _digest(session_id)
        now = self.clock()
        s, u = console_sessions, console_users
        with self.engine.begin() as conn:
            row = conn.execute(select(s.c.email, s.c.csrf, s.c.last_seen_at, s.c.ended_at, u.c.partner, u.c.role,
                                      u.c.status).join(u, u.c.email == s.c.email).where(s.c.id == digest)).first()
            if row is None or row.ended_at is not None or row.status != "active":
                return None
            if now - row.last_seen_at > self.idle:
                conn.execute(update(s).where(s.c.id == digest).values(ended_at=now))
                return None
            conn.execute(update(s).where(s.c.id == digest).values(last_seen_at=now))
        return Person(row.email, row.partner, row.role, digest, row.csrf)

    def sign_out(self, person: Person) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(console_sessions).where(console_sessions.c.id == person.session)
                         .values(ended_at=self.clock()))


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters (a passphrase of several words is best)")
    if len(password) > 1024:
        raise AccountError("password: at most 1024 characters")
