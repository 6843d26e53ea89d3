"""The commune's CSV in and JSON out, against golden files (``pytest --relais-update-golden`` rewrites them)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hub import RejectError
from hub.testing import decode

from relais_commune_csv.connector import CommuneCsvConnector
from relais_commune_csv.settings import CommuneCsvSettings


@pytest.fixture
def connector(relais_connector, commune_settings):
    return relais_connector(CommuneCsvConnector, commune_settings)


def test_designations_become_events_stamped_with_the_commune(connector, fixtures, relais_golden):
    decoded = relais_golden.assert_decodes(connector, fixtures / "designations.csv", "designations.events.json")
    assert [e.type for e in decoded.events] == ["designation_candidat.v1"] * 2
    assert {e.entity.siren for e in decoded.events} == {"216300004"}
    assert {e.data.reservataire.siren for e in decoded.events} == {"216300004"}


def test_each_bad_row_is_rejected_alone_with_its_line_and_column(connector, fixtures):
    # no golden file: the wording of the contracts' messages belongs to Relais and may improve
    decoded = decode(connector, fixtures / "designations_invalid.csv")
    assert [e.sourcemessageid for e in decoded.events] == ["216300004:DES-2026-003"]
    assert [(r.line, r.error.location.field) for r in decoded.rejections] == [
        (3, "commune"), (4, "date_designation"), (5, "reference")]
    assert "63430 is not a commune where this réservataire holds reservations" in decoded.rejections[0].error.reason


def test_a_row_about_another_commune_is_refused_as_access_denied(connector):
    body = ("reference;numero_unique;rpls;commune;date_designation\n"
            "D-1;06301260012345GT63;6300000001;63430;12/01/2026\n")
    decoded = decode(connector, body)
    assert not decoded.events
    assert type(decoded.rejections[0].error).__name__ == "AccessDenied"


def test_a_file_that_is_not_utf8_is_rejected_whole(connector):
    body = ("reference;numero_unique;rpls;commune;date_designation\n"
            "D-é;06301260012345GT63;6300000001;63113;12/01/2026\n").encode("cp1252")
    decoded = decode(connector, body)
    assert not decoded.events
    assert "CSV UTF-8" in decoded.rejections[0].error.reason


def test_a_missing_column_rejects_the_file_and_names_the_column(connector):
    decoded = decode(connector, "reference;numero_unique;commune;date_designation\nD-1;x;63113;12/01/2026\n")
    assert not decoded.events
    assert decoded.problems[0]["field"] == "rpls"


def test_a_decision_renders_to_the_communes_json_without_free_text(connector, a_decision, relais_golden):
    event = a_decision(decision="non_attribution", motif="Texte libre qui ne doit pas sortir du hub")
    message = relais_golden.assert_encodes(connector, event, "decision.out.json")
    assert b"Texte libre" not in message.body


def test_a_newer_decision_version_is_refused_rather_than_guessed(connector, a_decision):
    with pytest.raises(RejectError, match="decision_cal.v2"):
        connector.encode(a_decision().model_copy(update={"type": "decision_cal.v2"}))


def test_the_connector_is_off_until_it_knows_the_commune_and_its_communes():
    assert CommuneCsvSettings().enabled is False
    with pytest.raises(ValidationError, match="entity and communes"):
        CommuneCsvSettings(enabled=True, communes=["63113"])
    with pytest.raises(ValidationError, match="code INSEE"):
        CommuneCsvSettings(communes=["6311"])
