"""The pull API through a real uvicorn server and httpx: a landlord behind a firewall fetches its pending events,
gets the same ones until it acknowledges them, never again after; it sees only its own; every call audited."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from hub.core.channels import ChannelKind
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway import GatewayServer
from tests.asgi import free_port
from tests.factories import decision, siren, write_decisions

EVENTS = "/v1/partners/me/events"


@pytest.fixture
def settings(hub_settings):
    return hub_settings.model_copy(update={"connectors": {"bailleurs": {}}})


def make_hub(settings) -> Hub:
    return Hub(settings, PluginHost.load(allow=["bailleurs"]))


def register(settings, partners: dict[str, tuple[list[str], str | None]]) -> dict[str, str]:
    """id → (communes, channel kind or None); returns id → its key."""
    keys = {}
    with make_hub(settings) as hub:
        for partner_id, (communes, kind) in partners.items():
            hub.partners.add(partner_id, siren=siren(), nom=f"Habitat {partner_id}", role="bailleur",
                             connector="bailleurs", communes=communes)
            if kind == ChannelKind.PULL:
                hub.channels.set(partner_id, kind)
            elif kind == ChannelKind.OUTBOX:
                hub.channels.set(partner_id, kind, directory=settings.home / "partner-out" / partner_id)
            keys[partner_id] = hub.partners.issue_key(partner_id).key
    return keys


@contextmanager
def gateway(hub: Hub) -> Iterator[str]:
    server = GatewayServer(hub, "127.0.0.1", free_port())
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def journal_decisions(settings, hub: Hub, decisions: list[dict], name: str) -> None:
    write_decisions(settings.home / "inbox" / "bailleurs", name, decisions)
    hub.run_once()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_each_event_is_delivered_once_per_acknowledgement(settings):
    keys = register(settings, {"bailleur-a": (["63430"], ChannelKind.PULL),
                               "bailleur-b": (["63300"], ChannelKind.PULL)})
    first = [decision(commune="63430"), decision(commune="63430"), decision(commune="63300")]
    with make_hub(settings) as hub, gateway(hub) as base:
        journal_decisions(settings, hub, first, "first.json")
        with httpx.Client(base_url=base, headers=auth(keys["bailleur-a"]), timeout=30) as client:
            page = client.get(EVENTS)
            assert page.status_code == 200, page.text
            got = page.json()
            assert [e["data"]["numero_unique"] for e in got["events"]] == [d["numero_unique"] for d in first[:2]]
            assert got["more"] is False and got["cursor"]
            assert client.get(EVENTS).json() == got            # not acknowledged: the same events come back
            paged = client.get(EVENTS, params={"limit": 1}).json()
            assert len(paged["events"]) == 1 and paged["more"] is True
            rest = client.get(EVENTS, params={"after": paged["cursor"]}).json()
            assert [e["id"] for e in rest["events"]] == [got["events"][1]["id"]]

            ack = client.post(f"{EVENTS}/ack", json={"cursor": got["cursor"]})
            assert ack.status_code == 200 and ack.json() == {"acknowledged": 2}
            assert client.get(EVENTS).json() == {"events": [], "cursor": None, "more": False}
            again = client.post(f"{EVENTS}/ack", json={"cursor": got["cursor"]})   # idempotent
            assert again.status_code == 200 and again.json() == {"acknowledged": 0}

            later = decision(commune="63430")
            journal_decisions(settings, hub, [later], "later.json")
            new = client.get(EVENTS).json()
            assert [e["data"]["numero_unique"] for e in new["events"]] == [later["numero_unique"]]
            by_id = client.post(f"{EVENTS}/ack", json={"ids": [new["events"][0]["id"]]})
            assert by_id.json() == {"acknowledged": 1}
            assert client.get(EVENTS).json()["events"] == []

        # the other landlord sees only its own event, untouched by the first one's acknowledgements
        other = httpx.get(f"{base}{EVENTS}", headers=auth(keys["bailleur-b"]), timeout=30).json()
        assert [e["data"]["numero_unique"] for e in other["events"]] == [first[2]["numero_unique"]]
        counts = hub.journal.delivery_counts()
        assert counts[("partner.bailleur-a", "delivered")] == 3
        assert counts[("partner.bailleur-b", "pending")] == 1
        summary = hub.run_once()                             # a pull partner is nobody's unfinished work
        assert summary.unfinished == 0 and "partner.bailleur-b" not in summary.delivered
        calls = [(r["actor"], r["action"]) for r in hub.audit.entries(kind="read")]
    assert calls.count(("bailleur-a", f"GET {EVENTS}")) == 7
    assert calls.count(("bailleur-a", f"POST {EVENTS}/ack")) == 3
    assert calls.count(("bailleur-b", f"GET {EVENTS}")) == 1


@pytest.mark.parametrize("backend", ["embedded"])
def test_wrong_calls_get_a_problem_naming_the_field(settings):
    keys = register(settings, {"bailleur-a": ([], ChannelKind.PULL), "bailleur-w": ([], ChannelKind.OUTBOX),
                               "bailleur-n": ([], None)})
    with make_hub(settings) as hub, gateway(hub) as base, httpx.Client(base_url=base, timeout=30) as client:
        anonymous = client.get(EVENTS)
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert client.get(EVENTS, headers={"Authorization": "Bearer rk_000000000000_forged"}).status_code == 401

        a = auth(keys["bailleur-a"])
        cases = [
            (client.get(EVENTS, params={"after": "-1"}, headers=a), 422, "query.after"),
            (client.get(EVENTS, params={"after": "yesterday"}, headers=a), 422, "query.after"),
            (client.get(EVENTS, params={"limit": "100000"}, headers=a), 422, "query.limit"),
            (client.post(f"{EVENTS}/ack", json={}, headers=a), 422, "cursor"),
            (client.post(f"{EVENTS}/ack", json={"cursor": "12; DROP TABLE"}, headers=a), 422, "body.cursor"),
            (client.post(f"{EVENTS}/ack", json={"cursor": 12, "extra": 1}, headers=a), 422, "body.cursor"),
            (client.post(f"{EVENTS}/ack", json={"ids": "not-a-list"}, headers=a), 422, "body.ids"),
            (client.post(f"{EVENTS}/ack", content=b'{"cursor": "1', headers={**a, "Content-Type":
                                                                               "application/json"}), 422, "body"),
            (client.post(f"{EVENTS}/ack", json={"ids": ["x"] * 501}, headers=a), 422, "body.ids"),
            (client.post(f"{EVENTS}/ack", json={"ids": ["x" * 129]}, headers=a), 422, "body.ids.0"),
            (client.post(f"{EVENTS}/ack", json={"ids": [""]}, headers=a), 422, "body.ids.0"),
            (client.get(EVENTS, headers=auth(keys["bailleur-w"])), 409, "channel"),
            (client.get(EVENTS, headers=auth(keys["bailleur-n"])), 409, "channel"),
            (client.post(f"{EVENTS}/ack", json={"cursor": "1"}, headers=auth(keys["bailleur-n"])), 409,
             "channel"),
        ]
        for answer, status, field in cases:
            assert answer.status_code == status, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            fields = [e["field"] for e in answer.json().get("errors", [])]
            assert any(f.startswith(field) for f in fields), (field, answer.json())
        assert "relais partners deliver bailleur-w --pull" in cases[11][0].json()["detail"]
        huge = client.post(f"{EVENTS}/ack", content=b'{"ids": [' + b'"x",' * 100_000 + b'"x"]}',
                           headers={**a, "Content-Type": "application/json"})
        assert huge.status_code == 413 and huge.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("backend", ["embedded"])
def test_the_openapi_document_describes_the_pull_routes(settings):
    register(settings, {"bailleur-a": ([], ChannelKind.PULL)})
    with make_hub(settings) as hub, gateway(hub) as base:
        document = httpx.get(f"{base}/openapi.json", timeout=30).json()
    get = document["paths"][EVENTS]["get"]
    assert {p["name"] for p in get["parameters"]} >= {"after", "limit"}
    assert {"200", "401", "409", "422"} <= set(get["responses"])
    assert get["responses"]["409"]["content"]["application/problem+json"]
    ack = document["paths"][f"{EVENTS}/ack"]["post"]
    assert {"cursor", "ids"} == set(ack["requestBody"]["content"]["application/json"]["schema"]["properties"])
    assert "413" in ack["responses"]
    assert get["security"]


def test_a_cursor_acknowledges_only_what_a_get_served(settings):
    """A row below the cursor the partner was never served (reset by a replay or a retry after the GET, or made
    visible late by another process) is not acknowledged by that cursor: it comes back."""
    from sqlalchemy import update

    from hub.core.journal_schema import deliveries
    keys = register(settings, {"bailleur-a": (["63430"], ChannelKind.PULL)})
    with make_hub(settings) as hub, gateway(hub) as base:
        journal_decisions(settings, hub, [decision(commune="63430"), decision(commune="63430")], "two.json")
        with httpx.Client(base_url=base, headers=auth(keys["bailleur-a"]), timeout=30) as client:
            got = client.get(EVENTS).json()
            first, second = got["events"]
            with hub.journal.engine.begin() as conn:     # the first one reset after the GET, as a replay does
                conn.execute(update(deliveries).where(deliveries.c.subscriber == "partner.bailleur-a",
                                                      deliveries.c.seq == min(
                                                          r.seq for r in conn.execute(deliveries.select().where(
                                                              deliveries.c.subscriber == "partner.bailleur-a"))))
                             .values(claimed_at=None))
            assert client.post(f"{EVENTS}/ack", json={"cursor": got["cursor"]}).json() == {"acknowledged": 1}
            again = client.get(EVENTS).json()
            assert [e["id"] for e in again["events"]] == [first["id"]]       # never served since: served again
            assert second["id"] != first["id"]


def test_an_event_that_cannot_be_served_is_dead_lettered_and_the_others_go_on(settings):
    from sqlalchemy import update

    from hub.core.journal_schema import events
    keys = register(settings, {"bailleur-a": (["63430"], ChannelKind.PULL)})
    with make_hub(settings) as hub, gateway(hub) as base:
        journal_decisions(settings, hub, [decision(commune="63430"), decision(commune="63430")], "two.json")
        with httpx.Client(base_url=base, headers=auth(keys["bailleur-a"]), timeout=30) as client:
            first, second = client.get(EVENTS).json()["events"]
            with hub.journal.engine.begin() as conn:     # a body no contract reads any more
                conn.execute(update(events).where(events.c.id == first["id"]).values(body='{"broken": true}'))
            page = client.get(EVENTS).json()
            assert [e["id"] for e in page["events"]] == [second["id"]]
        dead = hub.journal.dead_letters(connector="partner.bailleur-a")
        assert len(dead) == 1 and "cannot be served" in dead[0]["reason"]
