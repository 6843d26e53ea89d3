"""`relais partners …`, `relais audit` and the audit of an operator's reads, as an operator runs them."""

from __future__ import annotations

import json
import re

import pytest

from tests.factories import decision, decisions_document, siren


def add(relais, partner_id="bailleur-a", *extra: str, env=None):
    return relais("partners", "add", partner_id, "--siren", siren(), "--nom", "Habitat A", "--role", "bailleur",
                  "-c", "bailleurs", "--commune", "63430", *extra, env=env)


def test_add_shows_the_key_once_and_show_never_does(relais):
    added = add(relais)
    assert added.exit_code == 0, added.stderr
    key = re.search(r"(rk_[0-9a-f]{12}_\S+)", added.stdout).group(1)
    shown = relais("partners", "show", "bailleur-a", "--json")
    assert key not in shown.stdout
    data = json.loads(shown.stdout)
    assert data["role"] == "bailleur" and data["communes"] == ["63430"]
    assert [k["key_id"] for k in data["keys"]] == [key.split("_")[1]] and data["keys"][0]["valid"]
    listed = relais("partners", "list")
    assert "bailleur-a" in listed.stdout and key not in listed.stdout


def test_rotate_then_revoke_a_key(relais):
    first = re.search(r"key ([0-9a-f]{12})", add(relais).stdout).group(1)
    rotated = relais("partners", "rotate-key", "bailleur-a", "--overlap-days", "3")
    assert rotated.exit_code == 0 and f"previous key(s) {first} stay valid for 3 day(s)" in rotated.stdout
    keys = json.loads(relais("partners", "show", "bailleur-a", "--json").stdout)["keys"]
    assert keys[0]["expires_at"] is not None and keys[1]["expires_at"] is None
    assert relais("partners", "revoke", "bailleur-a", "--key", first).exit_code == 0
    assert relais("partners", "revoke", "bailleur-a").exit_code == 0
    shown = json.loads(relais("partners", "show", "bailleur-a", "--json").stdout)
    assert shown["status"] == "revoked" and not any(k["valid"] for k in shown["keys"])


@pytest.mark.parametrize("args, code, error", [
    (["partners", "show", "nobody"], 1, "Error: no partner 'nobody' (see `relais partners list`)"),
    (["partners", "add", "x", "--siren", "123", "--nom", "n", "--role", "bailleur", "-c", "bailleurs"], 2,
     "Error: --siren: SIREN: expected 9 digits"),
    (["partners", "add", "x", "--siren", "732829320", "--nom", "n", "--role", "bailleur", "-c", "nope"], 2,
     "Error: no connector named 'nope'"),
    (["partners", "add", "x", "--siren", "732829320", "--nom", "n", "--role", "landlord", "-c", "bailleurs"], 2,
     "Error: Invalid value for '--role': 'landlord' is not one of"),
    (["partners", "revoke", "nobody"], 1, "Error: no partner 'nobody'"),
    (["dead", "show", "1", "--reveal"], 2, "Error: --reveal shows a household's personal values: say why"),
    (["audit", "--kind", "gossip"], 2, "Error: Invalid value for '--kind': 'gossip' is not one of"),
])
def test_wrong_inputs_get_one_line_and_the_documented_exit_code(relais, args, code, error):
    outcome = relais(*args)
    assert outcome.exit_code == code, outcome.stdout + outcome.stderr
    assert outcome.error_line.startswith(error), outcome.error_line


def test_an_id_already_taken_is_refused(relais):
    add(relais)
    again = add(relais)
    assert again.exit_code == 2 and "already exists" in again.error_line


def test_stock_import_reads_the_rpls_column_and_refuses_a_bad_file_whole(relais, tmp_path):
    add(relais)
    (tmp_path / "good.csv").write_text("commune;RPLS\n63430;0001234567\n63430;000123456X\n", encoding="utf-8")
    (tmp_path / "bad.csv").write_text("RPLS\n0001234568\nbad\n", encoding="utf-8")
    assert "2 dwelling(s) imported for bailleur-a; 2 known" in \
        relais("partners", "stock", "import", "bailleur-a", str(tmp_path / "good.csv")).stdout
    bad = relais("partners", "stock", "import", "bailleur-a", str(tmp_path / "bad.csv"))
    assert bad.exit_code == 2 and "dwelling 2: RPLS identifier" in bad.error_line
    assert json.loads(relais("partners", "show", "bailleur-a", "--json").stdout)["stock_dwellings"] == 2


def test_reads_and_reveals_are_audited_with_who_and_why(relais, tmp_path):
    document = decisions_document([decision(), decision(decision="attribution_rang")])   # the second: no rang
    (tmp_path / "cal.json").write_text(json.dumps(document), encoding="utf-8")
    assert relais("ingest", "-c", "bailleurs", str(tmp_path / "cal.json")).exit_code == 3
    numero = document["decisions"][0]["numero_unique"]
    assert relais("--as", "alice", "history", numero).exit_code == 0
    hidden = relais("--as", "bob", "dead", "show", "1")
    assert hidden.exit_code == 0 and document["decisions"][1]["numero_unique"] not in hidden.stdout
    revealed = relais("--as", "bob", "dead", "show", "1", "--reveal", "--reason", "ticket 42: fix the rang")
    assert document["decisions"][1]["numero_unique"] in json.loads(revealed.stdout)["payload"]
    # reads and reveals only: the policy's refusals to deliver the decisions to the SIAO and the COMED (households
    # they did not orient or decide on) are in the trail too, as rows of kind policy
    trail = [r for r in json.loads(relais("audit", "--json").stdout) if r["kind"] != "policy"]
    assert [(r["kind"], r["actor"], r["action"], r["target"], r["reason"]) for r in trail] == [
        ("read", "operator:alice", "history", numero, None),
        ("read", "operator:bob", "dead show", "dead letter #1", None),
        ("reveal", "operator:bob", "dead show --reveal", "dead letter #1", "ticket 42: fix the rang"),
    ]
    only_bob = relais("audit", "--partner", "operator:bob", "--kind", "reveal")
    assert "ticket 42" in only_bob.stdout and "alice" not in only_bob.stdout


