"""SQLite: a processor's batch handled before its transaction (hub.core.processor_worker, "Handled before the
claim"), so that the journal's one writer's turn is not held while the processor computes — with the same result as
a handling inside the transaction, and that way taken again whenever the early handling could differ from it."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.engine import make_url

from contracts.events import ContingentsEligibles
from hub import Processor, hookimpl
from hub.core.journal_schema import DeliveryStatus as S
from hub.core.journal_schema import deliveries, events, timers
from hub.core.plugins import PluginHost
from hub.core.processor_worker import _NotAsHandled
from hub.core.runtime import Hub
from hub.core.stores.sqlite_gate import gated_connection_class
from tests.factories import decision, write_decisions
from tests.processors.conftest import NOW, step_batches

meta = MetaData()
lignes = Table("avance_lignes", meta, Column("event_id", String(64), primary_key=True),
               Column("numero_unique", String(32), nullable=False), Column("rang", Integer))
_ECRIRE = lignes.insert()
_COMPTER = select(func.count()).select_from(lignes)


class Avance(Processor):
    """Writes one row per decision with ``ctx.write``, sets a timer and derives one event; with ``lit``, it first
    reads how many rows there are — and swallows any error doing so (a processor may catch everything)."""

    name = "avance"
    subscriptions = ("decision_cal.*",)
    emits = ("contingents_eligibles.*",)
    tables = meta
    lit = False
    gate_held: list[bool] = []     # whether the journal's writer gate was taken while ``process`` ran
    gate = None

    def process(self, event, ctx):
        nu = event.data.numero_unique
        if Avance.gate is not None:
            Avance.gate_held.append(Avance.gate.locked())
        rang = None
        if self.lit:
            try:
                rang = ctx.conn.execute(_COMPTER).scalar()
            except Exception:
                rang = -1
        ctx.write(_ECRIRE, {"event_id": event.id, "numero_unique": nu, "rang": rang})
        ctx.schedule(f"relance:{nu}", ctx.now + timedelta(days=30), {"nu": nu})
        return [ContingentsEligibles(numero_unique=nu, contingents=(), date_evaluation=ctx.now.date())]


class _Plugin:
    @hookimpl
    def relais_register_connectors(self, register):
        register(Avance)


@pytest.fixture
def embedded(tmp_path):
    from hub.settings import HubSettings
    return HubSettings(home=tmp_path / "home", seed_examples=False, batch_wait=0.02,
                       namespace=f"t{uuid.uuid4().hex[:10]}")


@pytest.fixture
def make_hub():
    made: list[Hub] = []

    def make(settings, *, lit: bool = False) -> Hub:
        Avance.lit = lit
        Avance.gate_held = []
        Avance.gate = None
        host = PluginHost.load(allow=["bailleurs"], extra=[])
        host.register(_Plugin(), name="avance-plugin")
        made.append(Hub(settings, host, clock=lambda: NOW))
        return made[-1]
    yield make
    Avance.lit = False
    Avance.gate = None


def _gate(hub: Hub):
    return gated_connection_class(str(make_url(str(hub.journal.engine.url)).database), 60).gate


def _state(hub: Hub) -> dict:
    """What the batch left, by demand (the inputs' ids differ from one hub to another)."""
    with hub.journal.engine.connect() as conn:
        ids = dict(conn.execute(select(events.c.id, events.c.subject)).all())
        written = sorted((nu, rang) for nu, rang in conn.execute(select(lignes.c.numero_unique, lignes.c.rang)))
        derived = sorted((ids[json.loads(body)["causationid"]], depth, json.loads(body)["data"]["date_evaluation"])
                         for body, depth in conn.execute(select(events.c.body, events.c.depth)
                                                         .where(events.c.source == "avance")))
        timed = sorted((key, subject, due.isoformat()) for key, subject, due in conn.execute(
            select(timers.c.key, timers.c.subject, timers.c.due_at).where(timers.c.processor == "avance")))
    return {"written": written, "derived": derived, "timers": timed,
            "delivered": hub.journal.delivery_counts("avance")}


def _journal(hub: Hub, n: int) -> list[int]:
    """Journal ``n`` decisions after the start (nothing a dead process may have held) and return the processor's
    delivery seqs."""
    write_decisions(hub.settings.home / "inbox" / "bailleurs", "cal.json", [decision() for _ in range(n)])
    hub.start()
    hub.inbox.scan()
    with hub.journal.engine.connect() as conn:
        return sorted(conn.execute(select(deliveries.c.seq).where(deliveries.c.subscriber == "avance")).scalars())


def test_the_processor_computes_while_the_journal_s_writers_may_write(embedded, make_hub):
    write_decisions(embedded.home / "inbox" / "bailleurs", "cal.json", [decision() for _ in range(5)])
    with make_hub(embedded) as hub:
        Avance.gate = _gate(hub)
        assert step_batches(hub, "avance", 5, "commit", lambda _conn: True) == 5   # still one commit per batch
        assert Avance.gate_held == [False] * 5
        assert hub.workers["avance"]._detaching


def test_handled_before_the_claim_or_inside_the_transaction_the_result_is_the_same(tmp_path, make_hub):
    from hub.settings import HubSettings
    decisions = [decision() for _ in range(6)]
    states = []
    for detaching in (True, False):
        settings = HubSettings(home=tmp_path / f"home-{detaching}", seed_examples=False, batch_wait=0.02,
                               namespace=f"t{uuid.uuid4().hex[:10]}")
        write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", decisions)
        with make_hub(settings) as hub:
            hub.start()
            hub.workers["avance"]._detaching = detaching
            Avance.gate = _gate(hub)
            assert hub.run_once().delivered["avance"] == 6
            states.append(_state(hub))
            assert Avance.gate_held == [not detaching] * 6
    assert states[0] == states[1]
    assert len(states[0]["written"]) == len(states[0]["derived"]) == len(states[0]["timers"]) == 6


def test_a_processor_that_reads_is_handled_inside_the_transaction_even_if_it_swallows_the_error(hub_settings,
                                                                                                make_hub):
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [decision() for _ in range(6)])
    with make_hub(hub_settings, lit=True) as hub:
        assert hub.run_once().delivered["avance"] == 6
        state = _state(hub)
    # each event read the rows of every event handled before it: never the early handling's -1
    assert sorted(rang for _nu, rang in state["written"]) == list(range(6))
    assert len(state["derived"]) == len(state["timers"]) == 6


