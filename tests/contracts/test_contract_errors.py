"""describe_validation_error: precise paths and rules, and personal values never shown (driven by the models)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from contracts import REGISTRY, DemandeEnregistree, describe_validation_error
from contracts.errors import MASKED
from tests.contracts.contracts_factories import demande_exemple, exemple, faker


def _errors(call):
    with pytest.raises(ValidationError) as info:
        call()
    return describe_validation_error(info.value)


def test_paths_rules_and_non_personal_values_are_given():
    payload = json.loads(exemple("decision_cal.v1").model_dump_json())
    payload.update(commune="20004", rpls="12")
    problems = {p["field"]: p for p in _errors(lambda: REGISTRY.model_for("decision_cal.v1").model_validate(payload))}
    assert problems["commune"]["rule"] == "value_error"
    assert "Corsica uses 2A" in problems["commune"]["message"] and problems["commune"]["value"] == "20004"
    assert not problems["commune"]["message"].startswith("Value error")
    assert problems["rpls"]["value"] == "12"


def test_personal_values_are_masked_everywhere():
    fake = faker(7)
    demande = json.loads(demande_exemple(fake).model_dump_json())
    secret_name = demande["demandeur"]["nom"]
    demande["demandeur"]["date_naissance"] = f"{secret_name}-13-45"
    demande["demandeur"]["ressources"]["mensuelles"][0]["montant_mensuel"] = -1234567
    demande["demandeur"]["adresse"]["commune"] = "20999"
    demande["personnes_a_charge"][1]["prenom"] = ""
    demande["motif_precision"] = 42
    data = {"numero_unique": "0630323000123G6301", "demande": demande, "date_enregistrement": "2024-01-01"}
    envelope = {"type": "demande_enregistree.v1", "source": "sne", "entity": {"siren": "216304303", "nom": "TDM"},
                "data": data}
    for problems in (_errors(lambda: DemandeEnregistree.model_validate(data)),
                     _errors(lambda: REGISTRY.parse(envelope))):
        text = json.dumps(problems, ensure_ascii=False)
        assert secret_name not in text and "1234567" not in text and "20999" not in text
        fields = {p["field"].removeprefix("data."): p for p in problems}
        assert fields["demande.demandeur.date_naissance"]["masked"] is True
        assert fields["demande.demandeur.ressources.mensuelles[0].montant_mensuel"]["masked"] is True
        assert fields["demande.demandeur.adresse.commune"]["masked"] is True  # an address is personal as a whole
        assert MASKED in fields["demande.demandeur.adresse.commune"]["message"]
        assert fields["demande.personnes_a_charge[1].prenom"]["rule"] == "string_too_short"
        assert "value" not in fields["demande.motif_precision"]


def test_union_branches_and_unknown_models_fail_safe():
    data = {"numero_unique": "0630323000123G6301", "demande": json.loads(demande_exemple().model_dump_json()),
            "date_enregistrement": "2024-01-01", "guichet": {"siren": "216304304", "nom": "Guichet"}}
    problems = _errors(lambda: DemandeEnregistree.model_validate(data))
    siren = next(p for p in problems if p["field"] == "guichet.siren")
    assert siren["value"] == "216304304" and "check digit" in siren["message"]

    from pydantic import TypeAdapter
    with pytest.raises(ValidationError) as info:
        TypeAdapter(dict[str, int]).validate_python({"x": "y"})
    assert all(p.get("masked") for p in describe_validation_error(info.value))


def test_personal_marks_are_in_the_json_schema():
    schema = REGISTRY.envelope_model("demande_enregistree.v1").model_json_schema()
    defs = schema["$defs"]
    assert defs["Demandeur"]["properties"]["nom"]["x-personal"] is True
    assert defs["Adresse"]["x-personal"] is True and defs["Handicap"]["x-personal"] is True
    assert "x-personal" not in defs["Demandeur"]["properties"]["civilite"]
