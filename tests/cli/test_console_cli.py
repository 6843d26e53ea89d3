"""``relais console users``: accounts tied to a registry partner and a role; passwords never on the command line,
hashed with argon2; disabling and resetting end the sessions; every change audited."""

from __future__ import annotations

from hub.console.accounts import AccountStore, SignInRefused
from hub.core.audit import AuditKind
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.settings import HubSettings

PASSWORD = "une phrase de passe assez longue"


def _hub(tmp_path) -> Hub:
    return Hub(HubSettings(home=tmp_path / "home", seed_examples=False), PluginHost.load(allow=["bailleurs"]))


def test_the_first_account_is_made_from_a_registry_partner_and_signs_in(relais, tmp_path):
    assert relais("partners", "add", "epci-thiers", "--siren", "200071389", "--nom", "Thiers Dore et Montagne",
                  "--role", "gestionnaire", "-c", "bailleurs").exit_code == 0
    out = relais("console", "users", "add", "Agent@EPCI.example.fr", "--partner", "epci-thiers", "--role",
                 "operator", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert out.exit_code == 0, out.stderr
    assert "account agent@epci.example.fr created for partner epci-thiers (role operator)" in out.stdout
    assert PASSWORD not in out.stdout
    listed = relais("console", "users", "list")
    assert listed.stdout.split() == ["agent@epci.example.fr", "epci-thiers", "operator", "active"]
    with _hub(tmp_path) as hub:
        store = AccountStore(hub.journal.engine, hub.clock)
        assert store.get("agent@epci.example.fr")["password_hash"].startswith("$argon2id$")
        person, _ = store.sign_in("agent@epci.example.fr", PASSWORD, "cli-test")
        assert person.actor == "person:agent@epci.example.fr@epci-thiers"
        admin = [r for r in hub.audit.entries(kind=AuditKind.ADMIN) if r["action"].startswith("console")]
        assert [r["action"] for r in admin] == ["console users add"]


def test_reset_password_from_a_file_and_disable(relais, tmp_path):
    relais("partners", "add", "ophis", "--siren", "272900010", "--nom", "OPHIS", "--role", "bailleur",
           "-c", "bailleurs")
    secret = tmp_path / "pw.txt"
    secret.write_text(PASSWORD + "\n")
    assert relais("console", "users", "add", "a@ophis.example.fr", "--partner", "ophis", "--role", "reader",
                  "--password-file", str(secret)).exit_code == 0
    short = tmp_path / "short.txt"
    short.write_text("court\n")
    refused = relais("console", "users", "reset-password", "a@ophis.example.fr", "--password-file", str(short))
    assert refused.exit_code == 2 and refused.error_line.startswith("Error: password: at least 12 characters")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert relais("console", "users", "reset-password", "a@ophis.example.fr", "--password-file",
                  str(empty)).error_line.startswith("Error: --password-file")
    again = relais("console", "users", "add", "a@ophis.example.fr", "--partner", "ophis", "--role", "reader",
                   "--password-file", str(secret))
    assert again.exit_code == 2 and "an account already exists" in again.error_line
    bad_email = relais("console", "users", "add", "not-an-address", "--partner", "ophis", "--role", "reader",
                       "--password-file", str(secret))
    assert bad_email.exit_code == 2 and bad_email.error_line.startswith("Error: e-mail 'not-an-address'")
    new = tmp_path / "new.txt"
    new.write_text("another long passphrase here\n")
    with _hub(tmp_path) as hub:
        store = AccountStore(hub.journal.engine, hub.clock)
        _, session = store.sign_in("a@ophis.example.fr", PASSWORD, "x")
        assert store.person(session) is not None
    assert relais("console", "users", "reset-password", "a@ophis.example.fr", "--password-file",
                  str(new)).exit_code == 0
    with _hub(tmp_path) as hub:
        store = AccountStore(hub.journal.engine, hub.clock)
        assert store.person(session) is None                            # the reset ended the session
        store.sign_in("a@ophis.example.fr", "another long passphrase here", "x")
    assert relais("console", "users", "disable", "a@ophis.example.fr").exit_code == 0
    with _hub(tmp_path) as hub:
        store = AccountStore(hub.journal.engine, hub.clock)
        try:
            store.sign_in("a@ophis.example.fr", "another long passphrase here", "x")
            raise AssertionError("a disabled account signed in")
        except SignInRefused as refused_:
            assert not refused_.locked
