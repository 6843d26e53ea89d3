"""The partner HTTP gateway: what each answer promises, on both backends."""

from __future__ import annotations

import json
import threading
from concurrent.futures import Future

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from hub import Connector, PartnerRole
from hub.core.connector import RawMessage
from hub.core.ingest import IngestReport
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway import create_app
from hub.gateway.commit import DecodedMessage, InboundCommitter
from hub.testing import connector_plugin
from tests.factories import decision, decisions_document
from tests.sdk.conftest import with_connectors

KEY, PREVIOUS_KEY = "k-bailleurs-2026", "k-bailleurs-2025"
AUTH = {"X-Relais-Api-Key": KEY}


@pytest.fixture
def gateway_hub(hub_settings):
    settings = with_connectors(hub_settings, bailleurs={"api_keys": [KEY, PREVIOUS_KEY], "max_message_bytes": 20_000})
    hub = Hub(settings, PluginHost.load(allow=["bailleurs", "habisoft"]))
    try:
        yield hub
    finally:
        hub.close()


@pytest.fixture
def client(gateway_hub):
    with TestClient(create_app(gateway_hub)) as test_client:
        yield test_client


def post(client, body, headers=AUTH, connector="bailleurs"):
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    return client.post(f"/v1/inbound/{connector}", content=content, headers=headers)


def test_202_means_every_event_is_in_the_journal_and_gets_delivered(client, gateway_hub):
    decisions = [decision(), decision(decision="attribution_rang", rang=3)]
    answer = post(client, decisions_document(decisions))
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["journaled"] == 2 and body["duplicates"] == 0
    assert all(gateway_hub.journal.find_event(event_id) for event_id in body["event_ids"])
    summary = gateway_hub.run_once()
    assert summary.delivered["habisoft"] == 2


def test_the_partners_idempotency_key_names_the_message_when_it_is_sane(client):
    named = post(client, decisions_document([decision()]), headers={**AUTH, "Idempotency-Key": "cal-2026-01"})
    odd = post(client, decisions_document([decision()]), headers={**AUTH, "Idempotency-Key": "x" * 300})
    assert named.json()["message_id"] == "cal-2026-01"
    assert odd.json()["message_id"].startswith("sha256:")


def test_a_resent_message_is_absorbed_and_answered_202_again(client):
    document = decisions_document([decision(), decision()])
    first, again = post(client, document), post(client, document)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["journaled"] == 0 and again.json()["duplicates"] == 2


def test_a_rejected_record_gets_400_with_its_field_path_and_is_kept(client, gateway_hub):
    document = decisions_document([decision(), decision(decision="attribution_rang")])   # rang missing
    answer = post(client, document)
    assert answer.status_code == 400
    body = answer.json()
    assert body["journaled"] == 1                                       # the good record went through
    [rejected] = body["rejected"]
    assert rejected["problems"][0]["field"].startswith("decisions[1]")
    [dead] = gateway_hub.journal.dead_letters(ids=[rejected["dead_letter_id"]])
    assert dead["connector"] == "bailleurs" and dead["direction"] == "inbound"


def test_an_unreadable_message_gets_400_and_is_kept_whole(client, gateway_hub):
    answer = post(client, b'{"format": "relais.bailleurs.decisions_cal/1", "decisions": [')
    assert answer.status_code == 400
    [dead] = gateway_hub.journal.dead_letters(connector="bailleurs")
    assert bytes(dead["payload"]).startswith(b'{"format"')
    assert answer.json()["journaled"] == 0


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_message_over_the_size_limit_gets_413_and_nothing_is_kept(client, gateway_hub, chunked):
    big = json.dumps(decisions_document([decision() for _ in range(200)])).encode()
    assert len(big) > 20_000
    content = iter([big[i:i + 4096] for i in range(0, len(big), 4096)]) if chunked else big
    answer = client.post("/v1/inbound/bailleurs", content=content, headers=AUTH)
    assert answer.status_code == 413
    assert gateway_hub.journal.dead_letters() == [] and gateway_hub.journal.count_events() == 0


def test_an_unknown_connector_gets_404(client):
    assert post(client, decisions_document([decision()]), connector="nobody").status_code == 404


class OutboundOnly(Connector):
    name = "outbound_only"
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)


def test_a_connector_that_takes_no_inbound_messages_gets_404(relais_hub):
    relais = relais_hub(OutboundOnly, connectors={"outbound_only": {"api_keys": [KEY]}})
    with relais.gateway_client() as client:
        assert post(client, b"{}", connector="outbound_only").status_code == 404