def test_the_operator_defaults_to_the_system_account(relais, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "carol")
    relais("history", "0631126000100G6301")
    trail = json.loads(relais("audit", "--json", "--kind", "read").stdout)
    assert trail[0]["actor"] == "operator:carol"


def test_policy_explain_names_the_rule_that_let_each_event_through_or_why_not(relais, tmp_path):
    numero = "0631126000100G6301"
    document = decisions_document([decision(numero_unique=numero, commune="63430"),
                                   decision(numero_unique=numero, commune="63300")])
    (tmp_path / "cal.json").write_text(json.dumps(document), encoding="utf-8")
    assert relais("ingest", "-c", "bailleurs", str(tmp_path / "cal.json")).exit_code == 0
    assert relais("partners", "add", "action-logement", "--siren", siren(), "--nom", "Action Logement",
                  "--role", "reservataire", "-c", "bailleurs", "--commune", "63430").exit_code == 0
    explained = json.loads(relais("--as", "dana", "policy", "explain", "action-logement", numero, "--json").stdout)
    assert [(e["allowed"], e["rule"]) for e in explained["events"]] == [
        (True, "reservataire_on_its_reservation_communes"), (False, None)]
    assert "holds no reservation in the event's communes (63300)" in explained["events"][1]["why"]
    text = relais("policy", "explain", "connector:habisoft", numero).stdout
    assert text.count("allowed by registration_services") == 2
    trail = json.loads(relais("audit", "--json", "--partner", "operator:dana").stdout)
    assert [(r["action"], r["target"]) for r in trail] == [("policy explain", numero)]


def test_a_key_can_go_to_an_owner_only_file_instead_of_the_terminal(relais, tmp_path):
    added = add(relais, "bailleur-a", "--key-file", str(tmp_path / "a.key"))
    key = (tmp_path / "a.key").read_text().strip()
    assert key.startswith("rk_") and key not in added.stdout
    assert (tmp_path / "a.key").stat().st_mode & 0o077 == 0
    relais("partners", "rotate-key", "bailleur-a", "--key-file", str(tmp_path / "b.key"))
    assert (tmp_path / "b.key").read_text().strip() != key


def test_the_emit_scope_is_set_and_reset(relais):
    add(relais)
    assert "bailleur-a may emit: decision_cal.v1" in relais("partners", "set-emits", "bailleur-a",
                                                             "decision_cal.v1").stdout
    assert json.loads(relais("partners", "show", "bailleur-a", "--json").stdout)["emits"] == ["decision_cal.v1"]
    relais("partners", "set-emits", "bailleur-a", "--default")
    assert json.loads(relais("partners", "show", "bailleur-a", "--json").stdout)["emits"] is None


def test_an_operator_ingests_a_partners_file_as_that_partners(relais, tmp_path):
    add(relais, "bailleur-a")
    siren_a = json.loads(relais("partners", "show", "bailleur-a", "--json").stdout)["siren"]
    own, forged = decisions_document([decision()], bailleur_siren=siren_a), decisions_document([decision()])
    (tmp_path / "own.json").write_text(json.dumps(own), encoding="utf-8")
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    out = relais("ingest", "-c", "bailleurs", "--as-partner", "bailleur-a", str(tmp_path / "own.json"),
                 str(tmp_path / "forged.json"))
    assert out.exit_code == 3
    assert out.stdout.splitlines()[0] == "1 event(s) journaled, 0 duplicate(s), 1 rejected"
    assert "refused, not kept:" in out.stdout and "entity.siren" in out.stdout
    history = relais("history", own["decisions"][0]["numero_unique"]).stdout
    assert f"Habitat A (SIREN {siren_a})" in history
    assert "no dead letters" in relais("dead", "list").stdout
    wrong = relais("ingest", "-c", "bailleurs", "--as-partner", "nobody", str(tmp_path / "own.json"))
    assert wrong.exit_code == 2 and "--as-partner nobody: not an active partner" in wrong.error_line


def test_a_file_in_a_landlords_inbox_directory_is_shown_by_history_as_that_landlords(relais, tmp_path):
    assert add(relais).exit_code == 0
    own_siren = json.loads(relais("partners", "show", "bailleur-a", "--json").stdout)["siren"]
    document = decisions_document([decision()], bailleur_siren=own_siren)
    document["bailleur"]["nom"] = "A name the file made up"
    drop = tmp_path / "home" / "inbox" / "bailleurs" / "bailleur-a"
    drop.mkdir(parents=True)
    (drop / "cal.json").write_text(json.dumps(document), encoding="utf-8")
    assert relais("run", "--once").exit_code == 0
    shown = relais("history", document["decisions"][0]["numero_unique"])
    assert shown.exit_code == 0 and f"Habitat A (SIREN {own_siren})" in shown.stdout
    assert "made up" not in shown.stdout
