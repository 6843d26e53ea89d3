"""The SNE connector as the hub sees it: found through its entry point, declares what it receives and emits,
delivers to its outbox by default, never echoes the SNE's own events back, validates its settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from golden import load_expected
from pydantic import ValidationError
from sne_support import make_connector

from hub import PartnerRole, RawMessage
from hub.core.plugins import PluginHost
from plugins.sne.connector import SneConnector
from plugins.sne.settings import SneSettings
from plugins.sne.synthetic import iter_examples


def test_registered_through_the_entry_point() -> None:
    host = PluginHost.load(allow=["sne"])
    assert host.failures == []
    assert host.connector_classes()["sne"] == ("sne", SneConnector)


def test_declarations() -> None:
    assert SneConnector.role is PartnerRole.SNE
    assert set(SneConnector.subscriptions) == {
        "demande_enregistree.*", "demande_modifiee.*", "demande_renouvelee.*", "demande_radiee.*",
        "attribution_reportee.*", "decision_dalo.*", "avis_renouvellement_liste.*"}
    # the day's list of notices due is received, never emitted
    assert set(SneConnector.emits) == set(SneConnector.subscriptions) - {"avis_renouvellement_liste.*"}
    assert SneConnector.settings_model is SneSettings
    assert ".xml" in SneConnector.file_suffixes


def test_delivery_writes_the_outbox(connector, tmp_path: Path) -> None:
    event = load_expected("demande_radiee_attribution")
    message = connector.encode(event)
    connector.deliver(event, message)
    connector.deliver(event, message)          # idempotent: same name, same bytes
    written = tmp_path / "outbox" / f"{event.id}.xml"
    assert written.read_bytes() == message.body
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == [written.name]


def test_events_from_the_sne_are_not_sent_back(connector, tmp_path: Path) -> None:
    body = (Path(__file__).resolve().parents[2] / "fixtures" / "sne" / "decision_dalo.xml").read_bytes()
    [event] = list(connector.decode(RawMessage.from_bytes(body, origin="dalo.xml")))
    connector.deliver(event, connector.encode(event))
    assert not (tmp_path / "outbox").exists()


def test_an_event_the_format_cannot_carry_is_rejected(connector) -> None:
    from contracts import REGISTRY, LegalEntity
    from contracts.events import InscriptionCal
    from hub import RejectError

    event = REGISTRY.build(InscriptionCal(numero_unique="0630124000001G6301", rpls="0000000001", commune="63430",
                                          date_commission="2025-01-10"),
                           source="bailleurs", entity=LegalEntity(siren="732829320", nom="Bailleur"))
    with pytest.raises(RejectError, match="carries no inscription_cal.v1"):
        connector.encode(event)


@pytest.mark.parametrize("settings, message", [
    ({"username": "u"}, "username and password"),
    ({"client_key": "/k.pem"}, "client_key: requires client_certificate"),
    ({"endpoint": "ftp://sne"}, "URL scheme should be 'http' or 'https'"),
    ({"version_interface": "03.00"}, "02.00"),
    ({"endpoint_typo": "x"}, "Extra inputs are not permitted"),
])
def test_settings_are_validated(settings: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SneSettings(**settings)


@pytest.mark.parametrize("seed", range(12))
def test_round_trip_of_generated_events(seed: int, tmp_path: Path) -> None:
    """decode(encode(event)) gives back the event's payload and legal entity, for every message kind."""
    connector = make_connector(tmp_path)
    for event in iter_examples(seed):
        [decoded] = list(connector.decode(RawMessage.from_bytes(connector.encode(event).body, origin="rt.xml")))
        assert decoded.type == event.type
        assert decoded.data == event.data
        assert decoded.entity == event.entity
        assert decoded.time == event.time
