"""Any number of hub processes can start together on an empty PostgreSQL database: schema creation is serialised
(one in 18 simultaneous starts used to die on ``UniqueViolation`` in ``pg_type``)."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from hub.core.journal import Journal
from tests.conftest import PG_URL, require_postgres


@pytest.mark.postgres
def test_processes_starting_together_on_an_empty_database_all_start() -> None:
    require_postgres()
    admin = create_engine(PG_URL)
    failures: list[BaseException] = []
    try:
        for _round in range(6):
            schema = f"race_{uuid.uuid4().hex[:10]}"
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            url = f"{PG_URL}?options=-csearch_path%3D{schema}"
            barrier = threading.Barrier(6)

            def start() -> None:
                try:
                    barrier.wait(10)
                    Journal(url).close()
                except BaseException as exc:  # collected and asserted below
                    failures.append(exc)

            threads = [threading.Thread(target=start) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            with admin.connect() as conn:
                assert "events" in inspect(conn).get_table_names(schema=schema)
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        admin.dispose()
    assert failures == []
