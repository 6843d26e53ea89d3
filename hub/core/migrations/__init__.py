"""The journal's schema revisions (Alembic), shipped in the package and run on the journal's own connection.

Where they are: ``versions/`` beside this module, one file per revision, written by hand (``op.create_table`` …),
never generated at run time; ``0001`` is the schema of the release before versioned migrations, each later one what
a release changed. There is no ``env.py``: :func:`upgrade` drives Alembic's :class:`EnvironmentContext` itself, on a
connection the caller's transaction holds, so a migration and the check before it are one transaction.

Why a lock: two hub processes starting together on an empty or old PostgreSQL journal would both migrate; the loser
dies on a unique violation in PostgreSQL's catalogue (or adds a column twice). Every check-and-migrate takes the
transaction-level advisory lock 7431 first, so the second process waits, then finds the journal at head. SQLite
runs the same code, its database write lock taken first in place of the advisory lock.

A journal's state, and what opening it does (:func:`prepare`):

* empty (no table) — created at the head revision;
* behind (an older revision, or no ``alembic_version`` table but the tables of a release before migrations) —
  migrated, logging ``journal_migrated`` (from, to); with ``auto_upgrade=False`` (the ``journal_auto_upgrade``
  setting) refused with :class:`~hub.core.errors.JournalRevisionError`, to be upgraded by ``relais db upgrade``;
* ahead (a revision this release does not know: a newer release migrated it) — always refused.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import structlog
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from hub.core.errors import JournalRevisionError
from hub.core.journal_schema import metadata

__all__ = ["SCRIPT_LOCATION", "HEAD", "VERSION_TABLE", "JournalRevision", "Migration", "alembic_config", "head",
           "journal_revision", "prepare", "refuse_ahead", "upgrade"]

log = structlog.get_logger(__name__)

SCRIPT_LOCATION = Path(__file__).resolve().parent
#: The revision this release needs: the last file under ``versions/`` (a test checks they agree). Written here so that
#: opening a journal already at head — every start but the first after an upgrade — reads one row and never imports
#: Alembic (half a second at every command's start); Alembic is imported when there is something to migrate.
HEAD = "0005"
#: Where Alembic records a journal's revision.
VERSION_TABLE = "alembic_version"
#: The advisory lock every schema check-and-migrate holds on PostgreSQL (since before migrations: keep the number,
#: a release that used it may still be starting beside this one).
SCHEMA_LOCK = 7431
#: A table every journal of every release has: its presence without ``alembic_version`` marks a pre-migration one.
_FIRST_TABLE = "events"


def alembic_config():
    """The Alembic configuration of the journal: only the script location (inside the installed package)."""
    from alembic.config import Config   # imported on first need (see HEAD)

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


@cache
def _scripts():
    """Read once per process: the revisions are files of the installed package."""
    from alembic.script import ScriptDirectory   # imported on first need (see HEAD)

    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The revision this release needs."""
    return HEAD


@dataclass(frozen=True)
class JournalRevision:
    """Where a journal's schema is, against this release's ``head``.

    ``current`` is None for a journal with no ``alembic_version`` table: ``empty`` (no table at all) or created by a
    release before migrations (``pre_migrations``)."""

    current: str | None
    head: str
    empty: bool
    known: bool       # ``current`` is a revision this release ships (or None)

    @property
    def pre_migrations(self) -> bool:
        return self.current is None and not self.empty

    @property
    def ahead(self) -> bool:
        return not self.known

    @property
    def behind(self) -> bool:
        return self.known and not self.empty and self.current != self.head

    @property
    def pending(self) -> list[str]:
        """The revisions an upgrade would apply, oldest first."""
        if self.ahead or self.current == self.head:
            return []
        return [script.revision for script in reversed(list(_scripts().iterate_revisions(self.head, self.current)))]

    @property
    def label(self) -> str:
        """The journal's revision as an operator reads it."""
        if self.empty:
            return "none (empty journal)"
        if self.current is None:
            return "none (created before versioned migrations)"
        return self.current