def test_inputs_read_but_taken_meanwhile_by_another_worker_leave_nothing_of_their_early_handling(embedded,
                                                                                                 make_hub):
    with make_hub(embedded) as hub:
        seqs = _journal(hub, 3)
        worker = hub.workers["avance"]
        detached = worker._handle_detached(seqs)
        assert sorted(detached.handled) == seqs
        other = hub.journal.claim("avance", [seqs[1]])         # another worker takes one of them meanwhile
        outcomes, _next = worker._commit_detached(seqs, detached)
        assert sorted(o.seq for o in outcomes) == [seqs[0], seqs[2]]
        state = _state(hub)
        assert len(state["written"]) == len(state["derived"]) == len(state["timers"]) == 2
        assert seqs[1] not in {o.seq for o in outcomes} and other[0].seq == seqs[1]


def test_a_claim_taking_an_input_not_handled_before_it_is_rolled_back_and_handled_inside(embedded, make_hub):
    with make_hub(embedded) as hub:
        seqs = _journal(hub, 3)
        worker = hub.workers["avance"]
        detached = worker._handle_detached(seqs[:2])
        with pytest.raises(_NotAsHandled):
            worker._commit_detached(seqs, detached)
        assert hub.journal.delivery_counts("avance") == {("avance", S.PENDING): 3}   # nothing claimed, nothing kept
        assert _state(hub)["written"] == []
        outcomes, _next = worker._commit_claiming(seqs, True)
        assert sorted(o.seq for o in outcomes if o.status == S.DELIVERED) == seqs
        assert len(_state(hub)["written"]) == 3


def test_the_early_handling_waits_for_the_processor_s_timers_to_have_fired(embedded, make_hub):
    """``process`` handled before the claim and ``on_timer`` in the timer thread never run at once."""
    with make_hub(embedded) as hub:
        seqs = _journal(hub, 2)
        turn = hub.projections.turn("avance")
        assert turn is hub.projections.turn("avance")
        seen: list[bool] = []
        original = Avance.process

        def process(self, event, ctx):
            seen.append(turn.locked())
            return original(self, event, ctx)
        Avance.process = process
        try:
            detached = hub.workers["avance"]._handle_detached(seqs)
        finally:
            Avance.process = original
        assert seen == [True, True] and not turn.locked() and sorted(detached.handled) == seqs
