"""Webhooks end to end: a real gateway (uvicorn) takes a landlord's decisions over httpx, the hub delivers them to
the webhooks of the landlords allowed to see them (real receivers on loopback ports), signed; a slow, a down and a
concurrent partner."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime

import httpx
import pytest

from hub.core.channels import ChannelKind
from hub.core.config import RetrySettings
from hub.core.deadletters import DeadLetterOps
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway import GatewayServer
from hub.webhooks import SIGNATURE_HEADER, SignatureMismatch, verify
from tests.asgi import free_port, serve
from tests.factories import decision, decisions_document, siren, write_decisions
from tests.gateway.receivers import Receiver, wait_until


def secret_of(partner_id: str) -> str:
    return f"whsec_{partner_id}-0123456789abcdef"


SECRET = {p: secret_of(p) for p in ("bailleur-a", "bailleur-b")}


@pytest.fixture
def settings(hub_settings):
    return hub_settings.model_copy(update={
        "connectors": {"bailleurs": {}}, "poll_interval": 0.05, "delivery_timeout": 10.0,
        "retry": RetrySettings(max_attempts=3, base_delay=0.05, max_delay=0.2, jitter=0.0)})


def make_hub(settings) -> Hub:
    return Hub(settings, PluginHost.load(allow=["bailleurs"]))


def register(settings, partners: dict[str, dict]) -> dict[str, str]:
    """Register ``bailleurs`` partners (id → {communes, url, concurrency}); returns a poster's key."""
    with make_hub(settings) as hub:
        for partner_id, spec in partners.items():
            hub.partners.add(partner_id, siren=siren(), nom=f"Habitat {partner_id}", role="bailleur",
                             connector="bailleurs", communes=spec.get("communes", []))
            if "url" in spec:
                hub.channels.set(partner_id, ChannelKind.WEBHOOK, url=spec["url"],
                                 secret=secret_of(partner_id),
                                 concurrency=spec.get("concurrency", 1))
        poster_siren = siren()
        hub.partners.add("poster", siren=poster_siren, nom="Habitat poster", role="bailleur", connector="bailleurs")
        return {"key": hub.partners.issue_key("poster").key, "siren": poster_siren}


