"""A connector that raises, hangs or returns garbage is reported by name, its deliveries are dead-lettered, and the
other connectors keep flowing — on both backends, and with the hub's worker threads running."""

from __future__ import annotations

import threading
import time

import pytest
from structlog.testing import capture_logs

from hub import Connector, OutboundMessage, PartnerRole
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.testing import connector_plugin
from tests.factories import decision, write_decisions
from tests.sdk.conftest import commune_settings, run_until, with_connectors

HANG = threading.Event()        # set: hanging partners answer (at the end of each test)
HUNG = threading.Event()        # set by a hanging partner once it is stuck


class Subscriber(Connector):
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)


class Broken(Subscriber):
    name = "broken"

    def deliver(self, event, message):
        raise RuntimeError("partner library crashed")


class Garbage(Subscriber):
    name = "garbage"

    def encode(self, event):
        return {"not": "an OutboundMessage"}


class TextBody(Subscriber):
    name = "textbody"

    def encode(self, event):
        return OutboundMessage(body=event.model_dump_json(), filename=f"{event.id}.json")   # str, not bytes


class Slow(Subscriber):
    name = "slow"

    def deliver(self, event, message):
        HUNG.set()
        HANG.wait(60)


class ExplodesAtStart(Subscriber):
    name = "explodes"

    def __init__(self, settings, context):
        raise OSError("certificate file missing")


def make_hub(settings, *extra: type[Connector]) -> Hub:
    host = PluginHost.load(allow=["bailleurs", "habisoft", "commune_csv"])
    for cls in extra:
        host.register(connector_plugin(cls), cls.name)
    return Hub(settings, host)


@pytest.fixture
def settings(hub_settings, commune_csv_installed):
    HANG.clear()
    HUNG.clear()
    settings = with_connectors(hub_settings, commune_csv=commune_settings())
    retry = settings.retry.model_copy(update={"max_attempts": 2, "base_delay": 0.05, "jitter": 0.0})
    yield settings.model_copy(update={"retry": retry, "delivery_timeout": 0.3})
    HANG.set()


def test_raising_hanging_and_garbage_connectors_are_dead_lettered_by_name_and_others_flow(settings):
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [decision(commune="63113") for _ in range(3)])
    with capture_logs() as logs, make_hub(settings, Broken, Garbage, TextBody, Slow, ExplodesAtStart) as hub:
        assert [(f.plugin, f.stage) for f in hub.failures] == [("explodes", "init")]
        assert "explodes" not in hub.connectors
        hub.run_once()
        bad = ("broken", "garbage", "textbody", "slow")
        # an encoder returning garbage fails on every try: dead-lettered at once as unrenderable
        expected = {"broken": "dead", "slow": "dead", "garbage": "unrenderable", "textbody": "unrenderable"}
        run_until(hub, lambda: all(hub.journal.delivery_counts(n) == {(n, expected[n]): 3} for n in bad),
                  what="dead-lettering of the failing connectors' deliveries")
        for healthy in ("habisoft", "commune_csv"):
            assert hub.journal.delivery_counts(healthy) == {(healthy, "delivered"): 3}
        reasons = {n: {d["reason"] for d in hub.journal.dead_letters(connector=n)} for n in bad}
    assert any("RuntimeError: partner library crashed" in r for r in reasons["broken"])
    assert any("encode() returned dict, not an OutboundMessage" in r for r in reasons["garbage"])
    assert any("'slow' did not answer within 0.3s" in r for r in reasons["slow"])
    assert any("a body of type str, not bytes" in r for r in reasons["textbody"])
    named = {entry["connector"] for entry in logs if entry["event"] == "delivery_dead_lettered"}
    assert named == set(bad)


def test_a_hung_partner_holds_up_no_other_connector_while_the_hub_runs(settings):
    settings = settings.model_copy(update={"delivery_timeout": 30.0})
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [decision(commune="63113") for _ in range(3)])
    stop = threading.Event()
    with make_hub(settings, Slow) as hub:
        runner = threading.Thread(target=hub.run, args=(stop,), name="hub-under-test")
        runner.start()
        try:
            assert HUNG.wait(30), "the slow partner was never called"
            others_delivered = _wait_for(lambda: all(
                hub.journal.delivery_counts(n).get((n, "delivered")) == 3 for n in ("habisoft", "commune_csv")))
            assert others_delivered, f"other connectors did not flow: {hub.journal.delivery_counts()}"
            assert not HANG.is_set()                                   # the slow one is still stuck...
            assert hub.journal.delivery_counts("slow").get(("slow", "delivered")) is None
        finally:
            HANG.set()
            stop.set()
            runner.join(60)
        assert not runner.is_alive()


def _wait_for(condition, timeout: float = 30.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass (the hub works in its own threads)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
