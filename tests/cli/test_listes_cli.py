"""``relais listes export``: CSV and JSON, filtered by territory, written to a file; the export is logged."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from contracts import LegalEntity
from contracts.enums import MotifRefus, SensDecisionDalo, TypeDecisionCal
from contracts.events import BailSigne, DecisionDalo, RefusDemandeur
from hub.settings import HubSettings
from tests.plugins.cotation.processor_support import Clock, journal, make_hub
from tests.plugins.listes.test_listes_processor import A, B, C, X, Y, registered, rank

DAY = date(2026, 11, 30)
COMED_63 = LegalEntity(siren="552046484", nom="COMED du Puy-de-Dôme")


def _territory(tmp_path) -> None:
    settings = HubSettings(home=tmp_path / "home", seed_examples=False)
    with make_hub(settings, Clock(DAY), ("listes",)) as hub:
        journal(hub, registered(A), registered(B, depot=date(2025, 1, 10)), registered(C))
        journal(hub, DecisionDalo(numero_unique=A, numero_recours="063-2026-007", date_depot_recours=DAY,
                                  date_decision=DAY, decision=SensDecisionDalo.PRIORITAIRE_ET_URGENT))
        journal(hub, rank(B, Y, 3, day=DAY - timedelta(days=60)), rank(B, X, 2),
                RefusDemandeur(numero_unique=B, rpls=Y, commune="63125", date_refus=DAY - timedelta(days=20),
                               motif=MotifRefus.LOYER_CHARGES, offre_adaptee=False),
                rank(C, X, None, decision=TypeDecisionCal.ATTRIBUTION), rank(C, Y, 1, day=DAY - timedelta(days=60)))
        journal(hub, BailSigne(numero_unique=C, rpls=X, commune="63430", date_signature=DAY),
                BailSigne(numero_unique=C, rpls=Y, commune="63430", date_signature=DAY - timedelta(days=30)))


def test_export_the_poulidor_list_as_json_with_its_rankings_and_refusals_newest_first(relais, tmp_path):
    _territory(tmp_path)
    out = relais("listes", "export", "poulidor", "--format", "json")
    assert out.exit_code == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["liste"] == "poulidor" and document["nombre"] == 1
    [row] = document["demandes"]
    assert row["numero_unique"] == B
    assert [(c["rpls"], c["rang"]) for c in row["classements"]] == [(X, 2), (Y, 3)]
    assert [(r["rpls"], r["motif"]) for r in row["refus"]] == [(Y, "loyer_charges")]
    [audit] = [json.loads(line) for line in out.stderr.splitlines() if '"liste_exportee"' in line]
    assert audit["liste"] == "poulidor" and audit["lignes"] == 1 and B not in json.dumps(audit)


def test_export_as_csv_to_a_file_and_by_commune(relais, tmp_path):
    _territory(tmp_path)
    target = tmp_path / "prioritaires.csv"
    out = relais("listes", "export", "prioritaires", "--out", str(target))
    assert out.exit_code == 0, out.stderr
    assert "relais: 1 demande(s) of list prioritaires written to" in out.stderr
    [header, *lines] = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8")), delimiter=";"))
    assert header[:4] == ["numero_unique", "depuis", "motifs", "contingents"]
    assert [(line[0], line[2], line[3]) for line in lines] == [(A, "dalo", "PPRIOR")]
    wished = registered(A).demande.souhaits.communes
    elsewhere = "63999" if "63999" not in wished else "63998"
    out = relais("listes", "export", "prioritaires", "--communes", elsewhere)
    assert out.stdout.splitlines() == [";".join(header)]
    out = relais("listes", "export", "prioritaires", "--communes", f"{elsewhere},{wished[0]}")
    assert len(out.stdout.splitlines()) == 2


def test_export_of_the_delai_list_counts_the_months_of_waiting(relais, tmp_path):
    _territory(tmp_path)
    out = relais("listes", "export", "delai_depasse", "--format", "json", "--au", DAY.isoformat())
    [row] = json.loads(out.stdout)["demandes"]
    # filed 10 January 2025: 15 months reached on 10 April 2026; 22 complete months on 30 November 2026
    assert row["numero_unique"] == B and row["depuis"] == "2026-04-10" and row["mois_attente"] == 22


def _households_on_two_communes(tmp_path) -> None:
    """A and B, both DALO priority households (decided by ``COMED_63``): A wishes only 63430, B only 63125."""
    settings = HubSettings(home=tmp_path / "home", seed_examples=False)
    with make_hub(settings, Clock(DAY), ("listes",)) as hub:
        for numero, commune in ((A, "63430"), (B, "63125")):
            household = registered(numero)
            demande = household.demande.model_copy(update={"souhaits": household.demande.souhaits.model_copy(
                update={"communes": (commune,)})})
            journal(hub, household.model_copy(update={"demande": demande}))
            journal(hub, DecisionDalo(numero_unique=numero, numero_recours=f"063-2026-{numero[-3:]}",
                                      date_depot_recours=DAY, date_decision=DAY,
                                      decision=SensDecisionDalo.PRIORITAIRE_ET_URGENT), entity=COMED_63)


def test_a_reservataire_gets_only_the_households_of_its_reservation_commune_and_the_export_is_audited(
        relais, tmp_path):
    _households_on_two_communes(tmp_path)
    added = relais("partners", "add", "action-logement", "--siren", "552046484", "--nom", "Action Logement",
                   "--role", "reservataire", "--connector", "listes", "--commune", "63125")
    assert added.exit_code == 0, added.stderr
    out = relais("--as", "agent-dupont", "listes", "export", "prioritaires", "--format", "json",
                 "--partner", "action-logement")
    assert out.exit_code == 0, out.stderr
    assert [row["numero_unique"] for row in json.loads(out.stdout)["demandes"]] == [B]
    full = relais("--as", "agent-dupont", "listes", "export", "prioritaires", "--format", "json")
    assert sorted(row["numero_unique"] for row in json.loads(full.stdout)["demandes"]) == sorted([A, B])

    trail = json.loads(relais("audit", "--kind", "read", "--partner", "operator:agent-dupont", "--json").stdout)
    exports = [r for r in trail if r["action"] == "listes export prioritaires"]
    assert [(r["target"], r["reason"]) for r in exports] == [
        ("partner:action-logement", "rows=1 format=json communes=all role=reservataire"),
        ("operator view", "rows=2 format=json communes=all")]
    assert A not in json.dumps(trail, default=str) and B not in json.dumps(trail, default=str)


def test_an_unknown_partner_is_a_usage_error_naming_the_option(relais, tmp_path):
    _households_on_two_communes(tmp_path)
    out = relais("listes", "export", "prioritaires", "--partner", "nobody")
    assert out.exit_code == 2
    assert "--partner nobody: no active partner of that id (see `relais partners list`)" in out.stderr
    assert out.stdout == ""


def test_the_comed_gets_the_dalo_households_and_the_siao_none_it_did_not_orient(relais, tmp_path):
    """Rules on a household's journaled history reach the export too (the same engine as for events): the COMED
    that decided gets its DALO households, another département's COMED none of them."""
    _households_on_two_communes(tmp_path)
    for partner_id, role, siren in (("comed-63", "comed", COMED_63.siren), ("siao-63", "siao", "732829320"),
                                    ("comed-03", "comed", "130007669")):
        added = relais("partners", "add", partner_id, "--siren", siren, "--nom", partner_id, "--role", role,
                       "--connector", "listes")
        assert added.exit_code == 0, added.stderr
    comed = relais("listes", "export", "prioritaires", "--format", "json", "--partner", "comed-63")
    assert sorted(row["numero_unique"] for row in json.loads(comed.stdout)["demandes"]) == sorted([A, B])
    siao = relais("listes", "export", "prioritaires", "--format", "json", "--partner", "siao-63")
    assert json.loads(siao.stdout)["nombre"] == 0
    other_comed = relais("listes", "export", "prioritaires", "--format", "json", "--partner", "comed-03")
    assert json.loads(other_comed.stdout)["nombre"] == 0