@contextmanager
def running(settings) -> Iterator[tuple[Hub, str]]:
    """The hub running (``Hub.run``) with its gateway on a free port; yields the hub and the gateway's URL."""
    hub = make_hub(settings)
    stop = threading.Event()
    server = GatewayServer(hub, "127.0.0.1", free_port())
    server.start()
    thread = threading.Thread(target=hub.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield hub, f"http://127.0.0.1:{server.port}"
    finally:
        stop.set()
        thread.join(timeout=30)
        server.stop()
        hub.close()


def post(base: str, poster: dict, decisions: list[dict]) -> None:
    answer = httpx.post(f"{base}/v1/inbound/bailleurs", json=decisions_document(decisions, poster["siren"]),
                        headers={"Authorization": f"Bearer {poster['key']}"}, timeout=30)
    assert answer.status_code == 202, answer.text


def test_two_landlords_receive_only_their_allowed_events_signed(settings):
    a, b = Receiver(SECRET["bailleur-a"]), Receiver(SECRET["bailleur-b"])
    with ExitStack() as stack:
        url_a = stack.enter_context(serve(a.app(), "bailleur-a")) + "/events"
        url_b = stack.enter_context(serve(b.app(), "bailleur-b")) + "/events"
        poster = register(settings, {"bailleur-a": {"communes": ["63430"], "url": url_a},
                                     "bailleur-b": {"communes": ["63300"], "url": url_b}})
        in_a = [decision(commune="63430") for _ in range(3)]
        in_b = [decision(commune="63300")]
        with running(settings) as (hub, base):
            post(base, poster, in_a + in_b + [decision(commune="63113")])
            wanted = {("partner.bailleur-a", "delivered"): 3, ("partner.bailleur-a", "denied"): 2,
                      ("partner.bailleur-b", "delivered"): 1, ("partner.bailleur-b", "denied"): 4}
            # the journal says so once the outcomes are recorded (just after the receivers answered)
            wait_until(lambda: {k: hub.journal.delivery_counts().get(k) for k in wanted} == wanted,
                       what="both landlords served, and the others' events denied")
    assert a.refused == [] and b.refused == []
    assert len(a.accepted) == 3 and len(b.accepted) == 1
    got_a = [json.loads(r["body"]) for r in a.accepted]
    assert {e["data"]["numero_unique"] for e in got_a} == {d["numero_unique"] for d in in_a}
    assert [json.loads(r["body"])["data"]["numero_unique"] for r in b.accepted] == [in_b[0]["numero_unique"]]
    for request, event in zip(a.accepted, got_a, strict=True):
        assert request["headers"]["idempotency-key"] == event["id"] == request["headers"]["relais-event-id"]
        assert request["headers"]["x-relais-event-type"] == "decision_cal.v1"
        assert request["headers"]["content-type"] == "application/json"
    # what a receiver checks: the captured request verifies, a tampered body or a replay after the window does not
    body, header = a.accepted[0]["body"], a.accepted[0]["headers"][SIGNATURE_HEADER.lower()]
    t = verify(SECRET["bailleur-a"], header, body)
    with pytest.raises(SignatureMismatch, match="no v1 signature matches"):
        verify(SECRET["bailleur-a"], header, body.replace(b"attribution", b"attributiom"))
    with pytest.raises(SignatureMismatch, match="outside the 300s window"):
        verify(SECRET["bailleur-a"], header, body, now=t + 301)
    with pytest.raises(SignatureMismatch, match="no v1 signature matches"):
        verify(SECRET["bailleur-b"], header, body)


@pytest.mark.parametrize("backend", ["embedded"])
def test_a_slow_partner_never_delays_a_fast_one(settings):
    slow, fast = Receiver(secret_of("slow"), hold=threading.Event()), Receiver(secret_of("fast"))
    with ExitStack() as stack:
        url_slow = stack.enter_context(serve(slow.app(), "slow")) + "/events"
        url_fast = stack.enter_context(serve(fast.app(), "fast")) + "/events"
        poster = register(settings, {"slow": {"url": url_slow}, "fast": {"url": url_fast}})
        with running(settings) as (_hub, base):
            post(base, poster, [decision() for _ in range(5)])
            # the slow partner's first request hangs until released; the fast one gets all five meanwhile
            wait_until(lambda: len(fast.accepted) == 5, what="the fast partner served")
            # on a loaded machine the slow partner's worker may make its first call only now: wait for it, then
            # it is the only one (it hangs), and nothing was accepted
            wait_until(lambda: slow.calls == 1, what="the slow partner's first request, hanging")
            assert slow.calls == 1 and slow.accepted == []
            slow.hold.set()
            wait_until(lambda: len(slow.accepted) == 5, what="the slow partner served once released")


@pytest.mark.parametrize("backend", ["embedded"])
def test_a_partner_that_is_down_ends_in_dead_letters_while_another_is_served(settings):
    down, up = Receiver(secret_of("down"), status=500), Receiver(secret_of("up"))
    with ExitStack() as stack:
        url_down = stack.enter_context(serve(down.app(), "down")) + "/events"
        url_up = stack.enter_context(serve(up.app(), "up")) + "/events"
        poster = register(settings, {"down": {"url": url_down}, "up": {"url": url_up}})
        with running(settings) as (hub, base):
            post(base, poster, [decision(), decision()])
            wait_until(lambda: len(up.accepted) == 2, what="the partner that is up served")
            wait_until(lambda: len(hub.journal.dead_letters(connector="partner.down")) == 2, timeout=30,
                       what="the down partner's deliveries dead-lettered")
            dead = hub.journal.dead_letters(connector="partner.down")
            assert down.calls == 2 * 3    # max_attempts each, then no more
            for row in dead:
                attempts = json.loads(row["attempts"])
                assert [a["error"] for a in attempts] == ["partner answered HTTP 500"] * 3
                at = [datetime.fromisoformat(a["at"]) for a in attempts]
                # the hub's backoff: base_delay, then twice it, between the attempts
                assert (at[1] - at[0]).total_seconds() >= 0.05 and (at[2] - at[1]).total_seconds() >= 0.1
            # the partner is back: `relais dead retry` sends them again, through its own subscriber
            down.status = 200
            DeadLetterOps(hub).retry(dead)
            wait_until(lambda: len(down.accepted) == 2, what="the dead letters retried")
    assert sorted(down.event_ids()) == sorted(up.event_ids())


@pytest.mark.parametrize("backend", ["embedded"])
def test_a_partner_gets_at_most_its_concurrency_in_flight(settings):
    gate = threading.Event()
    busy = Receiver(secret_of("bailleur-c"), hold=gate)
    with ExitStack() as stack:
        url = stack.enter_context(serve(busy.app(), "busy")) + "/events"
        poster = register(settings, {"bailleur-c": {"url": url, "concurrency": 3}})
        with running(settings) as (_hub, base):
            post(base, poster, [decision() for _ in range(9)])
            wait_until(lambda: busy.in_flight == 3, what="three requests in flight")
            gate.set()
            wait_until(lambda: len(busy.accepted) == 9, what="every event delivered")
    assert busy.max_in_flight == 3


@pytest.mark.parametrize("backend", ["embedded"])
def test_a_concurrent_partner_that_is_down_is_not_called_for_every_event_of_a_batch(settings):
    """After three transient failures taking a delivery timeout, the rest of the batch is postponed without a call
    (as for a connector): a partner that is down costs a few calls per batch, not one per event. Each 503 takes
    30 ms, so that three failures take the timeout whatever the machine's load (instant ones on a quiet machine
    took less: then each event rightly takes its own retry, and the test depended on the load)."""
    down = Receiver(secret_of("down"), status=503, delay=0.03)
    quick = settings.model_copy(update={"delivery_timeout": 0.05,
                                        "retry": RetrySettings(max_attempts=50, base_delay=5.0, jitter=0.0)})
    with serve(down.app(), "down") as base_url:
        register(quick, {"down": {"url": base_url + "/events", "concurrency": 2}})
        with make_hub(quick) as hub:
            hub.start()
            write_decisions(quick.home / "inbox" / "bailleurs", "cal.json", [decision() for _ in range(40)])
            hub.inbox.scan()
            hub.relay.publish_pending()
            result = hub.workers["partner.down"].step(wait=0.5)
            counts = hub.journal.delivery_counts()
    assert result.received in (1, 40)      # bus messages: one batch reference in process, one per event on RabbitMQ
    assert 3 <= result.failed < 20 and down.calls <= result.failed
    assert counts[("partner.down", "retrying")] == 40      # every one due again later, none lost nor dead


def test_a_partner_revoked_while_the_hub_runs_is_no_longer_pushed_to_and_its_events_are_kept(settings, monkeypatch):
    """`relais partners revoke` from another process: within the registry's look-up interval (30 s; shortened here)
    the running hub stops POSTing to the partner's webhook, without a restart; what arrives for it meanwhile stays
    pending (kept, not dead-lettered), and the next start ignores its channel as before."""
    monkeypatch.setattr("hub.core.partner_subscriber.REVOCATION_CHECK", 0.2, raising=False)
    a = Receiver(SECRET["bailleur-a"])
    with serve(a.app(), "bailleur-a") as url:
        poster = register(settings, {"bailleur-a": {"url": url + "/events"}})
        with running(settings) as (hub, base):
            post(base, poster, [decision()])
            wait_until(lambda: len(a.accepted) == 1, what="the first decision POSTed")
            with make_hub(settings) as operator:   # the operator's command, on the same journal
                operator.partners.revoke("bailleur-a")
            wait_until(lambda: not any(t.name == "worker-partner.bailleur-a" and t.is_alive()
                                       for t in threading.enumerate()), timeout=10,
                       what="the revoked partner's worker stopped")
            later = decision()
            post(base, poster, [later])
            wait_until(lambda: hub.journal.delivery_counts().get(("partner.bailleur-a", "pending")) == 1,
                       what="the later decision routed to the revoked partner")
            time.sleep(1.0)
            assert len(a.accepted) == 1
            counts = hub.journal.delivery_counts()
        assert counts.get(("partner.bailleur-a", "pending")) == 1 and ("partner.bailleur-a", "dead") not in counts
        with make_hub(settings) as restarted:
            assert "partner.bailleur-a" not in restarted.subscribers
            assert restarted.journal.delivery_counts().get(("partner.bailleur-a", "pending")) == 1
    assert len(a.accepted) == 1
