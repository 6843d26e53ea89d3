"""A CALEOL export dropped in a landlord's inbox directory: journaled as that landlord's, a bad row kept alone and
replayable once fixed, the file moved to ``rejected/`` with its reason when its header is wrong."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.core.deadletters import DeadLetterOps
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from tests.factories import rpls
from tests.plugins.bailleurs.chain import HEADER, chain, csv_text

SIREN, NOM = "276300019", "Office de démonstration"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_a_csv_dropped_in_a_landlords_directory_is_journaled_as_its_own_and_a_bad_row_replayed(hub_settings):
    settings = hub_settings.model_copy(update={"connectors": {"bailleurs": {}}})
    with Hub(settings, PluginHost.load(allow=["bailleurs"]), clock=lambda: NOW) as hub:
        hub.partners.add("ophd", siren=SIREN, nom=NOM, role="bailleur", connector="bailleurs")
        inbox = hub.connectors["bailleurs"].context.inbox / "ophd"
        inbox.mkdir(parents=True)
        records = chain(dwelling=rpls())
        records[3]["date_visite"] = "09-10-2026"                          # neither YYYY-MM-DD nor DD/MM/YYYY
        (inbox / "export-1.csv").write_text(csv_text(records, {"siren": SIREN, "nom": "x"}), encoding="utf-8")
        (inbox / "export-2.csv").write_text(csv_text(chain(), {"siren": SIREN, "nom": "x"},
                                                     header=HEADER[:-1] + ["dalo_"]), encoding="utf-8")
        hub.run_once()
        history = hub.journal.history(records[0]["numero_unique"])
        assert len(history) == 7 and {h["entity_nom"] for h in history} == {NOM}
        # a file with a rejected part goes to rejected/ (its good rows are journaled, its bad ones dead letters)
        assert sorted(p.name for p in (inbox / "rejected").rglob("*.csv")) == ["export-1.csv", "export-2.csv"]
        dead = {d["field"]: d for d in hub.journal.dead_letters()}
        assert set(dead) == {"rows[3].date_visite", "header"}
        assert "ligne 5, colonne date_visite: rows[3].date_visite: expected a date" in dead["rows[3].date_visite"]["reason"]
        assert "unknown column 'dalo_'; did you mean 'dalo'?" in dead["header"]["reason"]
        # the row's dead letter is the header and that row: fixed, it is retried as the landlord's
        kept = dead["rows[3].date_visite"]["payload"].decode()
        assert kept.count("\r\n") == 2 and "09-10-2026" in kept
        outcome = DeadLetterOps(hub).retry([dead["rows[3].date_visite"]],
                                           replacement=kept.replace("09-10-2026", "09/10/2026").encode())
        assert outcome.retried == [dead["rows[3].date_visite"]["id"]], outcome.still_failing
        history = hub.journal.history(records[0]["numero_unique"])
        assert len(history) == 8 and {h["entity_siren"] for h in history} == {SIREN}
