"""The collector's policy of a long run: ``Hub.run`` and a bulk import freeze the long-lived heap and space the
young collections while they run, and leave the process as they found it (tests/core/test_bulk_stream.py checks
the import's side)."""

from __future__ import annotations

import gc
import threading

from hub import Connector, PartnerRole, hookimpl
from hub.core.gc_policy import LONG_RUN_GC_THRESHOLD, long_run_heap
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.settings import HubSettings
from tests.factories import decision, write_decisions
from tests.running import run_until


def test_the_policy_holds_inside_the_block_only():
    before = gc.get_threshold()
    with long_run_heap():
        assert gc.get_threshold() == (LONG_RUN_GC_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_process_that_froze_objects_itself_keeps_its_own_policy():
    before = gc.get_threshold()
    gc.freeze()
    try:
        with long_run_heap():
            assert gc.get_threshold() == before
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


class _Watching(Connector):
    """Notes the collector's policy at each delivery."""

    name = "watching"
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)
    seen: list[tuple[tuple[int, ...], bool]] = []
    delivered = threading.Event()

    def deliver(self, event, message) -> None:
        self.seen.append((gc.get_threshold(), gc.get_freeze_count() > 0))
        self.delivered.set()


class _Plugin:
    @hookimpl
    def relais_register_connectors(self, register):
        register(_Watching)


def test_the_hub_spaces_collections_while_it_runs_and_restores_them_when_it_stops(tmp_path):
    before = gc.get_threshold()
    write_decisions(tmp_path / "home" / "inbox" / "bailleurs", "cal.json", [decision()])
    host = PluginHost.load(allow=["bailleurs"], extra=[])
    host.register(_Plugin(), name="watching")
    with Hub(HubSettings(home=tmp_path / "home", seed_examples=False), host) as hub:
        assert run_until(hub, _Watching.delivered), "the decision was not delivered"
    assert _Watching.seen[0] == ((LONG_RUN_GC_THRESHOLD, *before[1:]), True)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
