"""The chain and the CSV batch through the partner gateway, as a registered landlord sends them: its entity
stamped, its stock checked, a resend absorbed, a changed resend refused 409 — in both formats; and end to end
through a real uvicorn server, down to the demand's dossier."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway import GatewayServer, create_app
from plugins.dossier.processor import read_dossier
from plugins.dossier.render import render
from tests.asgi import free_port
from tests.factories import numero_unique, rpls
from tests.plugins.bailleurs.chain import HEADER, chain, csv_text, document

SIREN, NOM = "276300019", "Office de démonstration"
BAILLEUR = {"siren": SIREN, "nom": "un nom que le registre remplace"}
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
URL = "/v1/inbound/bailleurs"


@pytest.fixture
def landlord(hub_settings):
    """A hub with the bailleurs connector and the dossier, one registered landlord (its key, its stock)."""
    settings = hub_settings.model_copy(update={"connectors": {"bailleurs": {}}})
    with Hub(settings, PluginHost.load(allow=["bailleurs", "dossier"]), clock=lambda: NOW) as hub:
        hub.partners.add("ophd", siren=SIREN, nom=NOM, role="bailleur", connector="bailleurs", communes=["63430"])
        key = hub.partners.issue_key("ophd").key
        stock = [rpls() for _ in range(3)]
        hub.partners.import_stock("ophd", stock)
        yield hub, {"Authorization": f"Bearer {key}"}, stock


def post_csv(client, headers, text: str):
    return client.post(URL, content=text.encode("utf-8"), headers={**headers, "Content-Type": "text/csv"})


def post_json(client, headers, doc):
    return client.post(URL, content=json.dumps(doc).encode(), headers={**headers, "Content-Type": "application/json"})


def test_a_csv_batch_is_journaled_as_the_landlords_then_a_resend_is_absorbed_and_a_change_refused(landlord):
    hub, headers, stock = landlord
    records = chain(dwelling=stock[0])
    with TestClient(create_app(hub)) as client:
        first = post_csv(client, headers, csv_text(records, BAILLEUR))
        again = post_csv(client, headers, csv_text(records, BAILLEUR))
        as_json = post_json(client, headers, document(records, bailleur_siren=SIREN))
        changed = [dict(r) for r in records]
        changed[6]["date_signature"] = "2026-11-03"
        conflict = post_csv(client, headers, csv_text(changed, BAILLEUR))
    assert first.status_code == 202, first.text
    assert first.json()["journaled"] == 8
    assert again.status_code == 202 and again.json()["duplicates"] == 8 and again.json()["journaled"] == 0
    assert as_json.status_code == 202 and as_json.json()["duplicates"] == 8   # the same facts, in JSON
    assert conflict.status_code == 409, conflict.text
    fields = {e["field"] for e in conflict.json()["errors"]}
    assert "data.date_signature" in fields and "2026-11-03" not in conflict.text
    history = hub.journal.history(records[0]["numero_unique"])
    assert len(history) == 8
    assert {(h["entity_siren"], h["entity_nom"]) for h in history} == {(SIREN, NOM)}   # the registry's name
    assert [d["field"] for d in hub.journal.dead_letters()] == ["data.date_signature"]


def test_a_json_chain_resent_and_changed(landlord):
    hub, headers, stock = landlord
    records = chain(dwelling=stock[1])
    with TestClient(create_app(hub)) as client:
        first = post_json(client, headers, document(records, bailleur_siren=SIREN))
        again = post_json(client, headers, document(records, bailleur_siren=SIREN))
        records[2]["date_visite_prevue"] = "2026-10-10"
        changed = post_json(client, headers, document(records, bailleur_siren=SIREN))
        records[2]["id"] = records[2]["id"] + "-R1"                         # the correction, under a new id
        corrected = post_json(client, headers, document(records, bailleur_siren=SIREN))
    assert (first.status_code, first.json()["journaled"]) == (202, 8)
    assert (again.status_code, again.json()["duplicates"]) == (202, 8)
    assert changed.status_code == 409 and {e["field"] for e in changed.json()["errors"]} == {
        "data.date_visite_prevue"}
    assert corrected.status_code == 202 and corrected.json()["journaled"] == 1
    assert len(hub.journal.history(records[0]["numero_unique"])) == 9


def test_one_bad_row_is_refused_400_with_its_path_and_the_others_journaled(landlord):
    hub, headers, stock = landlord
    text = csv_text(chain(dwelling=stock[2]), BAILLEUR)
    lines = text.split("\r\n")
    cells = lines[5].split(";")
    cells[HEADER.index("decision")] = "attribution_rang"
    lines[5] = ";".join(cells)
    with TestClient(create_app(hub)) as client:
        answer = post_csv(client, headers, "\r\n".join(lines))
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["journaled"] == 7
    [problem] = body["errors"]
    assert problem["field"] == "rows[4].rang" and problem["line"] == 6
    [dead] = hub.journal.dead_letters()
    assert dead["payload"].decode().startswith("type;id;bailleur_siren")     # header + the row: replayable


def test_a_row_about_another_landlords_dwelling_or_in_another_name_refuses_the_file_403(landlord):
    hub, headers, stock = landlord
    outside = chain(dwelling=rpls())
    with TestClient(create_app(hub)) as client:
        not_mine = post_csv(client, headers, csv_text(outside[:2], BAILLEUR))
        forged = post_csv(client, headers, csv_text(chain(dwelling=stock[0])[:1], {"siren": "552100554",
                                                                                    "nom": "Autre"}))
    assert not_mine.status_code == 403 and {e["field"] for e in not_mine.json()["errors"]} == {"rpls"}
    assert forged.status_code == 403 and forged.json()["errors"][0]["field"] == "entity.siren"
    assert hub.journal.count_events() == 0 and hub.journal.dead_letters() == []


def test_a_wrong_header_is_refused_400_naming_the_column(landlord):
    hub, headers, stock = landlord
    text = csv_text(chain(dwelling=stock[0]), BAILLEUR).replace("date_visite;", "date_visit;", 1)
    with TestClient(create_app(hub)) as client:
        answer = post_csv(client, headers, text)
        wrong_type = client.post(URL, content=b"<xml/>", headers={**headers, "Content-Type": "application/xml"})
    assert answer.status_code == 400
    assert "unknown column 'date_visit'; did you mean 'date_visite'?" in answer.text
    assert hub.journal.count_events() == 0 and len(hub.journal.dead_letters()) == 1
    assert wrong_type.status_code == 415 and "text/csv" in wrong_type.text


def test_end_to_end_a_csv_posted_to_a_live_gateway_reaches_the_journal_and_the_dossier(landlord):
    hub, headers, stock = landlord
    nu = numero_unique()
    records = chain(numero=nu, dwelling=stock[0])
    server = GatewayServer(hub, "127.0.0.1", free_port())
    server.start()
    try:
        answer = httpx.post(f"http://127.0.0.1:{server.port}{URL}", content=csv_text(records, BAILLEUR).encode(),
                            headers={**headers, "Content-Type": "text/csv; charset=utf-8"}, timeout=30)
    finally:
        server.stop()
    assert answer.status_code == 202, answer.text
    assert answer.json()["journaled"] == 8
    assert [h["type"] for h in hub.journal.history(nu)] == [f"{r['type']}.v1" for r in records]
    hub.run_once()
    with hub.journal.engine.connect() as conn:
        dossier = read_dossier(conn, nu)
    etat = dossier["etat"]
    assert [p["etape"] for p in etat["parcours"]] == ["designation_candidat", "inscription_cal", "visite_proposee",
                                                      "visite_effectuee", "refus_demandeur"]
    assert [c["decision"] for c in etat["commissions"]] == ["attribution"]
    assert [a["etape"] for a in etat["attributions"]] == ["bail_signe", "attribution_reportee"]
    assert {h["entite"]["siren"] for h in dossier["historique"]} == {SIREN}
    assert len(dossier["historique"]) == 8


def test_a_csv_over_a_mebibyte_is_journaled_a_chunk_at_a_time_with_its_bad_rows_kept(landlord):
    """The gateway journals a message over 1 MiB in chunks, decoding it as it goes: the CSV decoder must check the
    whole file's structure before its first event (a file found unreadable midway would be half journaled)."""
    hub, headers, stock = landlord
    records = [{"type": "visite_proposee", "id": f"EVT-BIG-{i:05d}", "numero_unique": numero_unique(),
                "rpls": stock[i % 3], "commune": "63430", "date_proposition": "2026-11-02"} for i in range(9000)]
    records[4321]["date_proposition"] = "2026-13-02"
    text = csv_text(records, BAILLEUR)
    assert len(text.encode()) > 1024 * 1024
    with TestClient(create_app(hub)) as client:
        answer = post_csv(client, headers, text)
        broken = post_csv(client, headers, text + 'visite_proposee;"EVT-BIG-X;276300019\r\n')
    assert answer.status_code == 400, answer.text
    assert answer.json()["journaled"] == 8999
    assert [e["field"] for e in answer.json()["errors"]] == ["rows[4321].date_proposition"]
    assert broken.status_code == 400 and "not readable as CSV" in broken.text
    assert broken.json()["journaled"] == 0 and hub.journal.count_events() == 8999


def test_relais_dossier_shows_the_chain_step_by_step(landlord):
    hub, headers, stock = landlord
    nu = numero_unique()
    records = chain(numero=nu, dwelling=stock[1])
    with TestClient(create_app(hub)) as client:
        assert post_json(client, headers, document(records, bailleur_siren=SIREN)).status_code == 202
    hub.run_once()
    with hub.journal.engine.connect() as conn:
        text = render(read_dossier(conn, nu))
    for line in (f"designation_candidat du 2026-10-02 (bailleur) — logement {stock[1]} (63430)",
                 f"inscription_cal du 2026-10-20 — logement {stock[1]} (63430)",
                 f"visite_effectuee du 2026-10-09 (interesse) — logement {stock[1]} (63430)",
                 f"refus_demandeur du 2026-10-22 (loyer_charges) — logement {stock[1]} (63430)",
                 f"CALEOL du 2026-10-20 : attribution — logement {stock[1]} (63430)",
                 f"bail_signe : logement {stock[1]} (63430)"):
        assert line in text, text
    assert text.count(f"{NOM} (SIREN {SIREN}) via bailleurs") == 8
