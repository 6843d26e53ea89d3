"""Bad input never blocks good input (issue: a NUL character in one decision used to fail the group commit on
PostgreSQL, so the inbox rescanned the file forever and every request sharing the commit got 503).

What holds: text the journal cannot store is refused at decoding with its field path; an event the database still
refuses is isolated from its batch (the batch is split until it is alone) and dead-lettered with the database's
reason while the rest commits; an event a partner's encoder cannot render is dead-lettered at once and the demand's
later events still go; one bad record's dead letter keeps that record, not the whole message.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError

from contracts import DecisionCal
from hub import Connector, PartnerRole, RawMessage
from hub.core.ingest import Ingestor
from hub.core.isolation import append_isolating
from hub.core.journal import Journal
from hub.core.plugins import PluginHost
from hub.core.routing import AccessPolicy
from hub.core.runtime import Hub
from hub.gateway import create_app
from hub.testing import make_connector
from hub.testing.samples import make_event
from tests.factories import decision, decisions_document, write_decisions
from tests.sdk.conftest import with_connectors

PLUGINS = ["bailleurs", "habisoft"]
KEY = "k-poison"


def _hub(settings, **connectors):
    return Hub(with_connectors(settings, **connectors) if connectors else settings, PluginHost.load(allow=PLUGINS))


def test_a_nul_in_one_decision_rejects_that_decision_only_and_the_inbox_flows(hub_settings):
    inbox = hub_settings.home / "inbox" / "bailleurs"
    good, poisoned = decision(), decision(decision="non_attribution", motif="dossier\u0000incomplet")
    write_decisions(inbox, "a-poisoned.json", [good, poisoned])
    write_decisions(inbox, "b-behind.json", [decision()])
    with _hub(hub_settings) as hub:
        summary = hub.run_once()
        report = summary.ingested["bailleurs"]
        assert (report.journaled, report.rejected) == (2, 1)
        assert summary.delivered["habisoft"] == 2
        [dead] = hub.journal.dead_letters()
        assert dead["field"] == "data.motif" and "NUL" in dead["reason"]
        # refused after decoding: the file is kept (once fixed, retrying it journals only that decision)
        assert poisoned in json.loads(dead["payload"])["decisions"]
        assert not list(inbox.glob("*.json"))                            # both files acknowledged
        assert hub.run_once().ingested == {}                             # nothing rescanned


def test_a_lone_surrogate_in_one_decision_id_rejects_that_decision_only(hub_settings, tmp_path):
    body = json.dumps(decisions_document([decision(id="OK-1"), decision(id="BAD-\ud800"), decision(id="OK-2")]))
    path = hub_settings.home / "inbox" / "bailleurs" / "surrogate.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(body.encode())          # ASCII JSON: the surrogate travels as \ud800
    with _hub(hub_settings) as hub:
        report = hub.run_once().ingested["bailleurs"]
        assert (report.journaled, report.rejected) == (2, 1)
        [dead] = hub.journal.dead_letters()
        assert "sourcemessageid" in dead["reason"] or "decisions[1]" in (dead["field"] or "")


def test_one_record_one_small_dead_letter(hub_settings):
    """5,000 bad records of one body used to store 5,000 copies of the body (75 MB for 15 KB)."""
    bad = [decision(decision="attribution_rang") for _ in range(200)]          # rang missing
    body = json.dumps(decisions_document(bad + [decision()])).encode()
    with _hub(hub_settings) as hub:
        report = hub.ingestor.ingest(hub.connectors["bailleurs"], [RawMessage.from_bytes(body, origin="big.json")])
        assert (report.journaled, report.rejected) == (1, 200)
        sizes = [len(d["payload"]) for d in hub.journal.dead_letters()]
        assert max(sizes) < 1000 < len(body) and sum(sizes) < 2 * len(body)


class _Emitter(Connector):
    """Emits one decision per line of the message; a line may carry a subject longer than the journal's column."""

    name = "emitter"
    role = PartnerRole.BAILLEUR
    emits = ("decision_cal.*",)

    def decode(self, raw: RawMessage):
        for number, line in enumerate(raw.body.decode().splitlines()):
            data = DecisionCal(numero_unique="0631126000001G6301", rpls="6300054321", commune="63430",
                               date_commission=date(2026, 11, 20), decision="attribution")
            yield make_event(data, source=self.name, subject=line, sourcemessageid=f"{raw.origin}:{number}",
                             id=f"{raw.origin}-{number}")


