"""The plugin's extras: its ``relais commune-csv`` commands and its HTTP routes on the gateway."""

from __future__ import annotations

from click.testing import CliRunner

from relais_commune_csv.codec import COLUMNS
from relais_commune_csv.commands import commune_csv


def test_template_prints_the_expected_header():
    result = CliRunner().invoke(commune_csv, ["template"])
    assert result.exit_code == 0
    assert result.output.strip() == ";".join(COLUMNS)


def test_check_lists_what_would_be_rejected_and_fails(fixtures):
    result = CliRunner().invoke(commune_csv, ["check", str(fixtures / "designations_invalid.csv"),
                                              "--commune", "63113"])
    assert result.exit_code == 1
    assert "1 designation(s) accepted, 3 rejected" in result.output
    assert "line 3: commune: 63430 is not a commune" in result.output


def test_check_passes_a_good_file(fixtures):
    result = CliRunner().invoke(commune_csv, ["check", str(fixtures / "designations.csv"), "--commune", "63113"])
    assert result.exit_code == 0, result.output


def test_routes_are_mounted_under_the_plugin_and_check_needs_the_key(relais_hub, commune_settings, fixtures):
    relais = relais_hub("commune_csv", connectors={"commune_csv": {**commune_settings, "api_keys": ["k-1"]}})
    with relais.gateway_client() as client:
        template = client.get("/v1/plugins/commune_csv/template.csv")
        anonymous = client.post("/v1/plugins/commune_csv/check", content=b"x")
        checked = client.post("/v1/plugins/commune_csv/check", headers={"X-Relais-Api-Key": "k-1"},
                              content=(fixtures / "designations_invalid.csv").read_bytes())
    assert template.status_code == 200 and template.text.startswith("reference;")
    assert anonymous.status_code == 401
    assert checked.status_code == 200
    assert checked.json()["accepted"] == 1 and len(checked.json()["rejected"]) == 3
    assert not relais.deliveries()   # a check journals nothing
