"""``relais replay``: re-send journaled events to one partner, within the access rules, on both backends.

The réservataire holds reservations in one commune only (63430): it never receives, and a replay never re-sends,
a decision about a dwelling elsewhere.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from tests.factories import decision, write_decisions
from tests.reliability.conftest import delivery_rows, journal_order, make_hub, relais_cli, settings_with
from tests.reliability.partner import FakePartner

COMMUNES = ["63430", "63300", "63113", "63190"]


def _decisions(n: int) -> list[dict]:
    return [decision(commune=COMMUNES[i % len(COMMUNES)]) for i in range(n)]


def _reservataire(settings_base, partner_url: str, reservataire_url: str):
    return settings_with(settings_base, {"partner": partner_url}, connectors={
        "reservataire": {"enabled": True, "url": reservataire_url, "communes": ["63430"]}})


def _ids_in_63430(settings) -> set[str]:
    """Event ids of decisions about a dwelling in 63430, from the partner that sees everything."""
    return {r["id"] for r in delivery_rows(settings, "reservataire") if r["status"] != "denied"}


def test_replay_resends_to_one_partner_only_what_its_access_rules_allow(hub_settings, partner):
    with FakePartner() as lost:
        settings = _reservataire(hub_settings, partner.url, lost.url)
        inbox = settings.home / "inbox" / "bailleurs"
        write_decisions(inbox, "cal.json", _decisions(20))
        with make_hub(settings) as hub:
            hub.run_once()
        allowed = _ids_in_63430(settings)
        assert len(allowed) == 5 and set(lost.accepted) == allowed
        assert {r["status"] for r in delivery_rows(settings, "reservataire")} == {"delivered", "denied"}

    with FakePartner() as restored:   # the réservataire lost its data: a fresh system, to be caught up
        settings = _reservataire(hub_settings, partner.url, restored.url)
        since = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(timespec="minutes")
        out = relais_cli(settings, "replay", "-c", "reservataire", "--since", since)
        assert out.exit_code == 0, out.output
        assert "5 event(s) queued again for reservataire" in out.output
        assert "15 event(s) not sent: the access rules do not let reservataire see them" in out.output
        with make_hub(settings) as hub:
            summary = hub.run_once()
        assert set(restored.accepted) == allowed and restored.duplicates() == {}
        assert summary.delivered.get("partner", 0) == 0, "a replay goes to the named partner only"
    assert partner.count() == 20 and partner.duplicates() == {}


def test_replay_window_and_a_partner_added_after_the_events(hub_settings, partner):
    """A réservataire connected after the events were journaled catches up from a date: only events journaled in
    the window, only those of its communes, in journal order."""
    settings = settings_with(hub_settings, {"partner": partner.url})
    inbox = settings.home / "inbox" / "bailleurs"
    write_decisions(inbox, "old.json", _decisions(8))
    with make_hub(settings) as hub:
        hub.run_once()
    time.sleep(1.1)   # journal timestamps on both sides of the window's start
    since = datetime.now(timezone.utc)
    write_decisions(inbox, "new.json", _decisions(12))
    with make_hub(settings) as hub:
        hub.run_once()

    with FakePartner() as newcomer:
        with_newcomer = _reservataire(hub_settings, partner.url, newcomer.url)
        out = relais_cli(with_newcomer, "replay", "-c", "reservataire", "--since",
                         since.isoformat(timespec="seconds"))
        assert "3 event(s) queued again" in out.output and "9 event(s) not sent" in out.output
        with make_hub(with_newcomer) as hub:
            hub.run_once()
        assert len(newcomer.accepted) == 3 and newcomer.duplicates() == {}
        rows = {r["id"]: r for r in delivery_rows(with_newcomer, "reservataire")}
        assert set(newcomer.accepted) == {i for i, r in rows.items() if r["status"] == "delivered"}
        assert len(rows) == 12, "rows only for the replayed window"
        assert all(ids == [i for i in journal_order(settings)[subject] if i in newcomer.accepted]
                   for subject, ids in newcomer.order.items())
    assert partner.count() == 20
