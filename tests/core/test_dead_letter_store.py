"""Dead letters stay proportionate to what went wrong: identical rejected inputs of a connector are kept once with a
count, each connector's open dead letters hold at most a quota of bytes (past it: reasons kept, bytes not, an alert),
and a journal created before these columns existed gains them at start with its data intact."""

from __future__ import annotations

import functools
import json

import pytest
from sqlalchemy import inspect, text
from structlog.testing import capture_logs

from hub import RawMessage
from hub.core import metrics
from hub.core.journal import Journal
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from tests.factories import decision, decisions_document
from tests.sdk.conftest import with_connectors


@functools.lru_cache(maxsize=None)
def _bad(n: int = 0) -> bytes:
    """The same bytes for the same n (the factories draw at random)."""
    return json.dumps(decisions_document([decision(decision="attribution_rang", id=f"BAD-{n}")])).encode()


def test_the_same_bad_message_sent_five_times_is_one_dead_letter_counted_five_times(hub_settings):
    with Hub(hub_settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        bailleurs = hub.connectors["bailleurs"]
        ids = {hub.ingestor.ingest(bailleurs, [RawMessage.from_bytes(_bad(), origin="again.json")]).dead_letter_ids[0]
               for _ in range(5)}
        [dead] = hub.journal.dead_letters()
        assert ids == {dead["id"]} and dead["occurrences"] == 5
        assert dead["last_seen_at"] >= dead["created_at"]
        hub.journal.set_dead_letter_status([dead["id"]], "discarded")           # once dealt with …
        hub.ingestor.ingest(bailleurs, [RawMessage.from_bytes(_bad(), origin="again.json")])
        assert len(hub.journal.dead_letters()) == 1                           # … it comes back as a new one
        other = hub.ingestor.ingest(bailleurs, [RawMessage.from_bytes(_bad(1), origin="other.json")])
        assert len(hub.journal.dead_letters()) == 2 and other.rejected == 1


def test_past_its_quota_a_connector_keeps_reasons_not_bytes_and_an_alert_is_raised(hub_settings):
    settings = with_connectors(hub_settings, bailleurs={"dead_letter_quota_bytes": int(2.5 * len(_bad()))})
    with Hub(settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub, capture_logs() as logs:
        before = metrics.DEAD_LETTER_QUOTA.labels(connector="bailleurs")._value.get()
        for n in range(4):
            hub.ingestor.ingest(hub.connectors["bailleurs"], [RawMessage.from_bytes(_bad(n), origin=f"{n}.json")])
        rows = hub.journal.dead_letters()
        assert [r["payload"] is not None for r in rows] == [True, True, False, False]
        assert all("quota" in r["reason"] and "rang: required" in r["reason"] for r in rows[2:])
        assert all(r["payload_bytes"] > 100 for r in rows)                   # what came, even when not kept
        assert metrics.DEAD_LETTER_QUOTA.labels(connector="bailleurs")._value.get() == before + 2
        assert [e["connector"] for e in logs if e["event"] == "dead_letter_quota_reached"] == ["bailleurs"] * 2


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    return request.getfixturevalue("pg_schema_url")


NEW_COLUMNS = ("digest", "occurrences", "last_seen_at", "payload_bytes")


def test_a_journal_of_the_previous_schema_gains_the_new_columns_with_its_data(journal_url):
    journal = Journal(journal_url)
    with journal.engine.begin() as conn:        # make it what release 0.1 created, with a dead letter in it
        conn.execute(text("DROP TABLE alembic_version"))     # 0.1 had no versioned migrations
        conn.execute(text("DROP INDEX ix_dead_letters_digest"))
        for column in NEW_COLUMNS:
            conn.execute(text(f"ALTER TABLE dead_letters DROP COLUMN {column}"))
        conn.execute(text("INSERT INTO dead_letters (direction, connector, reason, payload, status, created_at, "
                          "updated_at) VALUES ('inbound', 'bailleurs', 'old reason', :p, 'open', :t, :t)"),
                     {"p": b"old bytes", "t": "2026-11-20 10:00:00"})
    journal.close()
    journal = Journal(journal_url)
    try:
        with journal.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("dead_letters")}
        assert set(NEW_COLUMNS) <= columns
        [old] = journal.dead_letters()
        assert (old["reason"], old["payload"], old["occurrences"]) == ("old reason", b"old bytes", None)
        ids = journal.add_inbound_dead_letters([{"connector": "bailleurs", "origin": "x", "reason": "r",
                                                 "payload": b"new"}] * 2)
        assert ids[0] == ids[1] and len(journal.dead_letters()) == 2
    finally:
        journal.close()
