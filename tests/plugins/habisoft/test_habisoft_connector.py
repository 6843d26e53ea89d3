"""The Habisoft connector as the hub sees it: entry point, declarations, outbox delivery (``<event id>.xml``, on
which the core's end-to-end test relies), no echo, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from habisoft_golden import golden_events, load_expected

from hub import PartnerRole, RawMessage, RejectError
from hub.core.plugins import PluginHost
from hub.xml_safe import parse
from plugins.habisoft.connector import HabisoftConnector
from plugins.habisoft.schema import q


def test_registered_through_the_entry_point() -> None:
    host = PluginHost.load(allow=["habisoft"])
    assert host.failures == []
    assert host.connector_classes()["habisoft"] == ("habisoft", HabisoftConnector)


def test_declarations() -> None:
    assert HabisoftConnector.role is PartnerRole.FICHIER_PARTAGE
    subscriptions = set(HabisoftConnector.subscriptions)
    assert {"decision_cal.*", "designation_candidat.*", "inscription_cal.*", "visite_proposee.*",
            "visite_effectuee.*", "refus_demandeur.*", "bail_signe.*", "label_prioritaire_pose.*",
            "label_prioritaire_leve.*", "piece_deposee.*", "piece_demandee.*"} <= subscriptions
    assert HabisoftConnector.emits == HabisoftConnector.subscriptions


def test_each_delivered_decision_is_an_xml_file_named_after_the_event(habisoft, tmp_path: Path) -> None:
    event = load_expected("decision_cal_attribution")
    habisoft.deliver(event, habisoft.encode(event))
    written = tmp_path / "outbox" / f"{event.id}.xml"
    root = parse(written.read_bytes(), origin=written.name)
    assert root.tag == q("evenement") and root.get("id") == event.id
    assert root.findtext(q("numeroUnique")) == event.subject     # what the core's end-to-end test reads
    assert root.find(f"{q('decisionCal')}/{q('numeroUnique')}").text == event.subject


def test_events_from_habisoft_are_not_sent_back(habisoft, tmp_path: Path) -> None:
    body = (Path(__file__).resolve().parents[2] / "fixtures" / "habisoft" / "bail_signe.xml").read_bytes()
    [event] = list(habisoft.decode(RawMessage.from_bytes(body, origin="b.xml")))
    habisoft.deliver(event, habisoft.encode(event))
    assert not (tmp_path / "outbox").exists()


def test_an_event_habisoft_does_not_carry(habisoft) -> None:
    from contracts import REGISTRY, LegalEntity
    from contracts.events import InscriptionSyplo

    event = REGISTRY.build(InscriptionSyplo(numero_unique="0630124000001G6301", statut="INSCRIT",
                                            date_statut="2025-01-01"),
                           source="siao", entity=LegalEntity(siren="130021405", nom="SIAO"))
    with pytest.raises(RejectError, match="carries no inscription_syplo.v1"):
        habisoft.encode(event)


def test_round_trip_of_every_kind(habisoft) -> None:
    for name, event in golden_events().items():
        [decoded] = list(habisoft.decode(RawMessage.from_bytes(habisoft.encode(event).body, origin=name)))
        assert (decoded.type, decoded.data, decoded.entity, decoded.time) == \
            (event.type, event.data, event.entity, event.time), name


def test_sne_events_round_trip_through_habisoft(habisoft) -> None:
    """Demands from the SNE's generator (every CERFA section) survive Habisoft's format losslessly."""
    from plugins.sne.synthetic import iter_examples

    for seed in range(6):
        for event in iter_examples(seed):
            [decoded] = list(habisoft.decode(RawMessage.from_bytes(habisoft.encode(event).body, origin="x")))
            assert decoded.data == event.data


def test_relais_extension_codes_survive_habisoft_but_fold_in_the_sne(habisoft, tmp_path: Path) -> None:
    """Habisoft's codes are the contracts' own (lossless); the SNE writes an extension as its national code."""
    from tests_sne_bridge import sne_connector

    from contracts.enums import MotifDemande, SituationLogementActuel
    from plugins.sne.synthetic import SyntheticSne

    event = SyntheticSne(8).enregistree()
    demande = event.data.demande.model_copy(update={
        "motifs": (MotifDemande.LOGEMENT_INDIGNE, MotifDemande.SORTIE_ASE),
        "logement_actuel": event.data.demande.logement_actuel.model_copy(
            update={"situation": SituationLogementActuel.HABITAT_MOBILE}),
        "mutation": None})
    event = event.model_copy(update={"data": event.data.model_copy(update={"demande": demande})})
    [via_habisoft] = list(habisoft.decode(RawMessage.from_bytes(habisoft.encode(event).body, origin="h")))
    assert via_habisoft.data.demande == demande
    sne = sne_connector(tmp_path)
    [via_sne] = list(sne.decode(RawMessage.from_bytes(sne.encode(event).body, origin="s")))
    assert via_sne.data.demande.motifs == (MotifDemande.NON_DECENT_INSALUBRE, MotifDemande.SANS_LOGEMENT)
    assert via_sne.data.demande.logement_actuel.situation is SituationLogementActuel.CAMPING
