"""The console's account store alone (an embedded journal, no hub): hashing, lockout windows, idle expiry and the
tables staying the size of the present."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from hub.console.accounts import LOGIN_KEY_FILE, AccountError, AccountStore, SignInRefused, login_key
from hub.core.console_schema import console_login_failures, console_sessions
from hub.core.journal import Journal

PASSWORD = "a long enough passphrase"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def store(tmp_path):
    journal = Journal(f"sqlite:///{tmp_path / 'journal.sqlite3'}")
    clock = Clock()
    accounts = AccountStore(journal.engine, clock)
    accounts.add("a@b.fr", "ophis", "reader", PASSWORD)
    yield accounts, clock, journal.engine
    journal.close()


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_wrong_arguments_name_the_field(store):
    accounts, _, _ = store
    with pytest.raises(AccountError, match="role 'admin': one of operator, reader"):
        accounts.add("c@b.fr", "ophis", "admin", PASSWORD)
    with pytest.raises(AccountError, match="password: at least 12 characters"):
        accounts.add("c@b.fr", "ophis", "reader", "short")
    with pytest.raises(AccountError, match="e-mail: at most 120 characters"):
        accounts.add("c" * 120 + "@b.fr", "ophis", "reader", PASSWORD)


def test_the_lockout_counts_only_the_window_and_old_failures_are_forgotten(store):
    accounts, clock, engine = store
    for _ in range(4):
        with pytest.raises(SignInRefused):
            accounts.sign_in("a@b.fr", "wrong password", "10.0.0.1")
        clock.now += timedelta(minutes=4)             # 4 failures spread over 16 minutes
    accounts.sign_in("a@b.fr", PASSWORD, "10.0.0.1")  # the first left the window: 3 count, not locked
    for _ in range(5):
        with pytest.raises(SignInRefused):
            accounts.sign_in("a@b.fr", "wrong password", "10.0.0.2")
    with pytest.raises(SignInRefused) as locked:
        accounts.sign_in("a@b.fr", PASSWORD, "10.0.0.3")  # locked by the account, whatever the address
    assert locked.value.locked
    clock.now += timedelta(minutes=15, seconds=1)
    accounts.sign_in("a@b.fr", PASSWORD, "10.0.0.3")
    assert _count(engine, console_login_failures) == 0


def test_sessions_expire_when_idle_and_are_dropped_after_a_week(store):
    accounts, clock, engine = store
    _, session = accounts.sign_in("a@b.fr", PASSWORD, "x")
    clock.now += timedelta(minutes=29)
    assert accounts.person(session).email == "a@b.fr"
    clock.now += timedelta(minutes=30, seconds=1)
    assert accounts.person(session) is None
    assert accounts.person("forged") is None and accounts.person("x" * 10_000) is None
    clock.now += timedelta(days=8)
    accounts.sign_in("a@b.fr", PASSWORD, "x")
    assert _count(engine, console_sessions) == 1       # only the new one


def test_an_unknown_name_is_counted_and_locked_like_an_account_without_its_text_being_kept(store):
    """Failures from five addresses lock a name, known or not, with the same answer; the failures table holds the
    account's e-mail, or for an unknown name a keyed hash of it — never the typed text."""
    accounts, _clock, engine = store
    answers = {}
    for name in ("a@b.fr", "Someone.Else@b.fr"):
        for i in range(5):
            with pytest.raises(SignInRefused) as refused:
                accounts.sign_in(name, "wrong password", f"10.0.{len(answers)}.{i}")
            assert not refused.value.locked
        with pytest.raises(SignInRefused) as locked:
            accounts.sign_in(name, PASSWORD, "10.1.1.1")
        answers[name] = (locked.value.locked, locked.value.message, refused.value.message)
    assert answers["a@b.fr"] == answers["Someone.Else@b.fr"] and answers["a@b.fr"][0]
    with engine.connect() as conn:
        kept = {r for (r,) in conn.execute(select(console_login_failures.c.email))}
    assert "a@b.fr" in kept and len(kept) == 2 and not any("someone" in k for k in kept)
    assert refused.value.actor == f"person:{(kept - {'a@b.fr'}).pop()}"
    assert locked.value.actor.startswith("person:inconnu:")


def test_the_login_key_is_made_once_owner_only_and_keeps_an_unknown_names_hash_across_restarts(store, tmp_path):
    accounts, clock, engine = store
    key = login_key(tmp_path)
    assert login_key(tmp_path) == key and len(key) == 32
    assert (tmp_path / LOGIN_KEY_FILE).stat().st_mode & 0o777 == 0o600
    same = AccountStore(engine, clock, key=login_key(tmp_path))
    other = AccountStore(engine, clock)
    name = AccountStore(engine, clock, key=key).claimed("x@y.fr")[1]
    assert same.claimed(" X@y.fr ")[1] == name != other.claimed("x@y.fr")[1]
    assert accounts.claimed("A@b.fr")[1] == "a@b.fr"    # a known account: its e-mail
