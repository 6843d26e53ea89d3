"""The events a process journaled, handed to its own workers without being parsed again (hub.core.fresh): each
held until every subscriber it was routed to took it, the whole bounded, and only while the hub's workers run."""

from __future__ import annotations


from hub.core.fresh import FreshEvents
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.core.storable import journal_text
from hub.testing.samples import make_event
from tests.contracts.contracts_factories import exemple
from tests.factories import decision, write_decisions
from tests.running import Keeping, KeepingPlugin, run_until


def _events(n: int) -> list:
    return [make_event(exemple("decision_cal.v1"), source="bailleurs", id=f"e-{i}") for i in range(n)]


def _enabled(**kw) -> FreshEvents:
    fresh = FreshEvents(**kw)
    fresh.enabled = True
    return fresh


def test_an_event_is_held_until_each_of_its_subscribers_took_it():
    fresh = _enabled()
    a, b = _events(2)
    fresh.add([(1, a), (2, b)], {1: 2, 2: 0})   # b went to nobody (or only to subscribers it is denied to)
    assert len(fresh) == 1
    assert fresh.take(1) is a and len(fresh) == 1
    assert fresh.take(1) is a and len(fresh) == 0
    assert fresh.take(1) is None and fresh.take(2) is None   # read from the journal then


def test_a_peek_counts_no_take_and_a_batch_s_takes_count_once_each():
    """A processor's worker reads its batch before claiming it: only the events it then claimed count as taken."""
    fresh = _enabled()
    a, b = _events(2)
    fresh.add([(1, a), (2, b)], {1: 2, 2: 1})
    assert fresh.peek(1) is a and fresh.peek(2) is b and fresh.peek(3) is None
    assert len(fresh) == 2, "a peek takes nothing"
    fresh.taken([1, 2, 3])
    assert len(fresh) == 1 and fresh.take(2) is None, "b's only subscriber took it"
    assert fresh.take(1) is a and len(fresh) == 0


def test_nothing_is_held_while_disabled():
    fresh = FreshEvents()
    fresh.add([(1, _events(1)[0])], {1: 1})
    assert len(fresh) == 0 and fresh.take(1) is None


def test_the_journaled_text_bounds_what_is_held_and_only_old_entries_make_room():
    events = _events(3)
    size = len(journal_text(events[0]))
    fresh = _enabled(budget=2 * size + size // 2, max_age=60.0)
    fresh.add(list(enumerate(events)), {0: 1, 1: 1, 2: 1})
    assert len(fresh) == 2 and fresh.take(2) is None, "over budget, the newest is not held"
    old = _enabled(budget=2 * size + size // 2, max_age=0.0)
    old.add(list(enumerate(events)), {0: 1, 1: 1, 2: 1})
    assert len(old) == 2 and old.take(0) is None and old.take(2) is events[2], "an entry past max_age makes room"


def test_a_running_hub_hands_its_workers_the_journaled_objects_and_holds_nothing_once_stopped(hub_settings):
    Keeping.reset()
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [decision() for _ in range(3)])
    host = PluginHost.load(allow=["bailleurs"], extra=[])
    host.register(KeepingPlugin(), name="keeping")
    journaled: list = []
    with Hub(hub_settings, host) as hub:
        add = hub.fresh.add
        hub.fresh.add = lambda inserted, takers: (journaled.extend(e for _, e in inserted), add(inserted, takers))
        assert run_until(hub, Keeping.done), "the decisions were not delivered"
        assert len(hub.fresh) == 0 and not hub.fresh.enabled
    assert len(journaled) == 3
    assert {id(e) for e, _ in Keeping.received} == {id(e) for e in journaled}, "the very objects, not parsed again"
    for event, body in Keeping.received:
        assert body == journal_text(event).encode()