@pytest.mark.postgres
def test_postgresql_refusing_one_event_does_not_fail_its_batch(pg_schema_url, tmp_path):
    """A subject over the column's 32 characters: PostgreSQL refuses it (SQLite would not), inside a batch of 40."""
    emitter = make_connector(_Emitter, home=tmp_path)
    journal = Journal(pg_schema_url)
    try:
        ingestor = Ingestor(journal, AccessPolicy())
        lines = [f"0631126{n:07d}G6301" for n in range(40)]
        lines[17] = "X" * 40
        report = ingestor.ingest(emitter, [RawMessage.from_bytes("\n".join(lines).encode(), origin="batch")])
        assert (report.journaled, report.rejected) == (39, 1)
        [refused] = report.refused
        assert "value too long" in refused["reason"]
        [dead] = journal.dead_letters()
        assert dead["id"] == refused["dead_letter_id"] and dead["event_type"] == "decision_cal.v1"
        assert journal.count_events() == 39
    finally:
        journal.close()


class _RefusesMarked(Journal):
    """A journal whose database refuses any batch holding an event about ``POISON`` (as PostgreSQL refuses NUL)."""

    POISON = "0631126000999G6301"
    calls = 0

    def append(self, batch, snapshots_seen=(), **options):
        type(self).calls += 1
        if any(e.subject == self.POISON for e in batch):
            raise DataError("INSERT", {}, ValueError("cannot store this"))
        return super().append(batch, snapshots_seen, **options)


def test_a_refused_event_is_split_out_in_a_few_transactions(tmp_path):
    journal = _RefusesMarked(f"sqlite:///{tmp_path / 'j.sqlite3'}")
    try:
        data = DecisionCal(numero_unique="0631126000001G6301", rpls="6300054321", commune="63430",
                           date_commission=date(2026, 11, 20), decision="attribution")
        events = [make_event(data, source="b", subject=f"0631126{n:07d}G6301", id=f"e{n}") for n in range(64)]
        events[40] = make_event(data, source="b", subject=_RefusesMarked.POISON, id="poison")
        result, poisoned = append_isolating(journal, events)
        assert [p.envelope.id for p in poisoned] == ["poison"] and "cannot store this" in poisoned[0].reason
        assert len(result.inserted) == 63
        assert [e.id for _, e in result.inserted] == [e.id for e in events if e.id != "poison"]   # order kept
        assert _RefusesMarked.calls <= 1 + 2 * 7                     # log2(64) levels, two halves each
    finally:
        journal.close()


def test_when_every_event_fails_alone_the_database_is_the_cause_and_nothing_is_dead_lettered(tmp_path):
    class Broken(Journal):
        def append(self, batch, snapshots_seen=(), **options):
            raise DataError("INSERT", {}, ValueError("disk says no"))

    journal = Broken(f"sqlite:///{tmp_path / 'j.sqlite3'}")
    try:
        data = DecisionCal(numero_unique="0631126000001G6301", rpls="6300054321", commune="63430",
                           date_commission=date(2026, 11, 20), decision="attribution")
        with pytest.raises(DataError):
            append_isolating(journal, [make_event(data, source="b", id=f"e{n}") for n in range(4)])
    finally:
        journal.close()


