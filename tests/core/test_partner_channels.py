"""Per-partner delivery channels: each registered partner with a channel is its own subscriber (``partner.<id>``),
receiving what its own access rules allow, never its own events, with the connectors' delivery machinery."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from hub.core.channels import ChannelKind, ChannelStore
from hub.core.partner_subscriber import RevocationWatch
from hub.core.partners import PartnerError
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from tests.factories import decision, siren, write_decisions


def make_hub(settings) -> Hub:
    return Hub(settings, PluginHost.load(allow=["bailleurs"]))


def register(settings, channels: dict[str, tuple[str, list[str]]], tmp_path: Path) -> dict[str, str]:
    """Partners of ``bailleurs`` with an outbox channel each: id → (SIREN, communes); returns id → SIREN."""
    sirens = {}
    with make_hub(settings) as hub:
        for partner_id, (role, communes) in channels.items():
            sirens[partner_id] = siren()
            hub.partners.add(partner_id, siren=sirens[partner_id], nom=f"Habitat {partner_id}", role=role,
                             connector="bailleurs", communes=communes)
            hub.channels.set(partner_id, ChannelKind.OUTBOX, directory=tmp_path / "out" / partner_id)
    return sirens


def received(tmp_path: Path, partner_id: str) -> list[dict]:
    directory = tmp_path / "out" / partner_id
    return [json.loads(f.read_text()) for f in sorted(directory.glob("*.json"))] if directory.is_dir() else []


def test_each_landlord_receives_only_the_decisions_of_its_territory(hub_settings, tmp_path):
    register(hub_settings, {"bailleur-a": ("bailleur", ["63430"]), "bailleur-b": ("bailleur", ["63300"])},
             tmp_path)
    in_a = [decision(commune="63430"), decision(commune="63430")]
    in_b = [decision(commune="63300")]
    elsewhere = [decision(commune="63113")]
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", in_a + in_b + elsewhere)
    with make_hub(hub_settings) as hub:
        summary = hub.run_once()
        assert summary.delivered == {"partner.bailleur-a": 2, "partner.bailleur-b": 1}
        assert summary.unfinished == 0
        hub.audit_buffer.flush()
        denials = hub.audit.entries(kind="policy")
    got_a = {e["data"]["numero_unique"] for e in received(tmp_path, "bailleur-a")}
    got_b = {e["data"]["numero_unique"] for e in received(tmp_path, "bailleur-b")}
    assert got_a == {d["numero_unique"] for d in in_a}
    assert got_b == {d["numero_unique"] for d in in_b}
    # each refusal is audited under the partner's own id, not the connector's
    assert sorted(r["actor"] for r in denials) == ["bailleur-a"] * 2 + ["bailleur-b"] * 3


def test_outbox_files_are_owner_only_and_whole(hub_settings, tmp_path):
    register(hub_settings, {"bailleur-a": ("bailleur", [])}, tmp_path)
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [decision(), decision()])
    with make_hub(hub_settings) as hub:
        hub.run_once()
    directory = tmp_path / "out" / "bailleur-a"
    files = sorted(directory.iterdir())
    assert len(files) == 2 and all(f.suffix == ".json" for f in files)   # no .tmp-*.part left behind
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert {json.loads(f.read_text())["type"] for f in files} == {"decision_cal.v1"}


def test_a_partner_is_not_sent_what_it_emitted_itself(hub_settings, tmp_path):
    sirens = register(hub_settings, {"bailleur-a": ("bailleur", ["63430"]), "bailleur-b": ("bailleur", ["63430"])},
                      tmp_path)
    own = [decision(commune="63430")]
    write_decisions(hub_settings.home / "inbox" / "bailleurs" / "bailleur-a", "cal.json", own,
                    bailleur_siren=sirens["bailleur-a"])
    with make_hub(hub_settings) as hub:
        summary = hub.run_once()
        assert summary.ingested["bailleurs"].journaled == 1
    assert received(tmp_path, "bailleur-a") == []
    assert [e["data"]["numero_unique"] for e in received(tmp_path, "bailleur-b")] == [own[0]["numero_unique"]]


def test_a_reservataire_receives_where_it_holds_reservations(hub_settings, tmp_path):
    register(hub_settings, {"action-logement": ("reservataire", ["63300"])}, tmp_path)
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json",
                    [decision(commune="63300"), decision(commune="63430")])
    with make_hub(hub_settings) as hub:
        hub.run_once()
    assert [e["data"]["commune"] for e in received(tmp_path, "action-logement")] == ["63300"]


def test_a_revoked_partner_receives_nothing_more(hub_settings, tmp_path):
    register(hub_settings, {"bailleur-a": ("bailleur", [])}, tmp_path)
    with make_hub(hub_settings) as hub:
        hub.partners.revoke("bailleur-a")
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [decision()])
    with make_hub(hub_settings) as hub:
        assert "partner.bailleur-a" not in hub.subscribers
        summary = hub.run_once()
        assert summary.delivered == {}
    assert received(tmp_path, "bailleur-a") == []


@pytest.mark.parametrize("backend", ["embedded"])
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "webhook", "url": "ftp://x.example/in"}, "--webhook 'ftp://x.example/in': give an absolute http(s)"),
    ({"kind": "webhook", "url": "https://user:pw@x.example/in"}, "--webhook: no credentials in the URL"),
    ({"kind": "webhook", "url": "https://x.example/in", "secret": "short"}, "--secret-file: a signing secret"),
    ({"kind": "webhook", "url": "https://x.example/in", "concurrency": 0}, "--concurrency 0: between 1 and 32"),
    ({"kind": "outbox", "directory": Path("relative/dir")}, "--outbox relative/dir: give an absolute directory"),
    ({"kind": "outbox", "directory": None}, "--outbox None: give an absolute directory"),
    ({"kind": "pull", "subscriptions": ["decision_cal.**"]}, "--subscribe 'decision_cal.**': a topic pattern"),
    ({"kind": "pull", "subscriptions": [""]}, "--subscribe '': a topic pattern"),
    ({"kind": "carrier-pigeon"}, "channel 'carrier-pigeon': one of webhook, outbox, pull"),
])
def test_a_wrong_channel_is_refused_naming_the_option_and_the_fix(hub_settings, kwargs, message):
    with make_hub(hub_settings) as hub:
        store = ChannelStore(hub.journal.engine)
        with pytest.raises(PartnerError, match="^" + re.escape(message)):
            store.set("bailleur-a", kwargs.pop("kind"), **kwargs)
        assert store.all() == []


@pytest.mark.parametrize("backend", ["embedded"])
def test_a_partner_id_too_long_for_a_subscriber_name_is_refused(hub_settings):
    with make_hub(hub_settings) as hub:
        with pytest.raises(PartnerError, match="at most 56 characters"):
            hub.channels.set("b" * 57, ChannelKind.PULL)
        assert hub.channels.set("b" * 56, ChannelKind.PULL).subscriber == "partner." + "b" * 56


@pytest.mark.parametrize("backend", ["embedded"])
def test_a_webhook_secret_never_reaches_the_logs(hub_settings, tmp_path):
    from structlog.testing import capture_logs

    from hub.core.config import RetrySettings
    from tests.asgi import free_port
    secret = "whsec_never-log-me-0123456789abcdef"
    settings = hub_settings.model_copy(update={"retry": RetrySettings(max_attempts=1)})
    with make_hub(settings) as hub:
        hub.partners.add("bailleur-a", siren=siren(), nom="Habitat A", role="bailleur", connector="bailleurs")
        hub.channels.set("bailleur-a", ChannelKind.WEBHOOK, url=f"http://127.0.0.1:{free_port()}/down", secret=secret)
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [decision()])
    with capture_logs() as logs, make_hub(settings) as hub:
        summary = hub.run_once()
        assert summary.failed == {"partner.bailleur-a": 1}
        dead = hub.journal.dead_letters(connector="partner.bailleur-a")
    assert len(dead) == 1 and "unreachable" in dead[0]["attempts"]
    assert any(e["event"] == "delivery_dead_lettered" for e in logs)
    assert secret not in repr(logs) and secret not in repr(dead)


def test_a_partner_revoked_during_a_run_is_delivered_nothing_more_and_its_events_wait(hub_settings, tmp_path):
    """Revoked by the operator while this process runs: the next look at the registry (every 30 s at most) stops
    its deliveries, without a restart; its events stay pending, as the next start leaves them."""
    register(hub_settings, {"bailleur-a": ("bailleur", [])}, tmp_path)
    now = [0.0]
    with make_hub(hub_settings) as hub:
        hub.revocations = RevocationWatch(hub.partner_subscribers, lambda pid: hub.find_partner(pid) is not None,
                                          clock=lambda: now[0])
        write_decisions(hub_settings.home / "inbox" / "bailleurs", "one.json", [decision()])
        assert hub.run_once().delivered == {"partner.bailleur-a": 1}
        hub.partners.revoke("bailleur-a")
        write_decisions(hub_settings.home / "inbox" / "bailleurs", "two.json", [decision()])
        now[0] = 29.0                              # not looked again yet: the documented delay
        assert hub.run_once().delivered == {"partner.bailleur-a": 1}
        write_decisions(hub_settings.home / "inbox" / "bailleurs", "three.json", [decision()])
        now[0] = 30.0
        summary = hub.run_once()
        assert summary.delivered == {} and "partner.bailleur-a" not in summary.left
        assert hub.journal.delivery_counts().get(("partner.bailleur-a", "pending")) == 1
    assert len(received(tmp_path, "bailleur-a")) == 2


def test_a_webhook_failure_is_stored_and_logged_without_the_urls_token(hub_settings, tmp_path, capfd):
    from sqlalchemy import select

    from hub.core.journal_schema import deliveries
    from tests.asgi import free_port
    with make_hub(hub_settings) as hub:
        hub.partners.add("bailleur-a", siren=siren(), nom="Habitat A", role="bailleur", connector="bailleurs")
        hub.channels.set("bailleur-a", ChannelKind.WEBHOOK,
                         url=f"http://127.0.0.1:{free_port()}/events?token=s3cr3t-t0ken")
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [decision()])
    with make_hub(hub_settings) as hub:
        assert hub.run_once().failed == {"partner.bailleur-a": 1}
        with hub.journal.engine.connect() as conn:
            [stored] = conn.execute(select(deliveries.c.last_error)
                                    .where(deliveries.c.subscriber == "partner.bailleur-a")).scalars()
    assert "/events?***" in stored and "s3cr3t" not in stored
    logged = capfd.readouterr()
    assert "delivery_failed" in logged.out + logged.err and "s3cr3t" not in logged.out + logged.err
