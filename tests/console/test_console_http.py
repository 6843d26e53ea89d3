"""The console over HTTP: sign-in, CSRF, lockout, session expiry, roles, access filtering and the audit trail —
what a person (or an attacker) notices, asserted on the pages and the trail."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.core.audit import AuditKind
from hub.core.console_schema import console_login_failures
from hub.gateway import create_app
from tests.console.conftest import csrf_of, sign_in
from tests.console.territory import TODAY, AUTRE, GESTIONNAIRE, LECTEUR, OPHIS, PASSWORD


def _audit(hub, actor_part: str = "person:") -> list[dict]:
    return [r for r in hub.audit.entries() if r["actor"].startswith(actor_part)]


# --- sign-in ---------------------------------------------------------------------------------------------------
def test_a_person_signs_in_with_a_session_cookie_the_browser_keeps_from_scripts(territory, client):
    assert client.get("/console/flux", follow_redirects=False).headers["location"].startswith(
        "/console/connexion?suite=%2Fconsole%2Fflux")
    answer = sign_in(client, GESTIONNAIRE)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/flux"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("relais_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie   # plain HTTP here
    page = client.get("/console/flux")
    assert page.status_code == 200 and "Se déconnecter" in page.text and GESTIONNAIRE in page.text
    signed = [r for r in territory.hub.audit.entries() if r["action"] == "console sign-in"]
    assert [(r["actor"], r["outcome"]) for r in signed] == [(f"person:{GESTIONNAIRE}@epci-thiers", "accepted")]


def test_over_https_the_session_cookie_is_secure(territory):
    with TestClient(create_app(territory.hub), base_url="https://testserver") as client:
        answer = sign_in(client, GESTIONNAIRE)
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("relais_session="))
    assert "Secure" in cookie


def test_a_wrong_password_is_refused_in_french_without_saying_which_part_was_wrong(territory, client):
    answer = sign_in(client, GESTIONNAIRE, "not the password at all")
    assert answer.status_code == 401
    assert "Adresse électronique ou mot de passe incorrect" in answer.text
    assert "relais_session" not in answer.headers.get("set-cookie", "")
    unknown = sign_in(client, "nobody@example.fr", "whatever it is")
    assert unknown.status_code == 401 and "Adresse électronique ou mot de passe incorrect" in unknown.text
    assert client.get("/console/flux", follow_redirects=False).status_code == 303
    refused = [r for r in territory.hub.audit.entries() if r["action"] == "console sign-in"]
    assert [r["outcome"] for r in refused] == ["refused", "refused"]


def test_an_unknown_address_and_a_wrong_password_get_the_same_answer_and_the_typed_text_is_not_kept(territory,
                                                                                                 client):
    """No account oracle: the page and its status are the same whether the address names an account; what is kept
    (the failures counted, the audit trail) names a known account by its e-mail and anything else by a keyed hash —
    never the text typed, which may be anyone's address, or a password typed in the wrong field."""
    typed = "Jeanne.Martin-perso@example.fr"
    wrong = sign_in(client, OPHIS, "not the password at all")
    unknown = sign_in(client, typed, "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.text.replace(OPHIS, "EMAIL") == unknown.text.replace(typed, "EMAIL")
    with territory.hub.journal.engine.connect() as conn:
        kept = sorted(r for (r,) in conn.execute(select(console_login_failures.c.email)))
    trail = [r["actor"] for r in territory.hub.audit.entries() if r["action"] == "console sign-in"]
    [hashed] = [k for k in kept if k != OPHIS]
    assert kept == sorted([OPHIS, hashed]) and re.fullmatch(r"inconnu:[0-9a-f]{24}", hashed)
    assert sorted(trail) == sorted([f"person:{OPHIS}@ophis", f"person:{hashed}"])
    assert "jeanne" not in (repr(kept) + repr(territory.hub.audit.entries())).lower()


def test_hostile_sign_in_input_is_shown_back_escaped_and_never_signs_in(client):
    form = client.get("/console/connexion")
    hostile = '"><script>alert(1)</script>@x.fr'
    answer = client.post("/console/connexion", data={"csrf": csrf_of(form.text), "email": hostile + "a" * 5000,
                                                     "motdepasse": "x" * 1000})
    assert answer.status_code == 401 and "<script>alert(1)</script>" not in answer.text
    assert "&lt;script&gt;" in answer.text
    [refused] = [r for r in client.app.state.hub.audit.entries() if r["action"] == "console sign-in"]
    assert re.fullmatch(r"person:inconnu:[0-9a-f]{24}", refused["actor"]) and "script" not in str(refused)
    # a body larger than any form is refused before it is read (the console shares the gateway's process)
    huge = client.post("/console/connexion", data={"csrf": csrf_of(form.text), "email": GESTIONNAIRE,
                                                   "motdepasse": "x" * 100_000})
    assert huge.status_code == 413 and "relais_session" not in huge.cookies


def test_an_empty_field_is_named(client):
    form = client.get("/console/connexion")
    answer = client.post("/console/connexion", data={"csrf": csrf_of(form.text), "email": GESTIONNAIRE,
                                                     "motdepasse": ""})
    assert answer.status_code == 422 and "Le champ « mot de passe » est obligatoire" in answer.text


def test_after_sign_in_the_person_returns_to_the_page_asked_but_never_to_another_site(client):
    form = client.get("/console/connexion")
    for suite, lands in (("/console/listes", "/console/listes"), ("https://evil.example/", "/console/flux"),
                         ("//evil.example/x", "/console/flux")):
        client.cookies.clear()
        form = client.get("/console/connexion")
        answer = client.post("/console/connexion", data={"csrf": csrf_of(form.text), "email": GESTIONNAIRE,
                                                         "motdepasse": PASSWORD, "suite": suite},
                             follow_redirects=False)
        assert answer.headers["location"] == lands


# --- CSRF ------------------------------------------------------------------------------------------------------
def test_a_post_without_the_sessions_token_is_refused_and_does_nothing(territory, client):
    client.get("/console/connexion")
    forged = client.post("/console/connexion", data={"email": GESTIONNAIRE, "motdepasse": PASSWORD})
    assert forged.status_code == 403 and "jeton anti-falsification" in forged.text
    sign_in(client, GESTIONNAIRE)
    dead = territory.dead_letter
    for token in ("", "forged-token"):
        answer = client.post(f"/console/lettres/{dead}/abandonner", data={"csrf": token})
        assert answer.status_code == 403 and "Formulaire refusé" in answer.text
    assert territory.hub.journal.dead_letters(status=None, ids=[dead])[0]["status"] == "open"
    # a page of another signed-in session carries another token: not accepted either
    with TestClient(create_app(territory.hub)) as other:
        sign_in(other, LECTEUR)
        theirs = csrf_of(other.get("/console/flux").text)
    assert client.post("/console/deconnexion", data={"csrf": theirs}).status_code == 403


# --- lockout ---------------------------------------------------------------------------------------------------
def test_five_failures_lock_the_account_for_fifteen_minutes_even_with_the_right_password(territory, client):
    for _ in range(5):
        assert sign_in(client, OPHIS, "wrong password!!").status_code == 401
    locked = sign_in(client, OPHIS)
    assert locked.status_code == 429 and "bloqué pendant 15 minutes" in locked.text
    territory.clock.advance(minutes=16)
    assert sign_in(client, OPHIS).status_code == 303
    reasons = [r["reason"] for r in territory.hub.audit.entries() if r["action"] == "console sign-in"
               and r["outcome"] == "refused"]
    assert reasons.count("locked out") == 1 and reasons.count("bad credentials") == 5


def test_failures_on_many_accounts_from_one_address_lock_that_address(territory, client):
    for i in range(5):
        sign_in(client, f"guess{i}@example.fr", "wrong password!!")
    assert sign_in(client, LECTEUR).status_code == 429     # another account, the same client address


# --- sessions --------------------------------------------------------------------------------------------------
def test_an_idle_session_expires_and_an_active_one_does_not(territory, client):
    sign_in(client, LECTEUR)
    for _ in range(3):                                       # 3 × 20 minutes, used each time: still alive
        territory.clock.advance(minutes=20)
        assert client.get("/console/flux", follow_redirects=False).status_code == 200
    territory.clock.advance(minutes=31)
    gone = client.get("/console/flux", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/console/connexion")
    territory.clock.advance(minutes=-31)                     # an ended session does not come back
    assert client.get("/console/flux", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session_on_the_server(client):
    sign_in(client, LECTEUR)
    token = csrf_of(client.get("/console/flux").text)
    cookie = client.cookies.get("relais_session")
    assert client.post("/console/deconnexion", data={"csrf": token}, follow_redirects=False).status_code == 303
    client.cookies.set("relais_session", cookie, path="/console")   # a copied cookie opens nothing any more
    assert client.get("/console/flux", follow_redirects=False).status_code == 303


def test_disabling_an_account_ends_its_sessions(territory, client):
    from hub.console.accounts import AccountStore
    sign_in(client, LECTEUR)
    assert client.get("/console/flux", follow_redirects=False).status_code == 200
    AccountStore(territory.hub.journal.engine, territory.clock).disable(LECTEUR)
    assert client.get("/console/flux", follow_redirects=False).status_code == 303
    assert sign_in(client, LECTEUR).status_code == 401


# --- roles -----------------------------------------------------------------------------------------------------
def test_a_reader_sees_dead_letters_but_cannot_retry_discard_or_reveal(territory, client):
    sign_in(client, LECTEUR)
    dead = territory.dead_letter
    page = client.get(f"/console/lettres/{dead}")
    assert page.status_code == 200 and "lecture seule" in page.text and "Relancer" not in page.text
    token = csrf_of(page.text)
    for action, data in (("reessayer", {}), ("abandonner", {}), ("reveler", {"motif": "contrôle"})):
        answer = client.post(f"/console/lettres/{dead}/{action}", data={"csrf": token, **data})
        assert answer.status_code == 403 and "réservée aux comptes « opérateur »" in answer.text
    assert territory.hub.journal.dead_letters(status=None, ids=[dead])[0]["status"] == "open"
    denied = [r for r in _audit(territory.hub) if r["outcome"] == "denied"]
    assert [r["action"] for r in denied] == ["console dead retry", "console dead discard",
                                             "console dead show --reveal"]


def test_an_operator_reveals_with_a_reason_retries_with_a_corrected_file_and_the_events_are_journaled(territory,
                                                                                                      client):
    sign_in(client, GESTIONNAIRE)
    dead = territory.dead_letter
    page = client.get(f"/console/lettres/{dead}")
    assert "masqué" in page.text and territory.bad.decode()[:40] not in page.text
    token = csrf_of(page.text)
    no_reason = client.post(f"/console/lettres/{dead}/reveler", data={"csrf": token, "motif": "  "})
    assert no_reason.status_code == 422 and "Champ « motif »" in no_reason.text
    shown = client.post(f"/console/lettres/{dead}/reveler", data={"csrf": token, "motif": "appel du bailleur"})
    assert shown.status_code == 200 and "CONSOLE-1" in shown.text
    [reveal] = territory.hub.audit.entries(kind=AuditKind.REVEAL)
    assert reveal["reason"] == "appel du bailleur" and reveal["target"] == f"dead letter #{dead}"
    still = client.post(f"/console/lettres/{dead}/reessayer", data={"csrf": token})   # the kept bytes: still bad
    assert still.status_code == 422 and "Nouvel essai sans succès" in still.text and "rang" in still.text
    before = territory.hub.journal.count_events()
    done = client.post(f"/console/lettres/{dead}/reessayer", data={"csrf": token},
                       files={"fichier": ("corrige.json", territory.fixed, "application/json")})
    assert done.status_code == 200 and "Relancée" in done.text
    assert territory.hub.journal.dead_letters(status=None, ids=[dead])[0]["status"] == "retried"
    assert territory.hub.journal.count_events() == before + 1


def test_an_oversized_or_empty_corrected_file_is_refused_naming_the_field(territory, client):
    from tests.sdk.conftest import with_connectors  # noqa: F401  (the limit is the connector's setting)
    sign_in(client, GESTIONNAIRE)
    dead = territory.dead_letter
    token = csrf_of(client.get(f"/console/lettres/{dead}").text)
    limit = territory.hub.connectors["bailleurs"].settings.max_message_bytes
    big = client.post(f"/console/lettres/{dead}/reessayer", data={"csrf": token},
                      files={"fichier": ("big.json", b"x" * (limit + 1), "application/json")})
    assert big.status_code == 413 and "Champ « fichier »" in big.text
    empty = client.post(f"/console/lettres/{dead}/reessayer", data={"csrf": token},
                        files={"fichier": ("empty.json", b"", "application/json")})
    assert empty.status_code in (200, 422)
    assert territory.hub.journal.dead_letters(status=None, ids=[dead])[0]["status"] == "open"


def test_an_operator_discards_a_dead_letter(territory, client):
    sign_in(client, GESTIONNAIRE)
    dead = territory.dead_letter
    token = csrf_of(client.get(f"/console/lettres/{dead}").text)
    answer = client.post(f"/console/lettres/{dead}/abandonner", data={"csrf": token})
    assert answer.status_code == 200 and "Abandonnée" in answer.text
    assert territory.hub.journal.dead_letters(status=None, ids=[dead])[0]["status"] == "discarded"


# --- access filtering ------------------------------------------------------------------------------------------
def test_a_landlord_opens_a_dossier_of_its_territory_but_not_another_landlords_and_both_are_audited(territory,
                                                                                                     client):
    sign_in(client, OPHIS)
    mine = client.get(f"/console/dossier/{territory.mine}")
    assert mine.status_code == 200 and "Historique" in mine.text and "SIREN" in mine.text
    assert "Cotation de la demande" in mine.text                  # the explanation, criterion by criterion
    other = client.get(f"/console/dossier/{territory.other}")
    assert other.status_code == 403 and "pas accès à la demande" in other.text
    assert territory.names[1] not in other.text
    rows = [(r["actor"], r["action"], r["target"], r["outcome"]) for r in _audit(territory.hub)
            if r["action"] == "console dossier"]
    actor = f"person:{OPHIS}@ophis"
    assert rows == [(actor, "console dossier", territory.mine, "done"),
                    (actor, "console dossier", territory.other, "denied")]
    assert not any(name in str(territory.hub.audit.entries()) for name in territory.names)


def test_a_landlords_lists_and_csv_export_hold_only_the_households_it_may_see(territory, client):
    sign_in(client, OPHIS)
    page = client.get("/console/listes", params={"liste": "prioritaires"})
    assert territory.mine in page.text and territory.other not in page.text
    csv = client.get("/console/listes/prioritaires.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert territory.mine in csv.text and territory.other not in csv.text
    [export] = [r for r in _audit(territory.hub) if r["action"] == "console listes export prioritaires"]
    assert export["reason"].startswith("rows=1 format=csv") and export["target"] == "partner:ophis"


def test_the_device_manager_sees_every_household_and_every_dead_letter(territory, client):
    sign_in(client, GESTIONNAIRE)
    page = client.get("/console/listes", params={"liste": "prioritaires"})
    assert territory.mine in page.text and territory.other in page.text
    assert f"n° {territory.dead_letter}" in client.get("/console/lettres").text


def test_a_landlord_does_not_see_a_dead_letter_it_did_not_send_and_the_attempt_is_audited(territory, client):
    sign_in(client, AUTRE)
    assert f"n° {territory.dead_letter}" not in client.get("/console/lettres").text
    refused = client.get(f"/console/lettres/{territory.dead_letter}")
    assert refused.status_code == 403 and "ne concerne pas votre organisme" in refused.text
    assert any(r["outcome"] == "denied" and r["action"] == "console dead show" for r in _audit(territory.hub))


def test_flows_are_the_partners_connector_for_a_landlord_and_every_connector_for_the_manager(territory, client):
    sign_in(client, OPHIS)
    page = client.get("/console/flux")
    names = re.findall(r'<th scope="row">([a-z_]+)</th>', page.text)
    assert names == ["bailleurs"]
    assert "<svg" in page.text and "Journal" in page.text and "Bus" in page.text
    client.cookies.clear()
    sign_in(client, GESTIONNAIRE)
    names = re.findall(r'<th scope="row">([a-z_]+)</th>', client.get("/console/flux").text)
    assert {"bailleurs", "habisoft", "dossier"} <= set(names)


# --- wrong input ------------------------------------------------------------------------------------------------
def test_wrong_input_gets_a_french_page_naming_the_field_never_a_traceback(territory, client):
    sign_in(client, GESTIONNAIRE)
    cases = [("/console/dossier/XYZ", 422, "Champ « numéro unique »"),
             ("/console/dossier?numero=not-a-number", 422, "Champ « numéro unique »"),
             ("/console/dossier/0630325999999G6301", 404, "Aucun dossier 0630325999999G6301"),
             ("/console/lettres?depuis=hier", 422, "Champ « depuis »"),
             ("/console/lettres?statut=perdu", 422, "champ « statut »"),
             ("/console/lettres/999999", 404, "Aucune lettre morte n° 999999"),
             ("/console/lettres/abc", 422, "champ « dead_id » : un nombre entier est attendu"),
             ("/console/listes?liste=nope", 422, "Champ « liste »"),
             ("/console/listes?communes=%3Cscript%3Ealert(1)%3C/script%3E", 422, "Champ « communes »"),
             ("/console/statistiques?annee=1800", 422, "champ « annee »"),
             ("/console/nulle-part", 404, "Cette page n&#39;existe pas")]
    for path, status, text in cases:
        answer = client.get(path)
        assert answer.status_code == status, (path, answer.status_code)
        assert text in answer.text, (path, answer.text[-500:])
        assert "Traceback" not in answer.text and "<script>alert" not in answer.text
        assert answer.headers["content-type"].startswith("text/html")


# --- the public page --------------------------------------------------------------------------------------------
def test_the_public_page_needs_no_sign_in_and_applies_statistical_secrecy(territory, client):
    page = client.get("/console/public/attente", params={"annee": 2026})
    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert "secret statistique" in page.text and "Se déconnecter" not in page.text
    assert not any(name in page.text for name in territory.names)
    assert territory.mine not in page.text
    housed = re.findall(r"<tr><td>(\d{5})</td><td>([^<]+)</td><td>\d+</td>\s*<td>s</td>", page.text)
    assert housed, "the commune's single attribution of 2025 is published"      # 1 < seuil 5: hidden as « s »
    bad = client.get("/console/public/attente", params={"commune": "Thiers"})
    assert bad.status_code == 422 and "Champ « commune »" in bad.text
    # next year's page would count this year's attributions as they happen: refused until the year is closed
    later = client.get("/console/public/attente", params={"annee": TODAY.year + 1})
    assert later.status_code == 422 and "Champ « annee »" in later.text


def test_every_page_has_the_accessibility_basics(client):
    sign_in(client, GESTIONNAIRE)
    for path in ("/console/flux", "/console/lettres", "/console/dossier", "/console/listes",
                 "/console/statistiques?annee=2026", "/console/public/attente?annee=2026"):
        html = client.get(path).text
        assert '<html lang="fr">' in html and 'href="#contenu"' in html and 'id="contenu"' in html, path
        for field in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html):
            assert f'for="{field}"' in html, (path, field)      # every field has its label


def test_revoking_the_partner_in_the_registry_suspends_its_peoples_access(territory, client):
    sign_in(client, OPHIS)
    assert client.get(f"/console/dossier/{territory.mine}").status_code == 200
    territory.hub.partners.revoke("ophis")
    suspended = client.get(f"/console/dossier/{territory.mine}")
    assert suspended.status_code == 403 and "plus actif dans le registre" in suspended.text
