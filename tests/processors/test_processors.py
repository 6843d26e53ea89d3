"""The processor path: derived events journaled with their delivery outcome, once, with their cause."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from hub.core.errors import ConfigurationError, RejectError
from hub.core.journal_schema import DeliveryStatus as S
from hub.core.journal_schema import deliveries, events
from hub.core.processing import MAX_CAUSATION_DEPTH, ProcessContext, derived_id, wrap_derived
from tests.factories import decision as any_decision
from tests.factories import write_decisions
from tests.processors.conftest import NOW, rows, step_batches, with_sections
from tests.processors.plugin import Contingents, compte


def decision(**overrides):
    """A decision of the hub's today: its 30-day timer is not due yet."""
    return any_decision(**{"date_commission": NOW.date().isoformat(), **overrides})


def _derived(hub, event_type="contingents_eligibles.v1"):
    with hub.journal.engine.connect() as conn:
        return [(r.id, r.depth, json.loads(r.body)) for r in conn.execute(
            select(events.c.id, events.c.depth, events.c.body).where(events.c.type == event_type)
            .order_by(events.c.seq))]


def test_a_processor_derives_events_that_carry_their_cause(hub_settings, make_hub):
    decisions = [decision(), decision(), decision()]
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", decisions)
    with make_hub(hub_settings) as hub:
        summary = hub.run_once()
        assert summary.delivered["contingents"] == 3
        journaled = {h["id"]: h for h in hub.journal.history(decisions[0]["numero_unique"])}
        [cause] = [e for e in journaled.values() if e["type"] == "decision_cal.v1"]
        derived = _derived(hub)
        assert len(derived) == 3
        mine = [d for d in derived if d[2]["causationid"] == cause["id"]]
        assert len(mine) == 1
        event_id, depth, body = mine[0]
        assert event_id == derived_id("contingents", cause["id"], 0)   # the same input derives the same id
        assert body["source"] == "contingents" and body["correlationid"] == cause["id"]
        assert body["entity"]["siren"] == cause["entity_siren"]      # no entity configured: the cause's
        assert body["subject"] == decisions[0]["numero_unique"]
        assert body["data"]["date_evaluation"] == NOW.date().isoformat()   # the hub's clock, injected
        assert depth == 1
        # the derived events are routed like any other: the dossier processor got them too
        assert hub.journal.delivery_counts("dossier")[("dossier", S.DELIVERED)] == 6


def test_a_redelivered_input_derives_nothing_twice(hub_settings, make_hub):
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [decision(), decision()])
    with make_hub(hub_settings) as hub:
        hub.run_once()
        before = (_derived(hub), rows(hub, compte))
        with hub.journal.engine.connect() as conn:
            seqs = [s for (s,) in conn.execute(select(deliveries.c.seq).where(deliveries.c.subscriber == "contingents"))]
        worker = hub.workers["contingents"]
        worker.dispatch(seqs)          # the bus brings the same messages again (a crash before the acknowledgement)
        for _ in range(5):
            worker.step(wait=0.2)
        assert (_derived(hub), rows(hub, compte)) == before


def test_the_configured_entity_answers_for_derived_events(hub_settings, make_hub):
    settings = with_sections(hub_settings, contingents={"entity": {"siren": "200071363", "nom": "CC Thiers Dore et Montagne"}})
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [decision()])
    with make_hub(settings) as hub:
        hub.run_once()
        [(_id, _depth, body)] = _derived(hub)
        assert body["entity"] == {"siren": "200071363", "nom": "CC Thiers Dore et Montagne"}


def test_one_failing_input_is_retried_alone_and_the_rest_of_its_batch_commits(hub_settings, make_hub):
    bad, good = decision(), [decision(), decision()]
    settings = with_sections(hub_settings, contingents={"fail_on": bad["numero_unique"]})
    settings = settings.model_copy(update={"retry": settings.retry.model_copy(update={"max_attempts": 2,
                                                                                       "base_delay": 0.01})})
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [good[0], bad, good[1]])
    with make_hub(settings) as hub:
        deadline = time.monotonic() + 30
        while not hub.journal.dead_letters(connector="contingents") and time.monotonic() < deadline:
            hub.run_once()      # on RabbitMQ the retry comes back through a delay queue
            time.sleep(0.1)
        subjects = {b["subject"] for _i, _d, b in _derived(hub)}
        assert subjects == {g["numero_unique"] for g in good}
        assert {r[0] for r in rows(hub, compte)} == subjects      # its projection writes were rolled back too
        dead = hub.journal.dead_letters(connector="contingents")
        assert len(dead) == 1 and "simulated failure" in dead[0]["reason"]
        assert hub.journal.delivery_counts("contingents")[("contingents", S.DEAD)] == 1


def test_processors_feeding_each_other_are_refused_at_start_with_both_names(hub_settings, make_hub):
    settings = with_sections(hub_settings, boucle_a={"enabled": True}, boucle_b={"enabled": True})
    with pytest.raises(ConfigurationError) as err:
        make_hub(settings)
    message = str(err.value)
    assert "boucle_a" in message and "boucle_b" in message and "cycle" in message
    assert "decision_cal.v1" in message and "contingents_eligibles.v1" in message


def _context(hub, processor):
    with hub.journal.engine.connect() as conn:
        return ProcessContext(conn, processor, NOW)


def test_an_undeclared_type_or_a_chain_too_deep_is_refused(hub_settings, make_hub):
    from contracts.events import ContingentsEligibles
    with make_hub(hub_settings) as hub:
        processor: Contingents = hub.connectors["contingents"]
        ctx = _context(hub, processor)
        payload = ContingentsEligibles(numero_unique=decision()["numero_unique"], contingents=(),
                                       date_evaluation=NOW.date())
        ctx.cause = None
        with pytest.raises(RejectError, match="causation depth"):
            wrap_derived(ctx, [payload], "x", MAX_CAUSATION_DEPTH + 1)
        processor.emits = ("decision_dalo.*",)
        try:
            with pytest.raises(RejectError, match="may not emit 'contingents_eligibles.v1'"):
                wrap_derived(ctx, [payload], "x", 1)
        finally:
            del processor.emits


def test_a_batch_is_claimed_handled_and_recorded_in_one_commit(hub_settings, make_hub):
    """One transaction per batch (claim, processing, outcomes, the next events of the settled demands), not a claim
    committed first: the claim of a processor need not outlive the transaction that records its outcome."""
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [decision() for _ in range(5)])
    with make_hub(hub_settings) as hub:
        assert step_batches(hub, "contingents", 5, "commit", lambda _conn: True) == 5
        assert len(_derived(hub)) == 5
