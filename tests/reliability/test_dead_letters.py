"""The dead-letter store through the command line, on both backends: ``relais dead list / show / retry / discard``
with their filters, for inbound rejections (bad files) and outbound failures (a partner refusing)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.factories import decision, decisions_document, numero_unique, write_decisions
from tests.reliability.conftest import (
    assert_exactly_once_in_order, delivery_rows, journal_order, make_hub, relais_cli, settings_with,
    subprocess_env, wait_until,
)
from tests.reliability.partner import FakePartner


def _dead(settings, *filters: str) -> list[dict]:
    result = relais_cli(settings, "dead", "list", "--json", *filters)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_malformed_decision_files_are_kept_with_their_reason_and_the_rest_flows(hub_settings, partner, tmp_path):
    """Issue 2: a file that is not JSON, and a file with one invalid decision among valid ones, are not lost: each
    lands in the dead letters with its reason and location (``decisions[1].rang``), ``relais dead list`` shows
    them, the valid decisions of the batch go through — and a corrected file can be replayed."""
    settings = settings_with(hub_settings, {"partner": partner.url})
    inbox = settings.home / "inbox" / "bailleurs"
    inbox.mkdir(parents=True)
    (inbox / "broken.json").write_bytes(b'{"format": "relais.bailleurs.decisions_cal/1",\n "decisions": [\n')
    mixed = [decision(), decision(decision="attribution_rang", rang=11), decision()]
    write_decisions(inbox, "mixed.json", mixed, bailleur_siren="276300019")
    write_decisions(inbox, "good.json", [decision(), decision()])
    kept = {p.name: p.read_bytes() for p in inbox.iterdir()}

    with make_hub(settings) as hub:
        hub.run_once()
    assert partner.count() == 4 and partner.duplicates() == {}
    assert not list(inbox.glob("*.json")), "every file was acknowledged: journaled, or kept as a dead letter"

    text = relais_cli(settings, "dead", "list").output
    assert "invalid JSON" in text and "decisions[1].rang" in text
    broken, bad_record = sorted(_dead(settings, "--direction", "inbound"), key=lambda d: d["origin"])
    assert (broken["origin"], broken["line"], broken["connector"]) == ("broken.json", 3, "bailleurs")
    assert (bad_record["origin"], bad_record["field"]) == ("mixed.json", "decisions[1].rang")
    assert bad_record["problems"][0]["field"] == "decisions[1].rang"

    shown = relais_cli(settings, "dead", "show", str(broken["id"]), "--payload", str(tmp_path / "broken.json"))
    assert shown.exit_code == 0 and (tmp_path / "broken.json").read_bytes() == kept["broken.json"]

    # the dead letter keeps that decision alone (a document of its own), not the whole file
    shown = relais_cli(settings, "dead", "show", str(bad_record["id"]), "--payload", str(tmp_path / "bad.json"))
    assert shown.exit_code == 0
    assert json.loads((tmp_path / "bad.json").read_bytes())["decisions"] == [mixed[1]]
    # the kept bytes are still wrong: retrying them fails again and says why
    again = relais_cli(settings, "dead", "retry", str(bad_record["id"]))
    assert again.exit_code == 3 and "decisions[0].rang" in again.output

    fixed = tmp_path / "mixed-fixed.json"
    fixed.write_text(json.dumps(decisions_document([mixed[0], {**mixed[1], "rang": 2}, mixed[2]],
                                                   bailleur_siren="276300019")))
    retried = relais_cli(settings, "dead", "retry", str(bad_record["id"]), "--with-file", str(fixed))
    assert retried.exit_code == 0 and "1 retried" in retried.output
    discarded = relais_cli(settings, "dead", "discard", str(broken["id"]))
    assert "1 discarded" in discarded.output

    with make_hub(settings) as hub:
        hub.run_once()
    assert partner.count() == 5, "the corrected decision went through; its valid neighbours were not re-sent"
    assert_exactly_once_in_order(partner, settings, expected=5)
    assert _dead(settings) == []
    assert {d["status"] for d in _dead(settings, "--status", "any")} == {"retried", "discarded"}


def test_outbound_dead_letters_are_filtered_and_retried_by_connector_then_all(hub_settings):
    """Two partners refuse everything for a while (a misconfiguration on their side); the operator lists the dead
    letters by connector, type, direction and date, retries one partner's after it is fixed, then all of them."""
    refusing = {"partner": True, "fast": True}

    def refuse_while(name):
        return lambda call: 422 if refusing[name] else None

    with FakePartner(refuse=refuse_while("partner")) as partner, FakePartner(refuse=refuse_while("fast")) as fast:
        settings = settings_with(hub_settings, {"partner": partner.url, "fast": fast.url})
        inbox = settings.home / "inbox" / "bailleurs"
        write_decisions(inbox, "cal.json", [decision() for _ in range(6)])
        (inbox / "broken.json").write_bytes(b"not json")
        with make_hub(settings) as hub:
            hub.run_once()

        assert len(_dead(settings)) == 13
        assert len(_dead(settings, "--connector", "partner")) == 6
        assert len(_dead(settings, "--direction", "inbound")) == 1
        assert len(_dead(settings, "--type", "decision_cal.v1")) == 12
        tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).date().isoformat()
        yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()
        assert _dead(settings, "--since", tomorrow) == [] and _dead(settings, "--until", yesterday) == []
        assert len(_dead(settings, "--since", yesterday, "--until", tomorrow)) == 13
        show = json.loads(relais_cli(settings, "dead", "show", str(_dead(settings, "--connector", "fast")[0]["id"]))
                          .output)
        assert show["attempts"][-1]["kind"] == "RejectError" and "HTTP 422" in show["reason"]
        assert relais_cli(settings, "dead", "retry").exit_code == 2, "retry needs ids, filters or --all"

        refusing["partner"] = False
        out = relais_cli(settings, "dead", "retry", "--connector", "partner").output
        assert "6 retried, 0 still failing" in out
        with make_hub(settings) as hub:
            hub.run_once()
        assert partner.count() == 6 and fast.count() == 0

        refusing["fast"] = False
        result = relais_cli(settings, "dead", "retry", "--all")
        assert result.exit_code == 3 and "6 retried, 1 still failing" in result.output
        with make_hub(settings) as hub:
            hub.run_once()
        assert_exactly_once_in_order(partner, settings, "partner", expected=6)
        assert_exactly_once_in_order(fast, settings, "fast", expected=6)
        assert [d["direction"] for d in _dead(settings)] == ["inbound"]