def test_the_gateway_answers_each_request_of_a_shared_commit_for_itself(hub_settings):
    """A NUL in one request's decision: that request gets 400 with the field path, the others 202."""
    with _hub(hub_settings, bailleurs={"api_keys": [KEY]}) as hub, TestClient(create_app(hub)) as client:
        def post(decisions):
            return client.post("/v1/inbound/bailleurs", headers={"X-Relais-Api-Key": KEY},
                               content=json.dumps(decisions_document(decisions)).encode())
        answers = [post([decision()]) for _ in range(3)]
        poisoned = post([decision(decision="non_attribution", motif="a\u0000b")])
        answers += [post([decision()]) for _ in range(3)]
    assert [a.status_code for a in answers] == [202] * 6
    assert poisoned.status_code == 400
    assert poisoned.json()["rejected"][0]["problems"][0]["field"].endswith("motif")


def test_an_event_the_partners_format_cannot_carry_is_dead_lettered_at_once_and_later_events_go(hub_settings):
    """XML 1.0 cannot carry U+0001: the Habisoft encoder refuses it. It used to be retried 8 times as transient,
    holding back the demand's later events."""
    numero = "0631126000555G6301"
    inbox = hub_settings.home / "inbox" / "bailleurs"
    write_decisions(inbox, "1.json", [decision(numero_unique=numero, decision="non_attribution", motif="a\u0001b")])
    write_decisions(inbox, "2.json", [decision(numero_unique=numero)])
    with _hub(hub_settings) as hub:
        summary = hub.run_once()
        assert summary.ingested["bailleurs"].journaled == 2
        assert summary.delivered["habisoft"] == 1
        assert hub.journal.delivery_counts() == {("habisoft", "delivered"): 1, ("habisoft", "unrenderable"): 1}
        [dead] = hub.journal.dead_letters()
        assert dead["direction"] == "outbound" and "cannot render" in dead["reason"]
        assert len(json.loads(dead["attempts"])) == 1                    # no retry


@pytest.mark.postgres
def test_requests_sharing_a_commit_are_answered_each_for_itself_when_postgresql_refuses_one(pg_schema_url,
                                                                                              tmp_path):
    """The gateway's group commit holds 20 requests; PostgreSQL refuses an event of one of them. That request is
    answered with the refusal, the 19 others are journaled (they used to get 503 together)."""
    from hub.gateway.commit import DecodedMessage, InboundCommitter

    emitter = make_connector(_Emitter, home=tmp_path)
    journal = Journal(pg_schema_url)
    try:
        ingestor = Ingestor(journal, AccessPolicy())
        batch = []
        for n in range(20):
            subject = "Y" * 40 if n == 13 else f"0631127{n:07d}G6301"
            raw = RawMessage.from_bytes(subject.encode(), origin=f"request-{n}")
            events, rejections = ingestor.decode(emitter, raw)
            batch.append(DecodedMessage(raw, events, rejections))
        InboundCommitter(ingestor, batch_size=100)._commit(batch)
        outcomes = [m.done.result(timeout=5) for m in batch]
        assert [len(o.journaled) for o in outcomes] == [1] * 13 + [0] + [1] * 6
        assert len(outcomes[13].rejected) == 1 and "value too long" in outcomes[13].rejected[0]["reason"]
        assert outcomes[13].rejected[0]["dead_letter_id"] == journal.dead_letters()[0]["id"]
        assert journal.count_events() == 19
    finally:
        journal.close()


def test_an_instant_out_of_range_in_utc_is_the_events_fault_not_the_journals():
    """Found by the gateway's schemathesis test: a commission "on 0001-01-01" (Europe/Paris) cannot be converted
    to UTC; it must be isolated and dead-lettered (400), not answered 503 as if the journal were away."""
    from sqlalchemy.exc import StatementError

    from hub.core.isolation import is_data_error
    assert is_data_error(StatementError("bind", "INSERT", {}, OverflowError("date value out of range")))