@dataclass(frozen=True)
class Migration:
    """What one :func:`upgrade` did: ``from_revision`` None for an empty journal or one made before migrations."""

    from_revision: str | None
    to_revision: str
    created: bool      # the journal was empty

    @property
    def from_label(self) -> str:
        if self.created:
            return "none (empty journal)"
        return self.from_revision or "none (created before versioned migrations)"


def _read(conn: Connection) -> JournalRevision:
    inspector = inspect(conn)
    current = None
    if inspector.has_table(VERSION_TABLE):
        current = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    if current == HEAD:
        return JournalRevision(current=current, head=HEAD, empty=False, known=True)
    known = current is None or current in {script.revision for script in _scripts().walk_revisions()}
    return JournalRevision(current=current, head=HEAD, empty=current is None and not inspector.has_table(_FIRST_TABLE),
                           known=known)


def journal_revision(engine: Engine) -> JournalRevision:
    """The journal's revision, read without a lock and without changing anything (``relais db current``)."""
    with engine.connect() as conn:
        return _read(conn)


def refuse_ahead(state: JournalRevision) -> None:
    """Raise :class:`JournalRevisionError` for a journal a newer release migrated: this release would misread it."""
    if state.ahead:
        raise JournalRevisionError(
            f"the journal is at revision {state.current}, which this release does not know (it needs {state.head}): "
            "a newer release of relais migrated it; run that release, or restore the backup taken before its "
            "upgrade (`relais db current` shows the revisions)", current=state.current, head=state.head)


#: Alembic keeps the running migration in module-level proxies (``alembic.context``, ``alembic.op``): two threads of
#: one process must not migrate at once, whatever the database's own lock lets through.
_IN_PROCESS = threading.Lock()


def _lock(conn: Connection) -> None:
    """Hold the journal's schema lock until the transaction ends: the advisory lock on PostgreSQL; on SQLite the
    database's write lock, taken at once (``BEGIN IMMEDIATE``) rather than at the first write, so that a second
    process waits (``busy_timeout``) before reading the revision instead of failing half-way through its DDL."""
    if conn.dialect.name == "postgresql":
        # a migration of a large journal may outlast journal_statement_timeout; the processes waiting for it too
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        conn.execute(text(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})"))
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _migrate(conn: Connection, state: JournalRevision) -> Migration:
    from alembic.runtime.environment import EnvironmentContext   # imported on first need (see HEAD)

    scripts = _scripts()
    target = state.head

    def steps(revision, _context):
        return scripts._upgrade_revs(target, revision)

    with EnvironmentContext(alembic_config(), scripts, fn=steps, destination_rev=target) as environment:
        environment.configure(connection=conn, target_metadata=metadata)
        with environment.begin_transaction():   # joins the caller's transaction: the lock holds until it commits
            environment.run_migrations()
    migration = Migration(state.current, target, created=state.empty)
    log.info("journal_migrated", from_revision=migration.from_label, to_revision=target)
    return migration


def prepare(engine: Engine, *, auto_upgrade: bool = True) -> Migration | None:
    """Make the journal usable by this release, or refuse (see the module docstring); what it migrated, if anything.

    An empty journal is created even with ``auto_upgrade=False``: there is nothing in it to protect, and a first
    start must not need a separate command."""
    with _IN_PROCESS, engine.begin() as conn:
        _lock(conn)
        state = _read(conn)
        refuse_ahead(state)
        if state.current == state.head:
            return None
        if not state.empty and not auto_upgrade:
            raise JournalRevisionError(
                f"the journal is at revision {state.label}, this release needs {state.head}; run `relais db "
                "upgrade` (journal_auto_upgrade = false keeps the hub from migrating it at start)",
                current=state.current, head=state.head)
        return _migrate(conn, state)


def upgrade(engine: Engine) -> Migration | None:
    """Apply the pending revisions whatever ``journal_auto_upgrade`` says (``relais db upgrade``); None if the
    journal was at head already."""
    return prepare(engine, auto_upgrade=True)
