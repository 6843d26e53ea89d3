"""``python -m hub.core.migrations``: what ``journal_schema`` declares that the revisions do not create yet.

For developers changing the journal's schema: it migrates a scratch SQLite journal to head and prints Alembic's
comparison with :data:`hub.core.journal_schema.metadata` — the operations the next revision must write (by hand,
with ``op``). Exit 1 while there is a difference (the tests fail then too: tests/core/test_journal_migrations.py).
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

import structlog
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hub.core import migrations
from hub.core.journal_schema import metadata
from hub.core.stores.engine import make_engine


def main() -> int:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'journal.sqlite3'}")
        try:
            migrations.upgrade(engine)
            with engine.connect() as conn:
                drift = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        finally:
            engine.dispose()
    if not drift:
        print(f"the revisions up to {migrations.head()} create exactly what journal_schema declares")
        return 0
    print(f"journal_schema declares what the revisions up to {migrations.head()} do not create; write a revision "
          "(docs/architecture.md, \"Changing the journal's schema\") for:")
    for difference in drift:
        print(f"  {difference}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