@pytest.mark.parametrize("headers", [{}, {"X-Relais-Api-Key": "k-guessed"}, {"Authorization": "Basic " + KEY},
                                     {"Authorization": "Bearer "}], ids=["none", "wrong", "not-bearer", "empty"])
def test_no_or_a_wrong_key_gets_401_and_nothing_is_journaled(client, gateway_hub, headers):
    from structlog.testing import capture_logs
    with capture_logs() as logs:
        answer = post(client, decisions_document([decision()]), headers=headers)
    assert [e["connector"] for e in logs if e["event"] == "inbound_unauthorized"] == ["bailleurs"]
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert gateway_hub.journal.count_events() == 0


@pytest.mark.parametrize("headers", [{"X-Relais-Api-Key": PREVIOUS_KEY}, {"Authorization": f"Bearer {KEY}"}],
                         ids=["previous-key", "bearer"])
def test_any_configured_key_is_accepted_in_either_header(client, headers):
    assert post(client, decisions_document([decision()]), headers=headers).status_code == 202


def test_a_journal_failure_gets_503_and_nothing_is_acknowledged(client, gateway_hub, monkeypatch):
    document = decisions_document([decision()])

    def journal_down(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(gateway_hub.journal, "append", journal_down)
    answer = post(client, document)
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    monkeypatch.undo()
    assert gateway_hub.journal.count_events() == 0
    assert post(client, document).status_code == 202   # the partner's resend is what gets it in


def test_healthz_says_whether_the_journal_answers(client, gateway_hub, monkeypatch):
    assert client.get("/healthz").json()["status"] == "ok"

    def journal_down():
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(gateway_hub.journal, "outbox_size", journal_down)
    assert client.get("/healthz").status_code == 503


# --- a connector that hangs on decode ---------------------------------------------------------------------------
RELEASE = threading.Event()


class HangsOnDecode(Connector):
    name = "hangs"
    role = PartnerRole.BAILLEUR
    emits = ("decision_cal.*",)

    def decode(self, raw: RawMessage):
        RELEASE.wait(30)
        return []


def test_a_connector_hanging_on_decode_is_dead_lettered_by_name_and_others_flow(hub_settings):
    settings = with_connectors(hub_settings, bailleurs={"api_keys": [KEY]}, hangs={"api_keys": [KEY]})
    host = PluginHost.load(allow=["bailleurs"])
    host.register(connector_plugin(HangsOnDecode), "hangs")
    RELEASE.clear()
    try:
        with Hub(settings, host) as hub, TestClient(create_app(hub, decode_timeout=0.2)) as client:
            hung = post(client, b"anything", connector="hangs")
            flowing = post(client, decisions_document([decision()]))
            assert hung.status_code == 400
            assert "'hangs' did not decode the message within 0.2s" in hung.json()["rejected"][0]["reason"]
            assert flowing.status_code == 202
            [dead] = hub.journal.dead_letters(connector="hangs")
            assert bytes(dead["payload"]) == b"anything"
    finally:
        RELEASE.set()


# --- group commit -----------------------------------------------------------------------------------------------
class BlockingIngestor:
    """Records each commit's size; the first commit waits until released, so that requests pile up behind it."""

    def __init__(self):
        self.batches: list[int] = []
        self.first_started = threading.Event()
        self.release_first = threading.Event()

    def commit(self, events, rejections, **_options):
        self.batches.append(len(events))
        if len(self.batches) == 1:
            self.first_started.set()
            self.release_first.wait(10)
        return IngestReport(journaled=len(events), event_ids=[e.id for e in events])


def test_requests_arriving_during_a_commit_share_the_next_one():
    from hub.testing import make_event
    ingestor = BlockingIngestor()
    committer = InboundCommitter(ingestor, batch_size=100)
    raw = RawMessage.from_bytes(b"x", origin="test")

    def message(n: int) -> DecodedMessage:
        return DecodedMessage(raw, [make_event(_decision_data(n))], [])

    try:
        first: Future = committer.submit(message(0))
        assert ingestor.first_started.wait(10)
        waiting = [committer.submit(message(n)) for n in range(1, 6)]
        ingestor.release_first.set()
        outcomes = [f.result(10) for f in [first, *waiting]]
    finally:
        ingestor.release_first.set()
        committer.close()
    assert ingestor.batches == [1, 5]
    assert all(len(o.journaled) == 1 and o.duplicates == 0 for o in outcomes)


def _decision_data(n: int):
    from contracts import DecisionCal
    d = decision()
    d.pop("id")
    return DecisionCal.model_validate({**d, "rpls": f"63{n:08d}"})
