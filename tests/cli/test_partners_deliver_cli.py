"""`relais partners deliver`: an operator chooses how a partner receives its events; the signing secret is shown
once (or written owner-only) and never again; the running hub then delivers to the partner's own subscriber."""

from __future__ import annotations

import json
import re
import stat

from tests.factories import decision, siren, write_decisions


def add(relais, partner_id="bailleur-a", communes=("63430",)):
    args = [a for c in communes for a in ("--commune", c)]
    out = relais("partners", "add", partner_id, "--siren", siren(), "--nom", "Habitat A", "--role", "bailleur",
                 "-c", "bailleurs", *args)
    assert out.exit_code == 0, out.stderr


def test_webhook_secret_is_shown_once_and_never_again(relais):
    add(relais)
    out = relais("partners", "deliver", "bailleur-a", "--webhook", "https://caleol.example/relais",
                 "--concurrency", "4", "--subscribe", "decision_cal.*")
    assert out.exit_code == 0, out.stderr
    secret = re.search(r"^\s+(whsec_\S+)$", out.stdout, flags=re.MULTILINE).group(1)
    assert "as subscriber partner.bailleur-a; restart `relais run`" in out.stdout
    shown = relais("partners", "show", "bailleur-a", "--json")
    assert secret not in shown.stdout
    assert json.loads(shown.stdout)["channel"] == {
        "kind": "webhook", "url": "https://caleol.example/relais", "directory": None, "concurrency": 4,
        "subscriptions": ["decision_cal.*"], "subscriber": "partner.bailleur-a"}
    text = relais("partners", "show", "bailleur-a")
    assert "receives: webhook https://caleol.example/relais (signed; 4 in flight)" in text.stdout
    trail = relais("audit", "--kind", "admin")
    assert "partners deliver --webhook" in trail.stdout and secret not in trail.stdout

    kept = relais("partners", "deliver", "bailleur-a", "--webhook", "https://caleol.example/v2", "--keep-secret")
    assert kept.exit_code == 0 and "whsec_" not in kept.stdout


def test_secret_file_is_owner_only(relais, tmp_path):
    add(relais)
    out = relais("partners", "deliver", "bailleur-a", "--webhook", "http://127.0.0.1:9/x", "--secret-file",
                 str(tmp_path / "secret"))
    assert out.exit_code == 0, out.stderr
    assert "whsec_" not in out.stdout
    written = tmp_path / "secret"
    assert written.read_text().startswith("whsec_") and stat.S_IMODE(written.stat().st_mode) == 0o600


def test_wrong_channels_are_refused_with_the_fix(relais):
    add(relais)
    bad_url = relais("partners", "deliver", "bailleur-a", "--webhook", "caleol.example/relais")
    assert bad_url.exit_code == 2
    assert bad_url.error_line.startswith("Error: --webhook 'caleol.example/relais': give an absolute http(s) URL")
    no_secret = relais("partners", "deliver", "bailleur-a", "--pull")
    assert no_secret.exit_code == 0
    keep = relais("partners", "deliver", "bailleur-a", "--webhook", "https://x.example/e", "--keep-secret")
    assert keep.exit_code == 2 and "--keep-secret: bailleur-a has no webhook secret yet" in keep.error_line
    pattern = relais("partners", "deliver", "bailleur-a", "--pull", "--subscribe", "decision*")
    assert pattern.exit_code == 2 and pattern.error_line.startswith("Error: --subscribe 'decision*': a topic")


def test_an_outbox_partner_receives_at_the_next_run_and_none_stops_it(relais, tmp_path):
    add(relais, "bailleur-a", ("63430",))
    out = relais("partners", "deliver", "bailleur-a", "--outbox", "out-a")    # relative: made absolute
    assert out.exit_code == 0 and f"outbox {tmp_path / 'out-a'}" in out.stdout
    write_decisions(tmp_path / "home" / "inbox" / "bailleurs", "cal.json",
                    [decision(commune="63430"), decision(commune="63300")])
    ran = relais("run", "--once", "--no-progress", env={"RELAIS_PLUGINS": "bailleurs"})
    assert ran.exit_code == 0, ran.stderr
    assert "  out partner.bailleur-a: 1 delivered, 0 failed" in ran.stdout
    assert len(list((tmp_path / "out-a").glob("*.json"))) == 1
    replayed = relais("replay", "-c", "partner.bailleur-a", "--since", "2000-01-01",
                      env={"RELAIS_PLUGINS": "bailleurs"})
    assert replayed.exit_code == 0, replayed.stderr
    assert replayed.stdout.splitlines() == [
        "1 event(s) queued again for partner.bailleur-a; the running hub delivers them (or run `relais run --once`)",
        "1 event(s) not sent: the access rules do not let partner.bailleur-a see them"]
    (tmp_path / "out-a" / ".tmp-interrupted.part").write_bytes(b"{")     # a write a killed hub left
    again = relais("run", "--once", "--no-progress", env={"RELAIS_PLUGINS": "bailleurs"})
    assert "  out partner.bailleur-a: 1 delivered, 0 failed" in again.stdout
    assert sorted(f.name for f in (tmp_path / "out-a").iterdir() if f.name.startswith(".")) == []
    listed = relais("deliveries", "-c", "partner.bailleur-a")
    assert "partner.bailleur-a" in listed.stdout and "delivered" in listed.stdout and "denied" in listed.stdout

    assert relais("partners", "deliver", "bailleur-a", "--none").stdout.startswith("bailleur-a receives nothing")
    write_decisions(tmp_path / "home" / "inbox" / "bailleurs", "more.json", [decision(commune="63430")])
    assert relais("run", "--once", "--no-progress", env={"RELAIS_PLUGINS": "bailleurs"}).exit_code == 0
    assert len(list((tmp_path / "out-a").glob("*.json"))) == 1