@pytest.mark.slow
@pytest.mark.parametrize("fix", ["retry", "discard"])
def test_a_dead_delivery_holding_back_its_demand_is_released_by_an_operator_while_the_hub_runs(
        hub_settings, hub_processes, fix):
    """The partner refuses one event for good; the later events of that demand wait (per-demand order). The
    operator either fixes the cause and retries it — then it and its successors arrive, in order — or discards it
    — then the successors arrive without it. Either way a running hub acts within its next sweep."""
    demand = numero_unique()
    decisions = [decision() for _ in range(10)]
    decisions[5:5] = [decision(id="CAL-HELD-0", numero_unique=demand), decision(id="CAL-HELD-1", numero_unique=demand),
                      decision(id="CAL-HELD-2", numero_unique=demand)]
    refusing = [True]
    with FakePartner(refuse=lambda call: 422 if refusing[0] and call.envelope["sourcemessageid"].endswith(
            "CAL-HELD-0") else None) as partner:
        settings = settings_with(hub_settings, {"partner": partner.url})
        write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", decisions)
        hub = hub_processes(subprocess_env(settings)).start()
        wait_until(lambda: partner.count() == 10 and len(_dead(settings)) == 1, what="the refusal")
        first, *held = journal_order(settings)[demand]
        states = {r["id"]: r["status"] for r in delivery_rows(settings, "partner")}
        assert [states[i] for i in (first, *held)] == ["dead", "pending", "pending"]

        refusing[0] = False
        dead_id = str(_dead(settings)[0]["id"])
        assert relais_cli(settings, "dead", fix, dead_id).exit_code == 0
        expected = [first, *held] if fix == "retry" else held
        wait_until(lambda: partner.order.get(demand) == expected, what="the demand to be released")
        assert hub.terminate() == 0
    assert partner.duplicates() == {}
    assert partner.count() == 10 + len(expected)
    final = {r["id"]: r["status"] for r in delivery_rows(settings, "partner")}
    assert final[first] == ("delivered" if fix == "retry" else "discarded")
