"""Per-partner inboxes (issue 12): a file in ``inbox/<connector>/<partner-id>/`` is that partner's, as a gateway call
with its key would be — its entity stamped, its ids scoped, forgeries refused whole and audited — while a directory
naming no partner is never read and top-level drops keep working as before."""

from __future__ import annotations

import json

import pytest
from structlog.testing import capture_logs

from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from tests.factories import decision, siren, write_decisions


@pytest.fixture
def backend():
    """The scanner's behaviour does not depend on the backend (the registry's tests run on both)."""
    return "embedded"


@pytest.fixture
def hub(hub_settings):
    with Hub(hub_settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as started:
        yield started


@pytest.fixture
def landlords(hub):
    """Two landlords sharing the bailleurs connector: {id: siren}."""
    return {partner_id: hub.partners.add(partner_id, siren=siren(), nom=f"Habitat {partner_id[-1].upper()}",
                                         role="bailleur", connector="bailleurs", communes=["63430"]).entity.siren
            for partner_id in ("bailleur-a", "bailleur-b")}


def inbox(hub):
    return hub.connector("bailleurs").context.inbox


def test_a_file_in_another_landlords_name_is_refused_kept_with_its_reason_and_audited(hub, landlords):
    forged = decision(id="CAL-VICTIM-001")
    write_decisions(inbox(hub) / "bailleur-a", "forged.json", [forged], bailleur_siren=landlords["bailleur-b"])
    hub.run_once()
    assert hub.journal.count_events() == 0 and hub.journal.history(forged["numero_unique"]) == []
    assert hub.journal.dead_letters(status=None) == []            # a forgery is not kept to be replayed
    [kept] = (inbox(hub) / "bailleur-a" / "rejected").rglob("forged.json")
    reason = kept.with_name("forged.json.reason.txt").read_text()
    assert "entity.siren" in reason and landlords["bailleur-b"] in reason
    [entry] = hub.audit.entries(kind="inbound")
    assert (entry["actor"], entry["outcome"], entry["target"]) == ("bailleur-a", "refused", "forged.json")
    assert "entity.siren" in entry["reason"]
    # B's real decision with the same id is not a "duplicate" of the forgery
    write_decisions(inbox(hub) / "bailleur-b", "real.json", [forged], bailleur_siren=landlords["bailleur-b"])
    assert hub.run_once().ingested["bailleurs"].journaled == 1
    [row] = hub.journal.history(forged["numero_unique"])
    assert (row["entity_siren"], row["entity_nom"]) == (landlords["bailleur-b"], "Habitat B")


def test_a_landlords_own_file_is_journaled_as_that_landlord_and_its_ids_cannot_be_squatted(hub, landlords):
    own = decision(id="CAL-SHARED-001")
    write_decisions(inbox(hub) / "bailleur-a", "mine.json", [own], bailleur_siren=landlords["bailleur-a"])
    document = json.loads((inbox(hub) / "bailleur-a" / "mine.json").read_text())
    document["bailleur"]["nom"] = "A name the file made up"
    (inbox(hub) / "bailleur-a" / "mine.json").write_text(json.dumps(document))
    assert hub.run_once().ingested["bailleurs"].journaled == 1
    [row] = hub.journal.history(own["numero_unique"])
    assert (row["entity_siren"], row["entity_nom"]) == (landlords["bailleur-a"], "Habitat A")
    assert [p.name for p in (inbox(hub) / "bailleur-a" / "done").rglob("*.json")] == ["mine.json"]
    [entry] = hub.audit.entries(kind="inbound")
    assert (entry["actor"], entry["outcome"], entry["target"]) == ("bailleur-a", "accepted", "mine.json")
    # B's decision with the same decision id is its own, not a duplicate of A's
    theirs = decision(id="CAL-SHARED-001")
    write_decisions(inbox(hub) / "bailleur-b", "theirs.json", [theirs], bailleur_siren=landlords["bailleur-b"])
    report = hub.run_once().ingested["bailleurs"]
    assert (report.journaled, report.duplicates) == (1, 0)
    # and A's own resend is still absorbed
    write_decisions(inbox(hub) / "bailleur-a", "again.json", [own], bailleur_siren=landlords["bailleur-a"])
    assert hub.run_once().ingested["bailleurs"].duplicates == 1


def test_a_partners_rejected_record_keeps_the_partner_so_a_retry_runs_as_it(hub, landlords):
    from hub.core.deadletters import DeadLetterOps
    broken = decision(decision="attribution_rang")                 # no rang: rejected, kept
    write_decisions(inbox(hub) / "bailleur-a", "broken.json", [broken], bailleur_siren=landlords["bailleur-a"])
    hub.run_once()
    [dead] = hub.journal.dead_letters()
    assert dead["origin"] == "partner:bailleur-a:broken.json"
    assert [p.name for p in (inbox(hub) / "bailleur-a" / "rejected").rglob("*.json")] == ["broken.json"]
    fixed = json.loads(dead["payload"])
    fixed["decisions"][0]["rang"] = 2
    fixed["bailleur"]["nom"] = "Whatever the file says"
    assert DeadLetterOps(hub).retry([dead], json.dumps(fixed).encode()).retried == [dead["id"]]
    [row] = hub.journal.history(broken["numero_unique"])
    assert (row["entity_siren"], row["entity_nom"]) == (landlords["bailleur-a"], "Habitat A")


def test_a_directory_naming_no_partner_of_the_connector_is_never_read_and_logged_once(hub, landlords):
    stray = write_decisions(inbox(hub) / "bailleur-z", "cal.json", [decision()])
    with capture_logs() as logs:
        for _ in range(3):
            assert hub.run_once().ingested == {}
    assert stray.exists() and hub.journal.count_events() == 0
    ignored = [e for e in logs if e["event"] == "inbox_directory_ignored"]
    assert len(ignored) == 1 and ignored[0]["directory"] == "bailleur-z" and "partners list" in ignored[0]["reason"]


def test_a_revoked_partners_directory_is_not_read(hub, landlords):
    hub.partners.revoke("bailleur-a")
    kept = write_decisions(inbox(hub) / "bailleur-a", "late.json", [decision()], bailleur_siren=landlords["bailleur-a"])
    hub.run_once()
    assert kept.exists() and hub.journal.count_events() == 0


def test_top_level_drops_keep_working_and_are_flagged_once_when_the_connector_has_partners(hub, landlords):
    legacy = decision()
    write_decisions(inbox(hub), "legacy.json", [legacy], bailleur_siren=landlords["bailleur-b"])
    with capture_logs() as logs:
        assert hub.run_once().ingested["bailleurs"].journaled == 1
    [row] = hub.journal.history(legacy["numero_unique"])
    assert row["entity_siren"] == landlords["bailleur-b"]          # the payload's entity, as before
    [warning] = [e for e in logs if e["event"] == "inbox_file_unattributed"]
    assert warning["file"] == "legacy.json" and "bailleurs/<partner-id>/" in warning["reason"]
    assert hub.audit.entries(kind="inbound") == []


def test_top_level_drops_are_not_flagged_when_the_connector_has_no_partner(hub):
    write_decisions(inbox(hub), "legacy.json", [decision()])
    with capture_logs() as logs:
        assert hub.run_once().ingested["bailleurs"].journaled == 1
    assert not [e for e in logs if e["event"] == "inbox_file_unattributed"]


def test_an_oversized_file_in_a_partners_directory_is_refused_unread_and_kept_in_its_rejected(hub_settings):
    from tests.sdk.conftest import with_connectors
    settings = with_connectors(hub_settings, bailleurs={"max_message_bytes": 2_000})
    with Hub(settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        own = hub.partners.add("bailleur-a", siren=siren(), nom="Habitat A", role="bailleur", connector="bailleurs",
                               communes=["63430"]).entity.siren
        write_decisions(inbox(hub) / "bailleur-a", "big.json", [decision() for _ in range(40)], bailleur_siren=own)
        hub.run_once()
        [dead] = hub.journal.dead_letters()
        assert dead["origin"] == "partner:bailleur-a:big.json" and dead["payload"] == b""
        [kept] = (inbox(hub) / "bailleur-a" / "rejected").rglob("big.json")
        assert str(kept.parent) in dead["reason"]
        [entry] = hub.audit.entries(kind="inbound")
        assert (entry["actor"], entry["outcome"], entry["target"]) == ("bailleur-a", "refused", "big.json")


def test_with_inbox_partners_only_a_top_level_file_is_refused_unread_and_partners_files_still_flow(hub_settings):
    from tests.sdk.conftest import with_connectors
    settings = with_connectors(hub_settings, bailleurs={"inbox_partners_only": True})
    with Hub(settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        own = hub.partners.add("bailleur-a", siren=siren(), nom="Habitat A", role="bailleur", connector="bailleurs",
                               communes=["63430"]).entity.siren
        write_decisions(inbox(hub), "top.json", [decision()], bailleur_siren=own)
        write_decisions(inbox(hub) / "bailleur-a", "mine.json", [decision()], bailleur_siren=own)
        with capture_logs() as logs:
            report = hub.run_once().ingested["bailleurs"]
        assert report.journaled == 1 and hub.journal.count_events() == 1
        assert hub.journal.dead_letters(status=None) == []
        [kept] = (inbox(hub) / "rejected").rglob("top.json")
        assert "inbox_partners_only" in kept.with_name("top.json.reason.txt").read_text()
        assert [e["file"] for e in logs if e["event"] == "inbox_file_refused"] == ["top.json"]
        assert [p.name for p in (inbox(hub) / "bailleur-a" / "done").rglob("*.json")] == ["mine.json"]
