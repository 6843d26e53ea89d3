"""Where an event is: ``relais event ID`` shows one event's state at every subscriber (and whether it is still
waiting for the broker); ``relais deliveries`` counts per partner and state."""

from __future__ import annotations

import json

from tests.factories import decision, write_decisions
from tests.reliability.conftest import journal_order, make_hub, relais_cli, settings_with
from tests.reliability.partner import FakePartner


def test_one_event_state_per_subscriber(hub_settings, partner):
    with FakePartner(refuse=lambda call: 422) as refusing:
        settings = settings_with(hub_settings, {"partner": partner.url, "fast": refusing.url})
        write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [decision(), decision()])
        with make_hub(settings) as hub:
            hub.inbox.scan()
            event_id = next(iter(journal_order(settings).values()))[0]
            waiting = relais_cli(settings, "event", event_id)
            assert "waiting in the outbox for the bus" in waiting.output
            assert "partner          pending     attempts 0" in waiting.output
            hub.run_once()

    shown = relais_cli(settings, "event", event_id)
    assert shown.exit_code == 0
    assert "published on the bus" in shown.output
    assert "partner          delivered   attempts 1" in shown.output
    assert "fast             dead        attempts 1" in shown.output
    assert "last error: partner refused the message: HTTP 422" in shown.output
    state = json.loads(relais_cli(settings, "event", event_id, "--json").output)
    assert {d["subscriber"]: d["status"] for d in state["deliveries"]} == {"partner": "delivered", "fast": "dead"}
    assert state["type"] == "decision_cal.v1" and state["published"] is True

    missing = relais_cli(settings, "event", "no-such-event")
    assert missing.exit_code == 1
    counts = relais_cli(settings, "deliveries").output
    assert "partner          delivered   2" in counts and "fast             dead        2" in counts
    assert "outbox (journaled, not yet on the bus): 0" in counts
