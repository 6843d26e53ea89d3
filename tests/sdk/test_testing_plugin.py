"""The pytest plugin for connector authors (hub.testing): its assertions must fail when they should."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import pytest

from contracts import DecisionCal
from hub import Connector, OutboundMessage, PartnerRole
from hub.core.bus import OutgoingMessage
from hub.core.journal import Journal
from hub.testing import Golden, assert_decodes, assert_encodes, decode, make_event
from plugins.bailleurs.plugin import BailleursConnector
from tests.factories import decision, decisions_document

FAILED = pytest.fail.Exception


def a_decision(**changes):
    fields = dict(numero_unique="06301260012345GT63", rpls="6300000001", commune="63113",
                  date_commission=date(2026, 1, 20), decision="attribution")
    return make_event(DecisionCal(**(fields | changes)), source="bailleurs")


class EchoJson(Connector):
    name = "echo"
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)

    def encode(self, event):
        return OutboundMessage(json.dumps({"id": event.id, "commune": event.data.commune}).encode(), f"{event.id}.json")


def test_make_event_is_the_same_on_every_call_and_differs_with_content():
    assert a_decision() == a_decision()
    assert a_decision().id != a_decision(commune="63430").id


def test_decode_applies_the_hubs_checks(relais_connector):
    connector = relais_connector(BailleursConnector)
    decoded = decode(connector, json.dumps(decisions_document([decision(), decision(decision="attribution_rang")])))
    assert len(decoded.events) == 1 and len(decoded.rejections) == 1
    assert decoded.problems[0]["field"].startswith("decisions[1]")


def test_assert_decodes_passes_on_the_same_events_and_fails_with_a_diff(relais_connector):
    connector = relais_connector(BailleursConnector)
    body = json.dumps(decisions_document([decision(rpls="6300000001")]))
    [event] = decode(connector, body).events
    assert_decodes(connector, body, [event], ignore=("id", "time"))   # the format carries no time
    with pytest.raises(FAILED, match=r'(?s)-\s+"rpls": "6300000002".*\+\s+"rpls": "6300000001"'):
        assert_decodes(connector, body, [event.model_copy(update={"data": event.data.model_copy(
            update={"rpls": "6300000002"})})], ignore=("id", "time"))
    with pytest.raises(FAILED, match="expected 1 rejection"):
        assert_decodes(connector, body, [event], ignore=("id", "time"), rejections=1)


def test_assert_encodes_compares_documents_or_bytes(relais_connector):
    connector = relais_connector(EchoJson)
    event = a_decision()
    assert_encodes(connector, event, {"id": event.id, "commune": "63113"})
    with pytest.raises(FAILED, match="rendered another document"):
        assert_encodes(connector, event, {"id": event.id, "commune": "63430"})
    with pytest.raises(FAILED, match="rendered other bytes"):
        assert_encodes(connector, event, b"{}")


def test_golden_files_fail_when_missing_or_different_and_are_written_only_on_update(tmp_path, relais_connector):
    connector, event = relais_connector(EchoJson), a_decision()
    checking, updating = Golden(tmp_path), Golden(tmp_path, update=True)
    with pytest.raises(FAILED, match="does not exist: run pytest --relais-update-golden"):
        checking.assert_encodes(connector, event, "out.json")
    assert not (tmp_path / "out.json").exists()
    updating.assert_encodes(connector, event, "out.json")
    checking.assert_encodes(connector, event, "out.json")
    with pytest.raises(FAILED, match=r"(?s)differs from golden file.*63430"):
        checking.assert_encodes(connector, a_decision(commune="63430"), "out.json")


def test_the_update_golden_option_is_registered_by_the_plugin(tmp_path):
    (tmp_path / "test_author.py").write_text(
        "def test_render(relais_golden):\n"
        "    relais_golden.check('note.txt', 'hello')\n")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_author.py")]
    missing = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    written = subprocess.run([*command, "--relais-update-golden"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=120)
    assert missing.returncode == 1 and "--relais-update-golden" in missing.stdout
    assert written.returncode == 0, written.stdout
    assert (tmp_path / "golden" / "note.txt").read_text() == "hello"


def test_fake_partner_records_requests_and_plays_its_script(fake_partner):
    fake_partner.fail(times=1, status=503, retry_after=7)
    fake_partner.respond(422, "no such dwelling")
    fake_partner.drop()
    with httpx.Client(timeout=5) as client:
        first = client.post(fake_partner.url_for("/decisions"), content=b"a", headers={"Idempotency-Key": "e-1"})
        second = client.post(fake_partner.url, content=b"b")
        with pytest.raises(httpx.TransportError):
            client.post(fake_partner.url, content=b"c")
        fourth = client.post(fake_partner.url, content=b"d")
    assert (first.status_code, first.headers["Retry-After"]) == (503, "7")
    assert (second.status_code, second.text) == (422, "no such dwelling")
    assert fourth.status_code == 200
    assert fake_partner.bodies == [b"a", b"b", b"c", b"d"]
    assert fake_partner.requests[0].path == "/decisions"
    assert fake_partner.requests[0].header("idempotency-key") == "e-1"


def test_fake_partner_hangs_until_released(fake_partner):
    fake_partner.hang()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(fake_partner.url, content=b"x", timeout=0.2)
    fake_partner.release()
    assert fake_partner.wait_for_requests(1)[0].body == b"x"


def test_relais_bus_is_an_in_process_bus_of_its_own(relais_bus):
    relais_bus.declare({"probe": ("decision_cal.*",)})
    reader = relais_bus.consumer("probe", ("decision_cal.*",), prefetch=10)
    publisher = relais_bus.publisher()
    try:
        publisher.publish([OutgoingMessage(1, "decision_cal.v1", b'{"n": 1}')])
        [message] = reader.next_batch(1, 5.0)
        message.ack()
    finally:
        reader.close()
        publisher.close()
    assert not relais_bus.is_amqp and relais_bus.topology.namespace.startswith("t")


def test_relais_journal_is_empty_and_temporary(relais_journal):
    assert isinstance(relais_journal, Journal)
    assert relais_journal.count_events() == 0 and relais_journal.url.startswith("sqlite:///")


def test_relais_host_loads_only_the_named_plugins(relais_host):
    host = relais_host("bailleurs", EchoJson)
    assert sorted(host.connector_classes()) == ["bailleurs", "echo"]


def test_relais_host_fails_clearly_on_a_plugin_that_is_not_installed(relais_host):
    with pytest.raises(FAILED, match="no plugin 'not_installed' in the 'relais' entry-point group"):
        relais_host("not_installed")


def test_relais_hub_runs_with_chosen_plugins_and_is_isolated_from_relais_env(relais_hub, monkeypatch, tmp_path):
    monkeypatch.setenv("RELAIS_JOURNAL_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("RELAIS_BROKER_URL", "amqp://nobody@127.0.0.1:1//")
    relais = relais_hub("bailleurs", EchoJson)
    relais.drop("bailleurs", "cal.json", json.dumps(decisions_document([decision()])))
    summary = relais.run_once()
    assert summary.delivered["echo"] == 1
    assert len(relais.outbox("echo")) == 1
    assert relais.deliveries() == {"echo": {"delivered": 1}}


def test_relais_hub_fails_clearly_on_bad_connector_settings(relais_hub):
    with pytest.raises(FAILED, match=r"unknown setting .colour. in \[connectors\.bailleurs\]"):
        relais_hub("bailleurs", connectors={"bailleurs": {"colour": "blue"}})


def test_connectors_made_outside_a_hub_live_in_the_tests_temporary_directory(relais_connector, tmp_path):
    connector = relais_connector(EchoJson)
    assert Path(connector.context.outbox).is_relative_to(tmp_path)
