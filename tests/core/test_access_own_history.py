"""Two SIAO (two départements) and two COMED on one hub: each receives the outcomes of the households *it* oriented
or decided on, never those only the other one did (the access rules' ``from = "self"``: the history event that grants
must be the recipient's own, by its legal entity)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.core.channels import ChannelKind
from hub.core.runtime import Hub
from hub.testing import build_host
from tests.factories import decision, numero_unique, siren, write_decisions
from tests.plugins.partners_support import with_connectors

PARTNERS = {"siao-63": ("siao", "siao"), "siao-03": ("siao", "siao"),
            "comed-63": ("comed", "dalo"), "comed-03": ("comed", "dalo")}


@pytest.fixture
def settings(hub_settings):
    return with_connectors(hub_settings, siao={}, dalo={}, bailleurs={})


def make_hub(settings) -> Hub:
    return Hub(settings, build_host(["siao", "dalo", "bailleurs"]))


def register(settings, tmp_path: Path) -> dict[str, str]:
    """Each partner with an outbox channel; returns id → SIREN."""
    sirens = {}
    with make_hub(settings) as hub:
        for partner_id, (role, connector) in PARTNERS.items():
            sirens[partner_id] = siren()
            hub.partners.add(partner_id, siren=sirens[partner_id], nom=partner_id.upper(), role=role,
                             connector=connector)
            hub.channels.set(partner_id, ChannelKind.OUTBOX, directory=tmp_path / "out" / partner_id)
    return sirens


def drop(settings, connector: str, partner_id: str, document: dict) -> None:
    directory = settings.home / "inbox" / connector / partner_id
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "in.json").write_text(json.dumps(document), encoding="utf-8")


def orientation(siao_siren: str, numero: str) -> dict:
    return {"format": "relais.siao.labels/1", "siao": {"siren": siao_siren, "nom": "SIAO"}, "records": [
        {"id": f"R-{numero}", "numero_unique": numero, "communes_souhaitees": ["63430"],
         "demande_siao": {"reference": f"SIAO-{numero}", "date_demande": "2026-10-02"}}]}


def dalo_decision(comed_siren: str, numero: str) -> dict:
    return {"format": "relais.dalo.decisions/1", "comed": {"siren": comed_siren, "nom": "COMED"}, "decisions": [
        {"id": f"D-{numero}", "numero_unique": numero, "numero_recours": "063-2026-001",
         "date_depot_recours": "2026-09-14", "date_decision": "2026-11-26", "decision": "prioritaire_et_urgent"}]}


def received(tmp_path: Path, partner_id: str) -> set[tuple[str, str]]:
    directory = tmp_path / "out" / partner_id
    return {(e["type"], e["subject"]) for e in (json.loads(f.read_text()) for f in directory.glob("*.json"))} \
        if directory.is_dir() else set()


def test_each_siao_and_comed_receives_only_its_own_households_outcomes(settings, tmp_path):
    sirens = register(settings, tmp_path)
    oriented_63, oriented_03, decided_63, decided_03 = (numero_unique() for _ in range(4))
    drop(settings, "siao", "siao-63", orientation(sirens["siao-63"], oriented_63))
    drop(settings, "siao", "siao-03", orientation(sirens["siao-03"], oriented_03))
    drop(settings, "dalo", "comed-63", dalo_decision(sirens["comed-63"], decided_63))
    drop(settings, "dalo", "comed-03", dalo_decision(sirens["comed-03"], decided_03))
    with make_hub(settings) as hub:
        assert hub.run_once().unfinished == 0
    everyone = (oriented_63, oriented_03, decided_63, decided_03)
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json",
                    [decision(numero_unique=n, commune="63430") for n in everyone])
    with make_hub(settings) as hub:
        assert hub.run_once().unfinished == 0
    outcomes = {p: {s for t, s in received(tmp_path, p) if t == "decision_cal.v1"} for p in PARTNERS}
    assert outcomes == {"siao-63": {oriented_63}, "siao-03": {oriented_03},
                        "comed-63": {decided_63}, "comed-03": {decided_03}}


def test_policy_explain_says_the_orientation_was_another_siaos(settings, tmp_path):
    sirens = register(settings, tmp_path)
    numero = numero_unique()
    drop(settings, "siao", "siao-63", orientation(sirens["siao-63"], numero))
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [decision(numero_unique=numero)])
    with make_hub(settings) as hub:
        hub.run_once()
        mine = hub.demand_verdict(hub.partners.require("siao-63"), numero, ["63430"])
        other = hub.demand_verdict(hub.partners.require("siao-03"), numero, ["63430"])
    assert mine.allowed and mine.rule == "siao_for_households_it_labelled_or_oriented"
    assert f"emitted by itself (SIREN {sirens['siao-63']})" in mine.why
    assert not other.allowed
    assert f"only from others (SIREN {sirens['siao-63']})" in other.why
